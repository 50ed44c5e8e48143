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

/** A requirement a bid can state, by the name of its field (`os` covers the family and its minimum version). */
export type RequirementName = 'storageGb' | 'gflopsPerCore' | 'cores' | 'bandwidthMbps' | 'reachable' | 'os'

/**
 * The bid's requirements the ask's capabilities do not meet, in the order of the fields (empty: all met).
 * A capability the ask does not state meets no requirement on it.
 */
export function unmetRequirements(
  requirements: Requirements | undefined,
  capabilities: Capabilities | undefined,
): RequirementName[] {
  const unmet: RequirementName[] = []
  if (requirements === undefined) return unmet
  const offered = capabilities ?? {}
  if (!atLeast(offered.storageGb, requirements.storageGb)) unmet.push('storageGb')
  if (!atLeast(offered.gflopsPerCore, requirements.gflopsPerCore)) unmet.push('gflopsPerCore')
  if (!atLeast(offered.cores, requirements.cores)) unmet.push('cores')
  if (!atLeast(offered.bandwidthMbps, requirements.bandwidthMbps)) unmet.push('bandwidthMbps')
  if (requirements.reachable === true && offered.reachable !== true) unmet.push('reachable')
  if (requirements.os !== undefined && !osAccepted(requirements.os, offered.os)) unmet.push('os')
  return unmet
}

function osAccepted(accepted: NonNullable<Requirements['os']>, os: Capabilities['os']): boolean {
  if (os === undefined) return false
  const entry = accepted.find((each) => each.family === os.family)
  if (entry === undefined) return false
  if (entry.minVersion === undefined) return true
  return os.version !== undefined && compareVersions(os.version, entry.minVersion) >= 0
}

/** Every stated requirement is met; a capability the ask does not state meets no requirement on it. */
export function requirementsMet(
  requirements: Requirements | undefined,
  capabilities: Capabilities | undefined,
): boolean {
  return unmetRequirements(requirements, capabilities).length === 0
}

/** True when the order states no preference: it admits anyone. */
export function admitsAnyone(counterparties: Counterparties | undefined): boolean {
  return (
    counterparties === undefined ||
    ((counterparties.peers?.length ?? 0) === 0 && (counterparties.groups?.length ?? 0) === 0)
  )
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
