// This node's own presence, as the other members see it: online, or away (the user is not at the
// machine). The node signs and publishes the change at once in a heartbeat, as it does every
// presence (docs/members.md, "Presence"), and keeps it in its settings: the choice lasts, across
// restarts, until it is changed.
import { useState } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { MemberStatus } from '../../../shared/api/members'

interface PresenceChoiceProps {
  client: ApiClient
  /** This node's status as its member list shows it; undefined until the list is loaded. */
  current: MemberStatus | undefined
}

const choices = [
  { status: 'online', label: 'Online' },
  { status: 'away', label: 'Away' },
] as const

export function PresenceChoice({ client, current }: PresenceChoiceProps) {
  const [failure, setFailure] = useState<string>()
  const [pending, setPending] = useState<'online' | 'away'>()
  const shown = pending ?? current

  function choose(status: 'online' | 'away'): void {
    setFailure(undefined)
    setPending(status)
    client.call('presence.set', { status }).then(
      () => setPending(undefined),
      (reason: unknown) => {
        setPending(undefined)
        setFailure(`Not changed: ${reason instanceof Error ? reason.message : String(reason)}`)
      },
    )
  }

  return (
    <fieldset className="presence-choice" data-testid="presence-choice">
      <legend>Your presence</legend>
      <div className="segmented">
        {choices.map((choice) => (
          <label key={choice.status} className="segment">
            <input
              type="radio"
              name="presence"
              value={choice.status}
              checked={shown === choice.status}
              onChange={() => choose(choice.status)}
              data-testid={`presence-${choice.status}`}
            />
            {choice.label}
          </label>
        ))}
      </div>
      {failure && (
        <span className="error" role="alert">
          {failure}
        </span>
      )}
    </fieldset>
  )
}
