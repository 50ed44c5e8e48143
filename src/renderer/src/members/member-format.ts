// How a member's figures read in the members list, the profile panel and the negotiation dialog.
// Pure, so the unit tests hold it to the sentences.
import type { MemberStatus, MemberView } from '../../../shared/api/members'
import { formatAge } from '../lib/format'

export const statusLabels: Record<MemberStatus, string> = { online: 'Online', away: 'Away', offline: 'Offline' }

const osNames: Record<string, string> = {
  linux: 'Linux',
  windows: 'Windows',
  macos: 'macOS',
  freebsd: 'FreeBSD',
  android: 'Android',
}

export function formatOs(os: MemberView['os']): string {
  if (!os) return '—'
  const name = osNames[os.family] ?? os.family
  return os.version ? `${name} ${os.version}` : name
}

/** 'seen just now', 'seen 4 min ago', 'never seen'. */
export function formatLastSeen(lastSeen: number | null, now: number): string {
  if (lastSeen === null) return 'never seen'
  const age = formatAge(lastSeen, now)
  return age === 'just now' ? 'seen just now' : `seen ${age} ago`
}

export function formatStorage(gigabytes: number | null): string {
  if (gigabytes === null) return '—'
  return gigabytes >= 1000 ? `${(gigabytes / 1000).toFixed(gigabytes >= 10_000 ? 0 : 1)} TB` : `${gigabytes} GB`
}

export function formatBandwidth(mbps: number | null): string {
  if (mbps === null) return '—'
  return mbps >= 1000 ? `${(mbps / 1000).toFixed(1)} Gbit/s` : `${mbps} Mbit/s`
}

/** '2 interfaces, 1 Gbit/s link'. */
export function formatNetwork(network: MemberView['network']): string {
  if (!network) return '—'
  const interfaces = `${network.interfaces} ${network.interfaces === 1 ? 'interface' : 'interfaces'}`
  return network.linkSpeedMbps === undefined
    ? interfaces
    : `${interfaces}, ${formatBandwidth(network.linkSpeedMbps)} link`
}

/** A member's name as the lists show it: its display name, or a short peer ID when it set none. */
export function memberName(member: Pick<MemberView, 'displayName' | 'peerId'> | undefined, peerId: string): string {
  const name = member?.displayName.trim()
  return name ? name : `${peerId.slice(0, 8)}…${peerId.slice(-4)}`
}

/** The group's name as a person reads it: 'lab' when mine, else 'lab (by Ada)'. */
export function groupLabel(group: { name: string; owner: string; mine: boolean }, ownerName: string): string {
  return group.mine ? group.name : `${group.name} (by ${ownerName})`
}
