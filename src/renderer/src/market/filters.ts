// The book's filters: what a person looking for capacity (or for buyers) narrows the book to.
// An order passes when it could meet the filter, as the matcher reads terms (compatibility.ts): an
// ask's stated capabilities reach the wanted minimums and OS (a capability an ask does not state
// meets nothing); a bid's requirements ask for no more than the filter names, and a bid that
// requires nothing passes.
import type { OrderView } from '../../../shared/api/market'

export interface BookFilter {
  /** Only orders whose window overlaps [start, end); undefined ends are open. */
  windowStart?: number | undefined
  windowEnd?: number | undefined
  os?: string | undefined
  minGflopsPerCore?: number | undefined
  minStorageGb?: number | undefined
  /** A group ID: only orders that prefer this group, or that name no preference at all. */
  group?: string | undefined
}

export const noFilter: BookFilter = {}

export function isFilterEmpty(filter: BookFilter): boolean {
  return Object.values(filter).every((value) => value === undefined || value === '')
}

interface OsCapability {
  family?: string
}

function numberField(record: Record<string, unknown> | undefined, field: string): number | undefined {
  const value = record?.[field]
  return typeof value === 'number' ? value : undefined
}

function osFamiliesOf(order: OrderView): string[] | undefined {
  if (order.side === 'ask') {
    const os = order.capabilities?.os as OsCapability | undefined
    return os?.family === undefined ? undefined : [os.family]
  }
  const wanted = order.requirements?.os
  return Array.isArray(wanted)
    ? (wanted as OsCapability[]).flatMap((entry) => (entry.family ? [entry.family] : []))
    : undefined
}

export function matchesFilter(order: OrderView, filter: BookFilter): boolean {
  if (filter.windowStart !== undefined && order.window.end <= filter.windowStart) return false
  if (filter.windowEnd !== undefined && order.window.start >= filter.windowEnd) return false
  if (filter.os) {
    const families = osFamiliesOf(order)
    // An ask must run that OS; a bid must accept it, or not care.
    if (
      order.side === 'ask'
        ? families === undefined || !families.includes(filter.os)
        : families !== undefined && !families.includes(filter.os)
    )
      return false
  }
  const terms = order.side === 'ask' ? order.capabilities : order.requirements
  for (const [field, wanted] of [
    ['gflopsPerCore', filter.minGflopsPerCore],
    ['storageGb', filter.minStorageGb],
  ] as const) {
    if (wanted === undefined) continue
    const stated = numberField(terms, field)
    // An ask must offer at least the minimum; a bid that requires less than it, or nothing, could use it.
    if (order.side === 'ask' ? stated === undefined || stated < wanted : stated !== undefined && stated > wanted)
      return false
  }
  if (filter.group) {
    const groups = order.counterparties?.groups
    const peers = order.counterparties?.peers
    const prefersSomeone = (Array.isArray(groups) && groups.length > 0) || (Array.isArray(peers) && peers.length > 0)
    if (prefersSomeone && !(Array.isArray(groups) && groups.includes(filter.group))) return false
  }
  return true
}

export function filterBook(orders: readonly OrderView[], filter: BookFilter): readonly OrderView[] {
  return isFilterEmpty(filter) ? orders : orders.filter((order) => matchesFilter(order, filter))
}
