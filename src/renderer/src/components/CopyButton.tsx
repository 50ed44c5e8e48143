import { useEffect, useState } from 'react'
import { StableLabel } from './StableLabel'

type CopyState = 'idle' | 'copied' | 'failed'

const feedbackMs = 1500

/** A button that copies `text` to the clipboard and says for a moment whether it worked. */
export function CopyButton({ text, label, testId }: { text: string; label: string; testId?: string }) {
  const [state, setState] = useState<CopyState>('idle')

  useEffect(() => {
    if (state === 'idle') return
    const timer = setTimeout(() => setState('idle'), feedbackMs)
    return () => clearTimeout(timer)
  }, [state])

  async function copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(text)
      setState('copied')
    } catch {
      // No clipboard permission, or the page lost focus: the text stays selectable on screen.
      setState('failed')
    }
  }

  return (
    <button type="button" className="button button-small" aria-label={label} data-testid={testId} onClick={() => void copy()}>
      <StableLabel texts={{ idle: 'Copy', copied: 'Copied', failed: 'Copy failed' }} current={state} />
      <span className="visually-hidden" role="status">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : ''}
      </span>
    </button>
  )
}
