// The benchmarked figures members publish in their signed profiles, as the Benchmark page compares
// this node with them.
import type { MemberView } from '../../../shared/api/members'

/** The benchmarked figures a member's profile carries. */
export interface MachineFigures {
  gflopsPerCore: number
  cores: number
  storageGb: number
}

/** The other members that published benchmarked figures (members.list); those without are skipped. */
export function peerFigures(members: readonly MemberView[]): MachineFigures[] {
  const peers: MachineFigures[] = []
  for (const member of members) {
    if (member.self || member.gflopsPerCore === null || member.cores === null || member.storageGb === null) continue
    peers.push({ gflopsPerCore: member.gflopsPerCore, cores: member.cores, storageGb: member.storageGb })
  }
  return peers
}
