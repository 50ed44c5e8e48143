import { useContext, useDeferredValue, useMemo } from 'react'
import { nameOfPeer } from '../../components/PeerName'
import { DirectoryContext } from '../../members/directory'
import { LiveBookContext } from '../live-book'
import type { checkDraft } from '../order-form'
import { describePreview, previewOrder } from '../preview'

export type DraftCheck = ReturnType<typeof checkDraft>

/**
 * The preview line: the only part of the form that reads the live book (from LiveBookContext), so a
 * book update re-renders this line and not every field of the form. The matcher's walk over the whole
 * book is deferred, so typing never waits for it.
 */
export function OrderPreviewText({ check, now }: { check: DraftCheck | undefined; now: number }) {
  const book = useContext(LiveBookContext)
  const directory = useContext(DirectoryContext)
  const deferredCheck = useDeferredValue(check)
  const deferredBook = useDeferredValue(book)
  const preview = useMemo(() => {
    if (!deferredCheck?.ok) return undefined
    const result = previewOrder(deferredBook, deferredCheck.fact, now, directory.groupMembers)
    return describePreview(result, deferredCheck.fact, (peer) => nameOfPeer(directory.names, peer))
  }, [deferredCheck, deferredBook, now, directory])
  return (
    <p className="order-preview" aria-live="polite" data-testid="order-preview">
      {check === undefined
        ? 'Waiting for the node to say who this node is…'
        : check.ok
          ? preview
            ? `If placed now: ${preview}`
            : 'Working out what the matcher would do…'
          : 'The preview appears once the order is complete.'}
    </p>
  )
}
