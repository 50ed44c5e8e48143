// Preferred counterparties picked from the member list (members.list, through the app's directory)
// rather than pasted as peer IDs: a box per member, by display name, that adds or removes its peer ID
// in the order's list. IDs typed by hand stay as they are.
import { useContext } from 'react'
import { DirectoryContext } from '../../members/directory'
import { statusLabels } from '../../members/member-format'
import { shortPeer } from '../market-format'

interface MemberPickerProps {
  /** The order's preferred peers, one ID a line, as the form holds them. */
  peers: string
  onChange(peers: string): void
  side: 'bid' | 'ask'
  me: string | undefined
}

export function MemberPicker({ peers, onChange, side, me }: MemberPickerProps) {
  const { members } = useContext(DirectoryContext)
  const others = members.filter((member) => member.peerId !== me)
  if (others.length === 0) return null
  const listed = peers
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
  return (
    <fieldset className="group-choices" data-testid="order-members">
      <legend>Pick {side === 'bid' ? 'sellers' : 'buyers'} from the members</legend>
      {others.map((member) => {
        const name = member.displayName.trim() || shortPeer(member.peerId)
        return (
          <label key={member.peerId} className="checkbox" title={member.peerId}>
            <input
              type="checkbox"
              checked={listed.includes(member.peerId)}
              onChange={(event) =>
                onChange(
                  (event.target.checked
                    ? [...listed, member.peerId]
                    : listed.filter((peer) => peer !== member.peerId)
                  ).join('\n'),
                )
              }
              data-testid="order-member"
              data-peer={member.peerId}
            />
            {name}
            <span className="muted"> ({statusLabels[member.status].toLowerCase()})</span>
          </label>
        )
      })}
    </fieldset>
  )
}
