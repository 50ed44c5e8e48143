// The members service against stubbed components (a pubsub that records what is published and hands
// messages to the registered validator, a market with no orders, an in-memory store) on a fake clock:
// status follows the heartbeats and their intervals, a goodbye is offline at once, the profile is
// republished when it changes, the list survives a restart of the service, and so does the presence
// the user chose (kept in the settings, as node.ts keeps it).
import { defaultLogger } from '@libp2p/logger'
import { tmpdir } from 'node:os'
import { TopicValidatorResult, type Message, type PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ApiEvent } from '../../../src/shared/api/contract'
import { encodeSignedProfile, profileFromSystem, signProfile } from '../../../src/shared/benchmark/profile'
import { createNodeFactSigner, createNodeFactVerifier, nodeSha256 } from '../../../src/main/core/market-crypto'
import type { MarketPubSub } from '../../../src/main/core/market/gossip'
import { openBlocklist } from '../../../src/main/core/members/blocklist'
import {
  membersService,
  type MembersService,
  type MembersServiceComponents,
} from '../../../src/main/core/members/members-service'
import {
  decodeMemberMessage,
  encodeMemberMessage,
  membersTopic,
  signPresence,
  type PresenceStatus,
} from '../../../src/main/core/members/wire'
import { openSettingsStore } from '../../../src/main/core/settings-store'
import { openStore, type Store } from '../../../src/main/core/store'

const me = createNodeFactSigner(new Uint8Array(32).fill(3))
const bob = createNodeFactSigner(new Uint8Array(32).fill(4))
const verifier = createNodeFactVerifier()
const heartbeatMs = 1_000

class StubPubSub {
  readonly topicValidators = new Map<string, (peer: PeerId, message: Message) => TopicValidatorResult>()
  readonly published: Uint8Array[] = []
  subscribe(): void {}
  unsubscribe(): void {}
  addEventListener(): void {}
  removeEventListener(): void {}
  getSubscribers(): PeerId[] {
    return []
  }
  async publish(_topic: string, data: Uint8Array): Promise<void> {
    this.published.push(data)
  }
  deliver(data: Uint8Array): TopicValidatorResult {
    const validate = this.topicValidators.get(membersTopic)!
    return validate(peerIdFromString(bob.owner), { type: 'unsigned', topic: membersTopic, data })
  }
}

let store: Store
let pubsub: StubPubSub
let events: ApiEvent[]
let displayName: string
let reachable: boolean
const services: MembersService[] = []

async function startService(presence: Partial<MembersServiceComponents> = {}): Promise<MembersService> {
  const components: MembersServiceComponents = {
    ...presence,
    pubsub: pubsub as unknown as MarketPubSub,
    libp2p: { hangUp: async () => undefined },
    store,
    blocklist: await openBlocklist(store),
    signer: me,
    verifier,
    dataDir: tmpdir(),
    displayName: () => displayName,
    benchmarkProfile: async () => undefined,
    reachable: () => reachable,
    market: {
      book: { groupMembers: () => new Map() } as never,
      liveOrderCount: () => 0,
      agreements: () => [],
      overCommitments: () => [],
      publishGroup: async () => {
        throw new Error('not used')
      },
    },
    emit: (event) => events.push(event),
    logger: defaultLogger(),
  }
  const service = membersService({ heartbeatMs })(components)
  await service.start()
  services.push(service)
  return service
}

function heartbeat(status: PresenceStatus, at = Date.now()): Uint8Array {
  return encodeMemberMessage(
    signPresence({ kind: 'presence', owner: bob.owner, status, at, intervalMs: heartbeatMs }, bob),
  )
}

function bobProfile(name: string): Uint8Array {
  return encodeSignedProfile(
    signProfile({ ...profileFromSystem(bob.owner, name, { cores: 4 }), publishedAt: Date.now() }, bob, nodeSha256),
  )
}

function statusEvents(peerId: string): string[] {
  return events.flatMap((event) =>
    event.type === 'member.status' && event.data.peerId === peerId ? [event.data.status] : [],
  )
}

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] })
  vi.setSystemTime(1_800_000_000_000)
  store = await openStore({ dataDir: tmpdir(), inMemory: true })
  pubsub = new StubPubSub()
  events = []
  displayName = 'Me'
  reachable = false
})

afterEach(async () => {
  await Promise.all(services.splice(0).map(async (service) => service.stop()))
  await store.close()
  vi.useRealTimers()
})

describe('the members service', () => {
  it('publishes a minimal profile and a heartbeat at start, and a new profile when the name changes', async () => {
    const service = await startService()
    const sent = pubsub.published.map((bytes) => decodeMemberMessage(bytes, verifier))
    expect(sent.map((message) => message.kind).sort()).toEqual(['presence', 'profile'])
    const profile = sent.find((message) => message.kind === 'profile')!
    expect(profile.signed).toMatchObject({ profile: { owner: me.owner, displayName: 'Me', publishedAt: Date.now() } })
    expect(service.list()).toMatchObject([{ peerId: me.owner, self: true, displayName: 'Me', gflopsPerCore: null }])

    pubsub.published.length = 0
    await vi.advanceTimersByTimeAsync(heartbeatMs)
    // An unchanged profile is not sent again; the heartbeat is.
    expect(pubsub.published.map((bytes) => decodeMemberMessage(bytes, verifier).kind)).toEqual(['presence'])
    displayName = 'Renamed'
    await service.refreshProfile()
    const last = decodeMemberMessage(pubsub.published.at(-1)!, verifier)
    expect(last).toMatchObject({ kind: 'profile', signed: { profile: { displayName: 'Renamed' } } })
  })

  it('says in its profile that the node can be reached from the internet, once it can, and no more once it cannot', async () => {
    const service = await startService()
    const lastProfile = () => {
      const message = decodeMemberMessage(
        pubsub.published.filter((bytes) => decodeMemberMessage(bytes, verifier).kind === 'profile').at(-1)!,
        verifier,
      )
      return message.kind === 'profile' ? message.signed.profile : undefined
    }
    expect(lastProfile()).not.toHaveProperty('reachable')
    reachable = true
    await service.refreshProfile()
    expect(lastProfile()).toMatchObject({ reachable: true })
    reachable = false
    await service.refreshProfile()
    expect(lastProfile()).not.toHaveProperty('reachable')
  })

  it("follows a member's heartbeats: online, away, offline after three intervals, and offline at once on goodbye", async () => {
    const service = await startService()
    expect(pubsub.deliver(bobProfile('Bob'))).toBe(TopicValidatorResult.Accept)
    expect(service.list().find((member) => member.peerId === bob.owner)).toMatchObject({
      displayName: 'Bob',
      status: 'offline',
    })

    expect(pubsub.deliver(heartbeat('online'))).toBe(TopicValidatorResult.Accept)
    expect(service.list().find((member) => member.peerId === bob.owner)?.status).toBe('online')
    // The same heartbeat again is a duplicate.
    await vi.advanceTimersByTimeAsync(10)
    expect(pubsub.deliver(heartbeat('online', Date.now() - 10))).toBe(TopicValidatorResult.Ignore)

    await vi.advanceTimersByTimeAsync(heartbeatMs)
    pubsub.deliver(heartbeat('away'))
    expect(service.list().find((member) => member.peerId === bob.owner)?.status).toBe('away')

    await vi.advanceTimersByTimeAsync(2.5 * heartbeatMs)
    expect(service.list().find((member) => member.peerId === bob.owner)?.status).toBe('away')
    await vi.advanceTimersByTimeAsync(heartbeatMs)
    expect(service.list().find((member) => member.peerId === bob.owner)?.status).toBe('offline')
    expect(statusEvents(bob.owner)).toEqual(['online', 'away', 'offline'])

    pubsub.deliver(heartbeat('online'))
    pubsub.deliver(heartbeat('offline', Date.now() + 1))
    expect(service.list().find((member) => member.peerId === bob.owner)?.status).toBe('offline')
    expect(statusEvents(bob.owner)).toEqual(['online', 'away', 'offline', 'online', 'offline'])
    expect(service.list().find((member) => member.peerId === bob.owner)?.lastSeen).toBe(Date.now())
  })

  it('keeps the members it knew across a restart, offline until heard again, and hides a blocked one', async () => {
    const first = await startService()
    pubsub.deliver(bobProfile('Bob'))
    pubsub.deliver(heartbeat('online'))
    await first.stop()

    const again = await startService()
    expect(again.list().map((member) => [member.displayName, member.status])).toEqual([
      ['Me', 'online'],
      ['Bob', 'offline'],
    ])
    expect(await again.block(bob.owner)).toBe(true)
    expect(again.list().map((member) => member.displayName)).toEqual(['Me'])
    expect(again.blocked()).toEqual([
      { peerId: bob.owner, blockedAt: Date.now(), displayName: 'Bob', overCommitted: 0 },
    ])
    // What a blocked owner sends is ignored.
    expect(pubsub.deliver(bobProfile('Bob again'))).toBe(TopicValidatorResult.Ignore)
  })

  it('keeps the presence the user chose in the settings and says it again from the first heartbeat after a restart', async () => {
    const settings = await openSettingsStore(store)
    const keptInSettings = {
      savedPresence: () => settings.get().presence ?? 'online',
      savePresence: (presence: 'online' | 'away') => settings.update({ presence }),
    }
    const ownHeartbeats = () =>
      pubsub.published.flatMap((bytes) => {
        const message = decodeMemberMessage(bytes, verifier)
        return message.kind === 'presence' ? [message.signed.presence.status] : []
      })
    const first = await startService(keptInSettings)
    expect(await first.setPresence('away')).toBe('away')
    expect(settings.get().presence).toBe('away')
    await first.stop()

    pubsub.published.length = 0
    // As at a new start: the settings read again from the store.
    const reopened = await openSettingsStore(store)
    const again = await startService({ savedPresence: () => reopened.get().presence ?? 'online' })
    expect(ownHeartbeats()[0]).toBe('away')
    expect(again.list()[0]).toMatchObject({ self: true, status: 'away' })
  })

  it('says no presence it could not keep: setPresence fails with the store’s error and the node stays online', async () => {
    const service = await startService({
      savedPresence: () => 'online',
      savePresence: async () => {
        throw new Error('the disk is full')
      },
    })
    pubsub.published.length = 0
    await expect(service.setPresence('away')).rejects.toThrow('the disk is full')
    expect(service.list()[0]?.status).toBe('online')
    expect(pubsub.published).toHaveLength(0)
  })
})
