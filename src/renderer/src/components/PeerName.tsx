// A counterparty as people know it: the display name from its signed profile (members.list), the full
// peer ID on hover, and a button that copies the ID. Before a profile has arrived, or for a peer that
// never published one, the shortened ID stands in for the name.
import { useContext } from 'react'
import { shortPeer } from '../market/market-format'
import { DirectoryContext } from '../members/directory'
import { CopyButton } from './CopyButton'

/** The name to show for `peer`: its profile's display name, else its shortened ID. */
export function nameOfPeer(names: ReadonlyMap<string, string>, peer: string): string {
  return names.get(peer) ?? shortPeer(peer)
}

/** nameOfPeer over the app's directory, for text (a sentence that names a counterparty). */
export function usePeerNames(): (peer: string) => string {
  const { names } = useContext(DirectoryContext)
  return (peer) => nameOfPeer(names, peer)
}

export function PeerName({ peer, copy = true }: { peer: string; copy?: boolean }) {
  const { names } = useContext(DirectoryContext)
  const name = nameOfPeer(names, peer)
  return (
    <span className="peer-name" data-testid="peer-name" data-peer-id={peer}>
      <span title={peer}>{name}</span>
      {copy && <CopyButton text={peer} label={`Copy the peer ID of ${name}`} compact testId="copy-peer" />}
    </span>
  )
}
