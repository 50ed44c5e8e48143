// The order form's state: the fields, the draft they are (id and name), what the last action said,
// and whether the user has typed yet. What the page hands in are events, not values to mirror: a
// price picked on the ladder fills side and price, a draft opened from the list replaces the form, a
// change of the page's unit moves the form to it; anything typed since stays otherwise. A new ask
// starts from this node's benchmark profile (read on open and after every completed run).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { OrderView } from '../../../shared/api/market'
import { capabilitiesOf, type SignedProfileJson } from '../../../shared/benchmark/profile'
import type { NodeQueryOptions } from '../data/node-query'
import { useNodeQuery } from '../data/use-node-query'
import type { FarFromMarket } from './form-checks'
import { emptyForm, type OrderForm } from './order-form'
import { newDraftId } from './page-storage'
import { capabilityFieldsOf, prefillCapabilities, withoutPrefill, type CapabilityFields } from './profile-prefill'

export type OrderStatus =
  | { kind: 'idle' }
  | { kind: 'busy' }
  | { kind: 'placed'; order: OrderView; extras: string[]; policy?: { ok: true } | { ok: false; message: string } }
  /** Waiting in the outbox as entry `id`: what the line says follows the entry there. */
  | { kind: 'queued'; id: string }
  | { kind: 'saved'; where: 'node' | 'page'; name: string; replaced: boolean }
  /** The price is far from the market: placing it again, unchanged, places it. */
  | { kind: 'far'; key: string; far: FarFromMarket; price: number }
  | { kind: 'failed'; message: string; path: string | undefined }

export interface OrderFormEvents {
  unit: 'flop' | 'pageview'
  /** A price picked on the ladder, with the side that would trade against it. */
  picked: { price: number; side: 'bid' | 'ask'; nonce: number } | undefined
  /** A draft opened from the drafts list. */
  opened: { id: string; form: OrderForm; label: string } | undefined
}

const benchmarkProfile: NodeQueryOptions<SignedProfileJson | null> = {
  read: (client) => client.call('benchmark.profile', {}),
  onEvent(event, query) {
    if (event.type === 'benchmark.result' && event.data.outcome === 'completed') query.refetch()
  },
}

export function useOrderForm(client: ApiClient, { unit, picked, opened }: OrderFormEvents) {
  const [form, setForm] = useState<OrderForm>(() => emptyForm('bid', unit, Date.now()))
  const [draftId, setDraftId] = useState(() => newDraftId())
  const [label, setLabel] = useState('')
  const [status, setStatus] = useState<OrderStatus>({ kind: 'idle' })
  const [touched, setTouched] = useState(false)
  const [now, setNow] = useState(() => Date.now())
  // No profile (or none readable) is no pre-fill; "Fill from my benchmark" reports the reason when asked.
  const profile = useNodeQuery(client, 0, benchmarkProfile).data
  const profileFields = useMemo(
    (): CapabilityFields | undefined => (profile ? capabilityFieldsOf(capabilitiesOf(profile.profile)) : undefined),
    [profile],
  )
  /** The draft this form was last saved as (or opened from), should the drafts list not have it yet. */
  const savedAs = useRef<{ id: string; label: string } | undefined>(undefined)
  /** The draft whose capabilities were pre-filled from the profile, and with what. */
  const prefilled = useRef<{ draftId: string; fields: CapabilityFields } | undefined>(undefined)

  // A new ask starts from the profile's capabilities; turned back into a bid, it drops them again.
  useEffect(() => {
    if (form.side === 'ask') {
      if (!profileFields || prefilled.current?.draftId === draftId) return
      prefilled.current = { draftId, fields: profileFields }
      setForm((current) => prefillCapabilities(current, profileFields))
    } else if (prefilled.current) {
      const { fields } = prefilled.current
      prefilled.current = undefined
      setForm((current) => withoutPrefill(current, fields))
    }
  }, [form.side, profileFields, draftId])

  useEffect(() => {
    setForm((current) => (current.unit === unit ? current : { ...current, unit }))
  }, [unit])

  useEffect(() => {
    if (!picked) return
    // Clicking an ask means buying at its price; clicking a bid, selling at it.
    setForm((current) => ({ ...current, side: picked.side === 'ask' ? 'bid' : 'ask', price: String(picked.price) }))
  }, [picked])

  useEffect(() => {
    if (!opened) return
    // An opened draft is not a new ask: it keeps the capabilities it was saved with.
    prefilled.current = { draftId: opened.id, fields: capabilityFieldsOf({}) }
    setForm(opened.form)
    setDraftId(opened.id)
    setLabel(opened.label)
    savedAs.current = { id: opened.id, label: opened.label }
    setStatus({ kind: 'idle' })
  }, [opened])

  // The clock moves on (a spot order starts "now"); once a few seconds is precise enough for checks.
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5_000)
    return () => clearInterval(timer)
  }, [])

  /** A change typed by the user: it clears what the last action said, unless one is under way. */
  const update = (patch: Partial<OrderForm>): void => {
    setForm((current) => ({ ...current, ...patch }))
    setTouched(true)
    if (status.kind !== 'busy') setStatus({ kind: 'idle' })
  }

  /** The form was saved as draft `id`: the form is that draft now (what was pre-filled is not filled again). */
  const savedAsDraft = useCallback(
    (id: string, name: string): void => {
      if (prefilled.current?.draftId === draftId) prefilled.current = { ...prefilled.current, draftId: id }
      setDraftId(id)
      savedAs.current = { id, label: name }
    },
    [draftId],
  )

  /** The draft this form was last saved as or opened from. */
  const lastSaved = (): { id: string; label: string } | undefined => savedAs.current

  return {
    form,
    update,
    draftId,
    label,
    setLabel,
    status,
    setStatus,
    touched,
    setTouched,
    now,
    savedAsDraft,
    lastSaved,
  }
}
