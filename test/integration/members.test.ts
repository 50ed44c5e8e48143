// Members across real nodes on 127.0.0.1: signed profiles and presence heartbeats spread over the
// members topic, a stopped node turns offline, the list survives a restart, and a forged profile
// from a raw libp2p peer is refused while that peer's own honest profile is taken.
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import type { MemberView } from '../../src/shared/api/members'
import { signProfile, profileFromSystem, encodeSignedProfile } from '../../src/shared/benchmark/profile'
import type { Host } from '../../src/main/core/libp2p-host'
import { createNodeFactSigner } from '../../src/main/core/market-crypto'
import { membersTopic } from '../../src/main/core/members/wire'
import type { CyclexNode } from '../../src/main/core/node'
import { makeTempDir, removeDir, startTestNode, waitFor } from '../helpers/nodes'
import { startRawHost } from '../helpers/raw-peer'

const running: CyclexNode[] = []
const hosts: Host[] = []
const dirs: string[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(hosts.splice(0).map(async (host) => host.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

// A member is offline after three intervals without a heartbeat: a second apiece, so that a machine
// busy enough to delay a timer by most of a second does not show a live node offline.
const heartbeatMs = 1_000

async function start(displayName: string, dataDir?: string): Promise<CyclexNode> {
  const dir = dataDir ?? (await makeTempDir())
  if (!dataDir) dirs.push(dir)
  const node = await startTestNode({
    dataDir: dir,
    inMemoryStore: false,
    members: { heartbeatMs, republishDelayMs: 100 },
    market: { epochMs: 300 },
  })
  running.push(node)
  await node.api.call('settings.update', { displayName })
  return node
}

async function members(node: CyclexNode): Promise<MemberView[]> {
  return ((await node.api.call('members.list', {})) as { members: MemberView[] }).members
}

async function connect(from: CyclexNode, to: CyclexNode): Promise<void> {
  await from.api.call('node.connect', { address: to.status().listenAddresses[0] })
}

function byPeer(list: MemberView[], peerId: string): MemberView | undefined {
  return list.find((member) => member.peerId === peerId)
}

/**
 * Bounded waits for what gossip does, generous enough for a machine busy with other work (the suite
 * failed at 20 s on one); a step that never happens still fails, after settleMs.
 */
const settleMs = 60_000
const testTimeoutMs = 300_000

describe('members across nodes', () => {
  it(
    'profiles and presence reach every node over two hops, a stopped node goes offline, and the list survives a restart',
    async () => {
      const alice = await start('Alice')
      const bob = await start('Bob')
      const carol = await start('Carol')
      // A line, Alice - Bob - Carol: what Alice and Carol know of each other passes through Bob.
      await connect(alice, bob)
      await connect(bob, carol)

      const everyone = [alice, bob, carol]
      const names = new Map([
        [alice.peerId, 'Alice'],
        [bob.peerId, 'Bob'],
        [carol.peerId, 'Carol'],
      ])
      await waitFor(
        async () => {
          for (const node of everyone) {
            const list = await members(node)
            if (list.length !== 3) return false
            for (const member of list)
              if (member.displayName !== names.get(member.peerId) || member.status !== 'online') return false
          }
          return true
        },
        'every node to list all three members online under their names',
        settleMs,
      )

      const aliceView = await members(alice)
      expect(aliceView[0]).toMatchObject({ peerId: alice.peerId, self: true, status: 'online' })
      const bobSeenByAlice = byPeer(aliceView, bob.peerId)!
      // No benchmark has run: the minimal profile states system facts and no measured figures.
      expect(bobSeenByAlice.gflopsPerCore).toBeNull()
      expect(bobSeenByAlice.cores).toBeGreaterThan(0)
      expect(bobSeenByAlice.lastSeen).toBeGreaterThan(Date.now() - settleMs)
      expect(bobSeenByAlice.publishedAt).toBeGreaterThan(0)
      const profile = (await alice.api.call('members.profile', { peerId: bob.peerId })) as {
        signed: { profile: { owner: string } }
      }
      expect(profile.signed.profile.owner).toBe(bob.peerId)

      // A renamed member publishes a new profile at once.
      await bob.api.call('settings.update', { displayName: 'Robert' })
      await waitFor(
        async () => byPeer(await members(carol), bob.peerId)?.displayName === 'Robert',
        'the new name to reach Carol',
        settleMs,
      )

      // Away is a status of its own.
      await carol.api.call('presence.set', { status: 'away' })
      await waitFor(
        async () => byPeer(await members(alice), carol.peerId)?.status === 'away',
        'Carol to show away on Alice',
        settleMs,
      )

      await carol.stop()
      await waitFor(
        async () => byPeer(await members(alice), carol.peerId)?.status === 'offline',
        'Carol to go offline on Alice',
        3 * heartbeatMs + settleMs,
      )
      await waitFor(
        async () => byPeer(await members(bob), carol.peerId)?.status === 'offline',
        'Carol to go offline on Bob',
        3 * heartbeatMs + settleMs,
      )
      await waitFor(
        async () => byPeer(await members(alice), bob.peerId)?.status === 'online',
        'Bob to stay online on Alice',
        settleMs,
      )

      // Restarted alone, Alice still lists the members it knew, offline until heard again.
      const aliceDir = alice.config.dataDir
      await alice.stop()
      const again = await start('Alice', aliceDir)
      const list = await members(again)
      expect(list.map((member) => member.peerId).sort()).toEqual([alice.peerId, bob.peerId, carol.peerId].sort())
      expect(byPeer(list, bob.peerId)).toMatchObject({ displayName: 'Robert', status: 'offline' })
    },
    testTimeoutMs,
  )

  it(
    "refuses a profile signed by someone other than its owner, and takes the sender's honest one",
    async () => {
      const node = await start('Honest')
      const { host: mallory, key: malloryKey } = await startRawHost()
      hosts.push(mallory)
      mallory.services.pubsub.subscribe(membersTopic)
      await mallory.dial(multiaddr(node.status().listenAddresses[0]))
      await waitFor(
        () => mallory.services.pubsub.getSubscribers(membersTopic).length > 0,
        'the node to subscribe for Mallory',
        settleMs,
      )

      const victim = createNodeFactSigner(new Uint8Array(32).fill(7))
      // The body names the victim as its owner; the signature is Mallory's.
      const claimed = profileFromSystem(victim.owner, 'Victim (forged)', { cores: 64 })
      const forgedBody = signProfile({ ...claimed, publishedAt: Date.now() }, victim)
      const forged = encodeSignedProfile({
        body: forgedBody.body,
        signature: signProfile({ ...profileFromSystem(malloryKey.owner, 'x', {}), publishedAt: Date.now() }, malloryKey)
          .signature,
      })
      await mallory.services.pubsub.publish(membersTopic, forged)
      const honest = signProfile(
        { ...profileFromSystem(malloryKey.owner, 'Mallory', { cores: 2 }), publishedAt: Date.now() },
        malloryKey,
      )
      await mallory.services.pubsub.publish(membersTopic, encodeSignedProfile(honest))

      await waitFor(
        async () => (await members(node)).some((member) => member.displayName === 'Mallory'),
        'the honest profile to be listed',
        settleMs,
      )
      const list = await members(node)
      expect(list.some((member) => member.peerId === victim.owner)).toBe(false)
      expect(list.map((member) => member.displayName).sort()).toEqual(['Honest', 'Mallory'])
    },
    testTimeoutMs,
  )

  it(
    'a blocked peer is cut off, refused and hidden until unblocked',
    async () => {
      const alice = await start('Alice')
      const bob = await start('Bob')
      await connect(bob, alice)
      await waitFor(
        async () => byPeer(await members(alice), bob.peerId)?.status === 'online',
        'Bob to be listed on Alice',
        settleMs,
      )

      expect(await alice.api.call('members.block', { peerId: bob.peerId })).toEqual({ blocked: true })
      expect(await alice.api.call('members.block', { peerId: bob.peerId })).toEqual({ blocked: false })
      await expect(alice.api.call('members.block', { peerId: alice.peerId })).rejects.toMatchObject({ path: 'peerId' })
      await waitFor(
        () => alice.status().peers.length === 0 && bob.status().peers.length === 0,
        'the connection to close',
        settleMs,
      )
      expect(byPeer(await members(alice), bob.peerId)).toBeUndefined()
      expect(await alice.api.call('members.blocked', {})).toMatchObject({
        peers: [{ peerId: bob.peerId, displayName: 'Bob' }],
      })

      // Neither way connects: Alice's dial is denied, Bob's is dropped once Alice knows who it is.
      await expect(connect(alice, bob)).rejects.toMatchObject({ name: 'ConnectionError' })
      await connect(bob, alice).catch(() => undefined)
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(alice.status().peers).toEqual([])
      expect(bob.status().peers).toEqual([])

      expect(await alice.api.call('members.unblock', { peerId: bob.peerId })).toEqual({ unblocked: true })
      await connect(bob, alice)
      await waitFor(
        async () => byPeer(await members(alice), bob.peerId)?.status === 'online',
        'Bob to be listed again',
        settleMs,
      )
    },
    testTimeoutMs,
  )
})
