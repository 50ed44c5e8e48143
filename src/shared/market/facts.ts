// The signed facts of the market: a tagged union on `kind`, every member signed by its `owner`.
// The replicated state is a set of these; the matcher reads orders, amendments, cancels, agreements
// (take + confirm), declines and groups. All numbers are integers (safe integers in JavaScript):
// prices in micro-credits per unit, quantities in units, times in ms since the Unix epoch.

/** The content address of a fact: CIDv1 (dag-cbor, sha2-256) of its canonical body, base32. */
export type FactId = string
/** A libp2p Ed25519 peer ID, `12D3KooW...`. */
export type PeerId = string
/** `<owner peer ID>/<name>`: a group is named by its owner. */
export type GroupId = string

export const sides = ['bid', 'ask'] as const
export type Side = (typeof sides)[number]

/** `flop`: quantity in GFLOP (10^9 floating point operations); `pageview`: quantity in page views. */
export const units = ['flop', 'pageview'] as const
export type Unit = (typeof units)[number]

export const osFamilies = ['linux', 'windows', 'macos', 'freebsd', 'android'] as const
export type OsFamily = (typeof osFamilies)[number]

/** What an ask's machine has. Every field is optional: an absent capability meets no requirement on it. */
export interface Capabilities {
  storageGb?: number
  /** `version` is dotted numbers, `22.04`, `10`, `14.5.1`. */
  os?: { family: OsFamily; version?: string }
  /** Benchmarked whole GFLOPS per core. */
  gflopsPerCore?: number
  cores?: number
  bandwidthMbps?: number
  /**
   * The seller's node can be reached from the internet (claim 40: its network interface), so that
   * the visitors of a site it serves can reach it; left out otherwise (never false).
   */
  reachable?: true
}

/** What a bid needs: numeric minimums, and a list of acceptable operating systems. */
export interface Requirements {
  storageGb?: number
  /** The ask's OS must be one of these; `minVersion` compares dotted numbers, `10.15` < `11`. */
  os?: { family: OsFamily; minVersion?: string }[]
  gflopsPerCore?: number
  cores?: number
  bandwidthMbps?: number
  /** Only a seller whose node can be reached from the internet (a page-view buyer's visitors must reach it). */
  reachable?: true
}

/** Preferred counterparties: absent (or both lists empty) admits anyone. */
export interface Counterparties {
  peers?: PeerId[]
  groups?: GroupId[]
}

export interface TimeWindow {
  /** Inclusive, ms since the epoch. */
  start: number
  /** Exclusive, ms since the epoch. */
  end: number
}

export interface OrderFact {
  kind: 'order'
  owner: PeerId
  side: Side
  unit: Unit
  quantity: number
  /** Micro-credits per unit. */
  price: number
  window: TimeWindow
  /** Bids only. */
  requirements?: Requirements
  /** Asks only. */
  capabilities?: Capabilities
  counterparties?: Counterparties
  /** Negotiating range (claim 42): a bid's highest acceptable ask (>= price), an ask's lowest acceptable bid (<= price). */
  range?: number
  createdAt: number
  expiresAt: number
  /** Proof of work (order-work.ts): a value that gives the order's id the market's number of leading zero bits. */
  nonce?: number
}

/** Replaces the terms of an order: the highest `seq` wins. Quantity may only shrink below the order's. */
export interface AmendFact {
  kind: 'amend'
  owner: PeerId
  order: FactId
  seq: number
  price: number
  quantity: number
  range?: number
  createdAt: number
}

export interface CancelFact {
  kind: 'cancel'
  owner: PeerId
  order: FactId
  createdAt: number
}

/** Either owner of the pair removes it from matching for good. */
export interface DeclineFact {
  kind: 'decline'
  owner: PeerId
  bid: FactId
  ask: FactId
  createdAt: number
}

/** The buyer's half of an agreement: binds once the seller confirms it by `validUntil`. */
export interface TakeFact {
  kind: 'take'
  owner: PeerId
  bid: FactId
  ask: FactId
  quantity: number
  price: number
  validUntil: number
  createdAt: number
}

/** The seller's half of an agreement. */
export interface ConfirmFact {
  kind: 'confirm'
  owner: PeerId
  take: FactId
  createdAt: number
}

/** A named member list; the highest `seq` of (owner, name) is in force. */
export interface GroupFact {
  kind: 'group'
  owner: PeerId
  name: string
  seq: number
  members: PeerId[]
  createdAt: number
}

/**
 * A sign of life from an owner: it keeps every order of the owner alive for another orderTtlMs. An
 * owner who vanished stops refreshing, and its orders stop matching (no ghost orders).
 */
export interface RefreshFact {
  kind: 'refresh'
  owner: PeerId
  createdAt: number
}

/**
 * How long an order stays live after its owner's last sign of life (the order itself, its latest
 * amendment, or the owner's latest refresh), on top of its own expiresAt. A protocol constant: every
 * node must use the same value to compute the same matches. Owners refresh every quarter of it.
 */
export const orderTtlMs = 2 * 3_600_000

export type Fact = OrderFact | AmendFact | CancelFact | DeclineFact | TakeFact | ConfirmFact | GroupFact | RefreshFact
export type FactKind = Fact['kind']
export const factKinds = [
  'order',
  'amend',
  'cancel',
  'decline',
  'take',
  'confirm',
  'group',
  'refresh',
] as const satisfies readonly FactKind[]

/** A fact with its content address. */
export interface IdentifiedFact<F extends Fact = Fact> {
  id: FactId
  fact: F
}

/** A fact as it travels: its canonical body bytes, the owner's signature over them, and its id. */
export interface SignedFact<F extends Fact = Fact> extends IdentifiedFact<F> {
  body: Uint8Array
  signature: Uint8Array
}

export function groupIdOf(group: Pick<GroupFact, 'owner' | 'name'>): GroupId {
  return `${group.owner}/${group.name}`
}
