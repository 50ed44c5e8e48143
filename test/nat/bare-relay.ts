// A bare circuit relay for the NAT harness: libp2p with TCP, noise, yamux, identify, ping and the relay
// server, and nothing of Cyclex, so the bytes through its host are the relayed ones (plus its own
// pings and reservations). Spoken to like test/nat/agent.ts: it prints {"ready": "<peerId>"} and
// stops on {"stop": true} or SIGTERM. Config in CYCLEX_AGENT_CONFIG: { listen: string[] }.
import { createInterface } from 'node:readline'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'

const config = JSON.parse(process.env.CYCLEX_AGENT_CONFIG ?? '{}') as { listen?: string[] }
const node = await createLibp2p({
  addresses: { listen: config.listen ?? ['/ip4/0.0.0.0/tcp/4002'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: {
    identify: identify(),
    ping: ping(),
    relay: circuitRelayServer({
      reservations: { maxReservations: 16, defaultDataLimit: BigInt(16 * 2 ** 20), defaultDurationLimit: 10 * 60_000 },
    }),
  },
})
process.stdout.write(`${JSON.stringify({ ready: node.peerId.toString() })}\n`)

let stopping: Promise<void> | undefined
const stop = (): Promise<void> => (stopping ??= Promise.resolve(node.stop()).then(() => process.exit(0)))
process.once('SIGTERM', () => void stop())
for await (const line of createInterface({ input: process.stdin })) {
  if (line.includes('"stop"')) {
    process.stdout.write(`${JSON.stringify({ id: 0, result: null })}\n`)
    break
  }
}
await stop()
