// When may a bid and an ask trade at all (DESIGN section 3, step 2): the ask's window contains the
// bid's (claim 14), its capabilities meet every requirement of the bid (claims 35, 37-40), and each
// side's preferred counterparties admit the other (claim 36).
import type { Capabilities, Counterparties, GroupId, PeerId, Requirements, TimeWindow } from './facts'

/** -1 if `left` < `right`, 0 if equal, 1 if greater; `10.15` < `11`, and `14` equals `14.0`. */
export function compareVersions(left: string, right: string): number {
  return compareVersionParts(versionParts(left), versionParts(right))
}

/** A dotted version's numbers, for compareVersionParts (the matcher parses each order's once). */
export function versionParts(version: string): number[] {
  return version.split('.').map(Number)
}

/** compareVersions on parsed versions; a missing part counts as 0. */
export function compareVersionParts(left: readonly number[], right: readonly number[]): number {
  const length = Math.max(left.length, right.length)
  for (let index = 0; index < length; index++) {
    const leftPart = left[index] ?? 0
    const rightPart = right[index] ?? 0
    if (leftPart !== rightPart) return leftPart < rightPart ? -1 : 1
  }
  return 0
}

/** The ask is available for the whole period the buyer needs: [bid.start, bid.end) within [ask.start, ask.end). */
export function windowContains(outer: TimeWindow, inner: TimeWindow): boolean {
  return outer.start <= inner.start && inner.end <= outer.end
}

function atLeast(capability: number | undefined, minimum: number | undefined): boolean {
  return minimum === undefined || (capability !== undefined && capability >= minimum)
}

/** Every stated requirement is met; a capability the ask does not state meets no requirement on it. */
export function requirementsMet(requirements: Requirements | undefined, capabilities: Capabilities | undefined): boolean {
  if (requirements === undefined) return true
  const offered = capabilities ?? {}
  if (!atLeast(offered.storageGb, requirements.storageGb)) return false
  if (!atLeast(offered.gflopsPerCore, requirements.gflopsPerCore)) return false
  if (!atLeast(offered.cores, requirements.cores)) return false
  if (!atLeast(offered.bandwidthMbps, requirements.bandwidthMbps)) return false
  if (requirements.reachable === true && offered.reachable !== true) return false
  if (requirements.os !== undefined) {
    const os = offered.os
    if (os === undefined) return false
    const accepted = requirements.os.find((entry) => entry.family === os.family)
    if (accepted === undefined) return false
    if (accepted.minVersion !== undefined) {
      if (os.version === undefined || compareVersions(os.version, accepted.minVersion) < 0) return false
    }
  }
  return true
}

/** True when the order states no preference: it admits anyone. */
export function admitsAnyone(counterparties: Counterparties | undefined): boolean {
  return counterparties === undefined || ((counterparties.peers?.length ?? 0) === 0 && (counterparties.groups?.length ?? 0) === 0)
}

/** Lookup of a group's members as they are in the state (the highest seq of each group). */
export type GroupMembers = (group: GroupId) => ReadonlySet<PeerId> | undefined

/** The preference admits `peer` when it lists the peer, or a group the peer is a member of. */
export function admits(counterparties: Counterparties | undefined, peer: PeerId, groupMembers: GroupMembers): boolean {
  if (admitsAnyone(counterparties)) return true
  if (counterparties?.peers?.includes(peer)) return true
  for (const group of counterparties?.groups ?? []) {
    if (groupMembers(group)?.has(peer)) return true
  }
  return false
}
