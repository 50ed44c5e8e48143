// The members of the market (DESIGN section 8, claims 8-10, 22, 32-34): every node publishes its
// signed profile and a signed presence heartbeat on the members topic, and keeps the latest profile of
// every member it hears of in level. Presence is ephemeral: a member is online or away while its
// heartbeats arrive, offline after three of its intervals without one (or at once when it says
// goodbye). Groups (claim 36) are the market's own group facts, published through the market service,
// so that the matcher admits their members. docs/members.md has the wire formats and the rules.
import type { ComponentLogger, Libp2p, Logger, Message, PeerId, Startable } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import * as dagCbor from '@ipld/dag-cbor'
import type { ApiEvent } from '../../../shared/api/contract'
import type { GroupView, MemberStatus, MemberView } from '../../../shared/api/members'
import { ValidationError } from '../../../shared/errors'
import {
  maxProfileGroups,
  profileFromSystem,
  signedProfileToJson,
  signProfile,
  type ProfileRecord,
  type SignedProfile,
  type SignedProfileJson,
  type SignedProfileRecordJson,
  type SystemFacts,
} from '../../../shared/benchmark/profile'
import type { FactSigner, FactVerifier } from '../../../shared/market/encoding'
import { nodeSha256 } from '../market-crypto'
import type { MarketPubSub } from '../market/gossip'
import type { MarketService } from '../market/market-service'
import type { Store } from '../store'
import type { Blocklist } from './blocklist'
import { checkPeerId, MemberGroups } from './member-groups'
import { MemberIntake, type MemberIntakeInit } from './member-intake'
import { openMemberStore, type MemberStore, type SavedMember } from './member-store'
import { PresenceTable } from './presence-table'
import { probeSystemFacts } from './system-facts'
import {
  encodeMemberMessage,
  maxHeartbeatMs,
  membersTopic,
  minHeartbeatMs,
  signPresence,
  type PresenceStatus,
} from './wire'

export interface MembersServiceInit {
  /** How often this node sends its heartbeat; default 10 s. */
  heartbeatMs?: number
  /** After a peer subscribes to the members topic, wait this long, then republish (one republish per burst of joins). Default 500 ms. */
  republishDelayMs?: number
  intake?: MemberIntakeInit
}

export interface MembersServiceComponents {
  pubsub: MarketPubSub
  libp2p: Pick<Libp2p, 'hangUp'>
  store: Store
  blocklist: Blocklist
  signer: FactSigner
  verifier: FactVerifier
  /** The data directory: its volume's free space is the minimal profile's storage figure. */
  dataDir: string
  displayName(): string
  /** This node's profile from its latest benchmark run, if it has run one. */
  benchmarkProfile(): Promise<SignedProfileJson | undefined>
  /** Whether the node can be reached from the internet now; the profile says so, and changes with it. */
  reachable?(): boolean
  market: Pick<MarketService, 'book' | 'liveOrderCount' | 'agreements' | 'overCommitments' | 'publishGroup'>
  /** The presence the user chose last (kept in the node's settings): the first heartbeat says it. Default online. */
  savedPresence?(): OwnPresence
  /** Keep the presence the user chose, for the next start; setPresence waits for it and fails with it. */
  savePresence?(status: OwnPresence): Promise<unknown>
  emit(event: ApiEvent): void
  logger: ComponentLogger
  now?(): number
}

/** What this node's user may say of themselves; offline is said by stopping. */
export type OwnPresence = 'online' | 'away'

export interface MembersService extends Startable {
  list(): MemberView[]
  profile(peerId: string): { member: MemberView; signed: SignedProfileRecordJson } | null
  /** Say and keep this node's presence: published at once and again at every start. */
  setPresence(status: OwnPresence): Promise<OwnPresence>
  /** Sign and publish this node's profile if it changed since the last one (or always, with `force`). */
  refreshProfile(force?: boolean): Promise<void>
  block(peerId: string): Promise<boolean>
  unblock(peerId: string): Promise<boolean>
  blocked(): { peerId: string; blockedAt: number; displayName: string | null; overCommitted: number }[]
  createGroup(name: string, members: string[]): Promise<GroupView>
  addGroupMember(name: string, peerId: string): Promise<GroupView>
  removeGroupMember(name: string, peerId: string): Promise<GroupView>
  groups(): GroupView[]
}

function contentKey(profile: ProfileRecord): string {
  return Buffer.from(dagCbor.encode(profile)).toString('hex')
}

class Members implements MembersService {
  private readonly heartbeatMs: number
  private readonly republishDelayMs: number
  private readonly intake: MemberIntake
  private readonly log: Logger
  private readonly memberGroups: MemberGroups
  private readonly memberStore: MemberStore
  private readonly me: string
  private readonly profiles = new Map<string, SavedMember>()
  private readonly presence = new PresenceTable()
  private readonly reportedStatus = new Map<string, MemberStatus>()
  private own: SignedProfile<ProfileRecord> | undefined
  private ownContent = ''
  private ownStatus: OwnPresence = 'online'
  private lastHeartbeatAt = 0
  private systemFacts: SystemFacts = {}
  private network: ProfileRecord['network']
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined
  private sweepTimer: ReturnType<typeof setInterval> | undefined
  private republishTimer: ReturnType<typeof setTimeout> | undefined
  private running = false
  /** Writes to the store happen one after another. */
  private writes: Promise<unknown> = Promise.resolve()
  /** Profile refreshes run one at a time, and stop waits for the one in flight. */
  private refreshing: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly components: MembersServiceComponents,
    init: MembersServiceInit,
  ) {
    this.heartbeatMs = Math.min(maxHeartbeatMs, Math.max(minHeartbeatMs, init.heartbeatMs ?? 10_000))
    this.republishDelayMs = init.republishDelayMs ?? 500
    this.me = components.signer.owner
    this.log = components.logger.forComponent('cyclex:members')
    this.memberStore = openMemberStore(components.store, components.verifier, this.log)
    this.memberGroups = new MemberGroups(this.me, components.market, () => {
      void this.refreshProfile(false).catch((error: unknown) =>
        this.log.error('publishing the member profile failed - %e', error),
      )
    })
    this.intake = new MemberIntake(
      components.verifier,
      {
        profilePublishedAt: (owner) => this.profiles.get(owner)?.signed.profile.publishedAt,
        presenceAt: (owner) => this.presence.at(owner),
        isBlocked: (peerId) => components.blocklist.has(peerId),
      },
      init.intake,
    )
  }

  private now(): number {
    return this.components.now?.() ?? Date.now()
  }

  async start(): Promise<void> {
    for (const saved of await this.memberStore.load()) {
      if (saved.signed.profile.owner === this.me) this.own = saved.signed
      else this.profiles.set(saved.signed.profile.owner, saved)
    }
    const probed = await probeSystemFacts(this.components.dataDir)
    this.systemFacts = probed.facts
    this.network = probed.network
    const { pubsub } = this.components
    pubsub.topicValidators.set(membersTopic, (peer, message) => this.validate(peer, message))
    pubsub.subscribe(membersTopic)
    pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    this.ownStatus = this.components.savedPresence?.() ?? 'online'
    this.running = true
    await this.refreshProfile(true)
    this.heartbeat()
    this.heartbeatTimer = setInterval(() => {
      this.heartbeat()
      void this.refreshProfile(false).catch((error: unknown) =>
        this.log.error('publishing the member profile failed - %e', error),
      )
    }, this.heartbeatMs)
    this.sweepTimer = setInterval(() => this.sweep(), Math.max(50, Math.floor(this.heartbeatMs / 2)))
  }

  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    clearInterval(this.heartbeatTimer)
    clearInterval(this.sweepTimer)
    clearTimeout(this.republishTimer)
    // A goodbye, so that peers show this node offline now rather than after three intervals.
    this.publish(
      signPresence(
        {
          kind: 'presence',
          owner: this.me,
          status: 'offline',
          at: this.nextHeartbeatTime(),
          intervalMs: this.heartbeatMs,
        },
        this.components.signer,
      ),
    )
    const { pubsub } = this.components
    pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    pubsub.unsubscribe(membersTopic)
    pubsub.topicValidators.delete(membersTopic)
    await this.memberGroups.settled()
    await this.refreshing
    await this.writes.catch(() => undefined)
    await this.memberStore
      .saveAll([...this.profiles.values()])
      .catch((error: unknown) => this.log.error('saving members failed - %e', error))
  }

  // -- in ------------------------------------------------------------------------------------------

  private validate(peer: PeerId, message: Message): TopicValidatorResult {
    const now = this.now()
    const verdict = this.intake.check(message.data, { from: peer.toString(), now })
    if (verdict.outcome === 'ignore') return TopicValidatorResult.Ignore
    if (verdict.outcome === 'reject') return TopicValidatorResult.Reject
    const { message: received } = verdict
    if (received.kind === 'profile') this.applyProfile(received.signed, now)
    else this.applyPresence(received.signed.presence, now)
    return TopicValidatorResult.Accept
  }

  private applyProfile(signed: SignedProfile<ProfileRecord>, now: number): void {
    const owner = signed.profile.owner
    if (owner === this.me) return
    // A member new to this node has likely not heard this node's profile either (it may be several
    // hops away, where no subscription event tells of it): republish once.
    if (!this.profiles.has(owner)) this.scheduleRepublish()
    const saved: SavedMember = { signed, lastSeen: Math.max(now, this.profiles.get(owner)?.lastSeen ?? 0) }
    this.profiles.set(owner, saved)
    this.writes = this.writes
      .then(() => this.memberStore.save(saved))
      .catch((error: unknown) => this.log.error('saving the profile of %s failed - %e', owner, error))
    if (this.running) this.components.emit({ type: 'members.changed', data: this.views([owner])[0]! })
  }

  private applyPresence(
    record: { owner: string; status: PresenceStatus; at: number; intervalMs: number },
    now: number,
  ): void {
    if (record.owner === this.me) return
    const interval = Math.min(maxHeartbeatMs, Math.max(minHeartbeatMs, record.intervalMs))
    // Back from offline (or first heard): it may have missed this node's profile while away.
    if (record.status !== 'offline' && this.statusOf(record.owner, now) === 'offline') this.scheduleRepublish()
    this.presence.record(record.owner, record, interval, now)
    const saved = this.profiles.get(record.owner)
    if (saved) saved.lastSeen = now
    this.reportStatus(record.owner)
  }

  private statusOf(peerId: string, now: number): MemberStatus {
    return peerId === this.me ? this.ownStatus : this.presence.statusOf(peerId, now)
  }

  private lastSeenOf(peerId: string): number | null {
    if (peerId === this.me) return this.now()
    const fromPresence = this.presence.receivedAt(peerId)
    const fromProfile = this.profiles.get(peerId)?.lastSeen ?? null
    return fromPresence === undefined ? fromProfile : Math.max(fromPresence, fromProfile ?? 0)
  }

  /** Tell the UI when a member's status differs from what it was last told. */
  private reportStatus(peerId: string): void {
    if (!this.running || this.components.blocklist.has(peerId)) return
    const status = this.statusOf(peerId, this.now())
    if (this.reportedStatus.get(peerId) === status) return
    this.reportedStatus.set(peerId, status)
    this.components.emit({ type: 'member.status', data: { peerId, status, lastSeen: this.lastSeenOf(peerId) } })
  }

  private sweep(): void {
    for (const peerId of [...this.presence.owners()]) this.reportStatus(peerId)
  }

  // -- out -----------------------------------------------------------------------------------------

  private readonly onSubscriptionChange = (
    event: CustomEvent<{ subscriptions: { topic: string; subscribe: boolean }[] }>,
  ): void => {
    // A peer that just joined has heard none of this node's records: gossip carries only new ones.
    if (
      event.detail.subscriptions.some((subscription) => subscription.topic === membersTopic && subscription.subscribe)
    )
      this.scheduleRepublish()
  }

  /** Republish this node's profile and a heartbeat soon; one republish covers a burst of reasons. */
  private scheduleRepublish(): void {
    if (!this.running || this.republishTimer !== undefined) return
    this.republishTimer = setTimeout(() => {
      this.republishTimer = undefined
      if (!this.running) return
      this.heartbeat()
      void this.refreshProfile(true).catch((error: unknown) =>
        this.log.error('publishing the member profile failed - %e', error),
      )
    }, this.republishDelayMs)
  }

  private publish(signed: { body: Uint8Array; signature: Uint8Array }): void {
    // No peer subscribed yet is normal (alone, or starting): the next heartbeat or join republishes.
    this.components.pubsub.publish(membersTopic, encodeMemberMessage(signed)).catch(() => undefined)
  }

  /** Strictly increasing, so every heartbeat is new to the receivers' staleness check. */
  private nextHeartbeatTime(): number {
    this.lastHeartbeatAt = Math.max(this.now(), this.lastHeartbeatAt + 1)
    return this.lastHeartbeatAt
  }

  private heartbeat(): void {
    const presence = {
      kind: 'presence' as const,
      owner: this.me,
      status: this.ownStatus,
      at: this.nextHeartbeatTime(),
      intervalMs: this.heartbeatMs,
    }
    this.publish(signPresence(presence, this.components.signer))
  }

  /** What this node's profile says now, without publishedAt. */
  private async currentProfile(): Promise<ProfileRecord> {
    const displayName = this.components.displayName()
    const benchmarked = await this.components.benchmarkProfile()
    const base: ProfileRecord = benchmarked
      ? { ...benchmarked.profile, displayName }
      : profileFromSystem(this.me, displayName, this.systemFacts)
    const profile: ProfileRecord = { ...base, owner: this.me }
    delete profile.publishedAt
    const groups = this.memberGroups.idsOf(this.me).slice(0, maxProfileGroups)
    if (groups.length > 0) profile.groups = groups
    else delete profile.groups
    if (this.network) profile.network = { ...this.network }
    if (this.components.reachable?.() === true) profile.reachable = true
    else delete profile.reachable
    return profile
  }

  refreshProfile(force = false): Promise<void> {
    if (!this.running) return Promise.resolve()
    const refresh = this.refreshing.then(() => this.publishProfile(force))
    this.refreshing = refresh.catch(() => undefined)
    return refresh
  }

  private async publishProfile(force: boolean): Promise<void> {
    if (!this.running) return
    let profile: ProfileRecord
    try {
      profile = await this.currentProfile()
    } catch (error) {
      if (!this.running) return
      throw error
    }
    // The node may have begun to stop meanwhile: its store is closing.
    if (!this.running) return
    const content = contentKey(profile)
    if (!force && content === this.ownContent) return
    this.ownContent = content
    const publishedAt = Math.max(this.now(), (this.own?.profile.publishedAt ?? 0) + 1)
    const signed = signProfile({ ...profile, publishedAt }, this.components.signer, nodeSha256)
    this.own = signed
    this.writes = this.writes
      .then(() => this.memberStore.save({ signed, lastSeen: null }))
      .catch((error: unknown) => this.log.error("saving this node's profile failed - %e", error))
    this.publish(signed)
    this.components.emit({ type: 'members.changed', data: this.views([this.me])[0]! })
  }

  async setPresence(status: OwnPresence): Promise<OwnPresence> {
    // Kept before it is said: a presence that could not be kept would be lost at the next start.
    await this.components.savePresence?.(status)
    if (status !== this.ownStatus) {
      this.ownStatus = status
      if (this.running) this.heartbeat()
      this.components.emit({ type: 'member.status', data: { peerId: this.me, status, lastSeen: this.now() } })
    }
    return status
  }

  // -- views ---------------------------------------------------------------------------------------

  /** Views of the given members: trades counted in one pass over the agreements, open orders from each member's own orders in the book. */
  private views(peerIds: string[]): MemberView[] {
    const now = this.now()
    const wanted = new Set(peerIds)
    const trades = new Map<string, number>()
    for (const agreement of this.components.market.agreements()) {
      if (agreement.status === 'void') continue
      for (const party of new Set([agreement.buyer, agreement.seller]))
        if (wanted.has(party)) trades.set(party, (trades.get(party) ?? 0) + 1)
    }
    const overCommitted = new Map<string, number>()
    for (const proof of this.components.market.overCommitments()) {
      if (wanted.has(proof.party)) overCommitted.set(proof.party, (overCommitted.get(proof.party) ?? 0) + 1)
    }
    const views: MemberView[] = []
    for (const peerId of peerIds) {
      const profile = peerId === this.me ? this.own?.profile : this.profiles.get(peerId)?.signed.profile
      if (!profile) continue
      views.push({
        peerId,
        self: peerId === this.me,
        displayName: profile.displayName,
        os: profile.os ? { ...profile.os } : null,
        gflopsPerCore: profile.gflopsPerCore ?? null,
        cores: profile.cores ?? null,
        storageGb: profile.storageGb ?? null,
        bandwidthMbps: profile.bandwidthMbps ?? null,
        network: profile.network ? { ...profile.network } : null,
        groups: this.memberGroups.idsOf(peerId),
        status: this.statusOf(peerId, now),
        lastSeen: this.lastSeenOf(peerId),
        openOrders: this.components.market.liveOrderCount(peerId),
        trades: trades.get(peerId) ?? 0,
        overCommitted: overCommitted.get(peerId) ?? 0,
        publishedAt: profile.publishedAt ?? null,
      })
    }
    return views
  }

  list(): MemberView[] {
    const { blocklist } = this.components
    const others = [...this.profiles.keys()].filter((peerId) => !blocklist.has(peerId))
    // Itself first, then the others by name.
    return this.views([this.me, ...others]).sort(
      (a, b) =>
        Number(b.self) - Number(a.self) ||
        a.displayName.localeCompare(b.displayName) ||
        a.peerId.localeCompare(b.peerId),
    )
  }

  profile(peerId: string): { member: MemberView; signed: SignedProfileRecordJson } | null {
    const signed = peerId === this.me ? this.own : this.profiles.get(peerId)?.signed
    const [member] = this.views([peerId])
    return signed && member ? { member, signed: signedProfileToJson(signed) } : null
  }

  // -- blocklist -----------------------------------------------------------------------------------

  async block(peerId: string): Promise<boolean> {
    checkPeerId(peerId, 'peerId')
    if (peerId === this.me) throw new ValidationError('A node cannot block itself', { path: 'peerId' })
    const added = await this.components.blocklist.add(peerId, this.now())
    // The connection gater refuses new connections; the open ones close now.
    await this.components.libp2p.hangUp(peerIdFromString(peerId)).catch(() => undefined)
    this.reportedStatus.delete(peerId)
    return added
  }

  async unblock(peerId: string): Promise<boolean> {
    checkPeerId(peerId, 'peerId')
    const removed = await this.components.blocklist.remove(peerId)
    if (removed) this.reportStatus(peerId)
    return removed
  }

  blocked(): { peerId: string; blockedAt: number; displayName: string | null; overCommitted: number }[] {
    const overCommitted = new Map<string, number>()
    for (const proof of this.components.market.overCommitments())
      overCommitted.set(proof.party, (overCommitted.get(proof.party) ?? 0) + 1)
    return this.components.blocklist.list().map(({ peerId, blockedAt }) => ({
      peerId,
      blockedAt,
      displayName: this.profiles.get(peerId)?.signed.profile.displayName ?? null,
      overCommitted: overCommitted.get(peerId) ?? 0,
    }))
  }

  // -- groups (member-groups.ts) -------------------------------------------------------------------

  groups(): GroupView[] {
    return this.memberGroups.list()
  }

  createGroup(name: string, members: string[]): Promise<GroupView> {
    return this.memberGroups.create(name, members)
  }

  addGroupMember(name: string, peerId: string): Promise<GroupView> {
    return this.memberGroups.addMember(name, peerId)
  }

  removeGroupMember(name: string, peerId: string): Promise<GroupView> {
    return this.memberGroups.removeMember(name, peerId)
  }
}

export function membersService(
  init: MembersServiceInit = {},
): (components: MembersServiceComponents) => MembersService {
  return (components) => new Members(components, init)
}
