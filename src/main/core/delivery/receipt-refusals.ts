// What the receipts sync fetched and this node refused, so that it is not fetched again every round.
// The sync pulls what a peer holds and this node lacks (receipt-sync.ts); a refused receipt stays
// lacking, so without this memory each round with a peer that holds it would fetch it again.
//
// When it pulls, this node compares with the peer's set not the receipts it holds but `basis`: those
// plus the ones it refused for everyone. Against a peer that holds exactly those the roots are equal
// and nothing is fetched; the reconciliation never asks for a refused id. How long a refusal holds
// depends on why (RefusalHold, receipt-intake.ts):
//   final      until forgotten: the body itself is never acceptable here (this includes a receipt past
//              the market's retention, fetched or dropped by this node's own prune)
//   agreement  until the agreement is known here (checked before every session), but at most a back-off
//              delay, after which it is fetched once more: 1 min, doubling at each refusal, up to 1 h
//   time       until the receipt is no longer in this node's future
//   blocked    until its owner is unblocked
//   copy       from that peer only, until forgotten: an id is the hash of the body alone, so a forged
//              copy must not hide the genuine receipt that another peer holds under the same id
// Memory is bounded: past `maxRemembered` receipts, or `maxPeers` x `maxCopiesPerPeer` copies, the
// refusal made least recently is forgotten (LRUs from lru-cache, ordered by refusal only: reading a
// refusal does not renew it), which costs at most one more fetch of it. Nothing here decides what is
// accepted: a released or forgotten receipt goes through the intake again.
import { LRUCache } from 'lru-cache'
import { bucketCount, SetFingerprint, type ReconcilableSet } from '../market/set-fingerprint'
import type { RefusalHold } from './receipt-intake'

export interface ReceiptRefusalsInit {
  /** Receipts refused for everyone that are remembered. Default 10,000. */
  maxRemembered?: number
  /** Peers whose refused copies are remembered, and copies per peer. Default 64 and 1,000. */
  maxPeers?: number
  maxCopiesPerPeer?: number
  /** Back-off of a receipt whose agreement is not known: first delay, and the longest. Default 60 s and 1 h. */
  firstRetryMs?: number
  maxRetryMs?: number
}

/** What a hold waits for, read before every sync session. */
export interface RefusalConditions {
  agreementKnown(agreement: string): boolean
  isBlocked(peer: string): boolean
  now(): number
}

type SharedHold = Exclude<RefusalHold, { kind: 'copy' }>

interface Refusal {
  hold: SharedHold
  /** True while the sync leaves the receipt alone (it is in `basis`). */
  active: boolean
  /** Consecutive refusals for an unknown agreement: the back-off doubles with each. */
  attempts: number
  retryAt: number
}

export class ReceiptRefusals {
  private readonly basis = new SetFingerprint()
  /** Recency is refusal order: the entry refused least recently is the one forgotten next. */
  private readonly refused: LRUCache<string, Refusal>
  /** The copies refused from each peer: the peers, and each peer's copies, by last refusal. */
  private readonly copies: LRUCache<string, LRUCache<string, true>>
  private readonly maxRemembered: number
  private readonly maxPeers: number
  private readonly maxCopiesPerPeer: number
  private readonly firstRetryMs: number
  private readonly maxRetryMs: number

  constructor(
    private readonly conditions: RefusalConditions,
    init: ReceiptRefusalsInit = {},
  ) {
    this.maxRemembered = init.maxRemembered ?? 10_000
    this.maxPeers = init.maxPeers ?? 64
    this.maxCopiesPerPeer = init.maxCopiesPerPeer ?? 1_000
    this.firstRetryMs = init.firstRetryMs ?? 60_000
    this.maxRetryMs = init.maxRetryMs ?? 3_600_000
    this.refused = new LRUCache({
      max: this.maxRemembered,
      // A forgotten refusal that still held the receipt out of the sync lets it be fetched again.
      dispose: (refusal, id, reason) => {
        if (reason === 'evict' && refusal.active) this.basis.remove(id)
      },
    })
    this.copies = new LRUCache({ max: this.maxPeers })
  }

  /** A receipt this node holds: the sync never needs it again, and a refusal of it is over. */
  held(id: string): void {
    this.basis.add(id)
    this.refused.delete(id)
  }

  /**
   * A receipt this node held and dropped past the market's retention (receipt-ledger.ts's prune): it is
   * refused for everyone from now on, so that a peer that has not dropped it yet is not asked for it.
   */
  dropped(id: string): void {
    this.refuse(id, '', { kind: 'final' })
  }

  /** A receipt fetched from `peer` and refused for `hold`. */
  refuse(id: string, peer: string, hold: RefusalHold): void {
    if (hold.kind === 'copy') {
      this.refuseCopy(id, peer)
      return
    }
    const previous = this.refused.peek(id)
    const attempts = hold.kind === 'agreement' && previous?.hold.kind === 'agreement' ? previous.attempts + 1 : 0
    const retryAt =
      hold.kind === 'agreement'
        ? this.conditions.now() + Math.min(this.firstRetryMs * 2 ** attempts, this.maxRetryMs)
        : Infinity
    this.basis.add(id)
    this.refused.set(id, { hold, active: true, attempts, retryAt })
  }

  /**
   * The set to reconcile with `peer`'s when pulling from it: the receipts held, those refused for
   * everyone, and the copies refused from that peer. Holds that have ended are released first.
   */
  basisFor(peer: string): ReconcilableSet {
    this.release()
    const copies = this.copies.peek(peer)
    if (copies === undefined) return this.basis
    // Only a peer that sent invalid receipts has copies here (and the sync shuns it for a while after
    // each): a set of its own, built for the session, keeps `basis` shared by every other peer.
    const set = new SetFingerprint()
    for (let bucket = 0; bucket < bucketCount; bucket++)
      for (const [id, key] of this.basis.bucketEntries(bucket)) set.add(id, key)
    for (const id of copies.keys()) set.add(id)
    return set
  }

  private refuseCopy(id: string, peer: string): void {
    let ids = this.copies.get(peer)
    if (ids === undefined) {
      ids = new LRUCache({ max: this.maxCopiesPerPeer })
      this.copies.set(peer, ids)
    }
    ids.set(id, true)
  }

  private release(): void {
    const now = this.conditions.now()
    const known = new Map<string, boolean>()
    const agreementKnown = (agreement: string): boolean => {
      let answer = known.get(agreement)
      if (answer === undefined) {
        answer = this.conditions.agreementKnown(agreement)
        known.set(agreement, answer)
      }
      return answer
    }
    for (const [id, refusal] of [...this.refused.entries()]) {
      if (!refusal.active) continue
      const { hold } = refusal
      let over: boolean
      let keep = false
      if (hold.kind === 'agreement') {
        over = agreementKnown(hold.agreement) || now >= refusal.retryAt
        // A retry of an agreement still unknown keeps the entry, so that the next refusal backs off longer.
        keep = over && !agreementKnown(hold.agreement)
      } else if (hold.kind === 'time') over = now >= hold.at
      else if (hold.kind === 'blocked') over = !this.conditions.isBlocked(hold.owner)
      else over = false
      if (!over) continue
      this.basis.remove(id)
      if (keep) refusal.active = false
      else this.refused.delete(id)
    }
  }
}
