import { useEffect, useState } from 'react'
import { StableLabel } from './StableLabel'

type CopyState = 'idle' | 'copied' | 'failed'

const feedbackMs = 1500

const wordTexts = { idle: 'Copy', copied: 'Copied', failed: 'Copy failed' }
/** For a button beside a name in a table row: a glyph, the words in its label. */
const compactTexts = { idle: '⧉', copied: '✓', failed: '✗' }

/**
 * A button that copies `text` to the clipboard and says for a moment whether it worked. `compact`
 * shows a glyph rather than the word (its accessible name is `label` either way).
 */
export function CopyButton({
  text,
  label,
  testId,
  compact = false,
}: {
  text: string
  label: string
  testId?: string
  compact?: boolean
}) {
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
    <button
      type="button"
      className={compact ? 'button button-small button-glyph' : 'button button-small'}
      aria-label={label}
      title={compact ? label : undefined}
      data-testid={testId}
      onClick={() => void copy()}
    >
      <StableLabel texts={compact ? compactTexts : wordTexts} current={state} />
      <span className="visually-hidden" role="status">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : ''}
      </span>
    </button>
  )
}
