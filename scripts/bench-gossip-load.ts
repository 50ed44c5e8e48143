// What bench:overhead and bench:transport-floor share: a node in a child process under a paced
// gossip load from raw peers in this process, and the waits around a measured window.
import type { ChildProcess } from 'node:child_process'
import type { startRawHost } from '../test/helpers/raw-peer'

type Peer = Awaited<ReturnType<typeof startRawHost>>

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The child's next message of this type; rejects if the child (named `what` in the error) exits first. */
export function nextMessage<T extends { type: string }>(
  child: ChildProcess,
  type: T['type'],
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T) => {
      if (message.type !== type) return
      child.off('message', onMessage)
      child.off('exit', onExit)
      resolve(message)
    }
    const onExit = (code: number | null) => reject(new Error(`${what} exited (${code}) before '${type}'`))
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

/** Until every peer sees the node (`peerId`) subscribed to `topic`; at most 30 s. */
export async function waitForSubscribers(peers: readonly Peer[], topic: string, peerId: string): Promise<void> {
  const subscribed = () =>
    peers.every(({ host }) => host.services.pubsub.getSubscribers(topic).some((peer) => peer.toString() === peerId))
  for (let waited = 0; !subscribed(); waited += 50) {
    if (waited > 30_000) throw new Error('the node did not subscribe to the peers within 30 s')
    await sleep(50)
  }
}

/**
 * Publishes `messages` on `topic` at `rate` a second from `started` on, round robin over the peers,
 * on a tick of `tickMs`; then waits out `seconds` from `started`.
 */
export async function publishPaced(
  peers: readonly Peer[],
  topic: string,
  messages: readonly Uint8Array[],
  { rate, tickMs, seconds, started }: { rate: number; tickMs: number; seconds: number; started: number },
): Promise<void> {
  let sent = 0
  while (sent < messages.length) {
    const due = Math.min(messages.length, Math.floor(((performance.now() - started) / 1000) * rate))
    for (; sent < due; sent++) {
      const { host } = peers[sent % peers.length]!
      void host.services.pubsub.publish(topic, messages[sent]!).catch(() => undefined)
    }
    await sleep(tickMs)
  }
  const remaining = seconds * 1000 - (performance.now() - started)
  if (remaining > 0) await sleep(remaining)
}

/**
 * Until `count()` reaches `target`, or stays the same for 3 s (polled every 250 ms): a node that fell
 * behind finishes what is in flight, and what gossip dropped on the way is not waited for.
 */
export async function untilCaughtUp(count: () => Promise<number>, target: number): Promise<void> {
  let last = -1
  for (let quiet = 0; quiet < 3_000;) {
    const counted = await count()
    if (counted >= target) return
    quiet = counted === last ? quiet + 250 : 0
    last = counted
    await sleep(250)
  }
}
