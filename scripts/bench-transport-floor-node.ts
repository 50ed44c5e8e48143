// The node under measurement of `npm run bench:transport-floor` (scripts/bench-transport-floor.ts), in
// a process of its own so that process.cpuUsage counts only what it spends: a libp2p host with a
// Cyclex node's transport setup and gossip settings (createHost: TCP, noise, the coalescing yamux,
// identify, ping, gossipsub) and nothing of the market: it subscribes to the orders topic with a
// validator that accepts every message, so that all it does is receive, forward to its other mesh
// peers, and emit. It says where it listens, and on 'begin' / 'end' reports its CPU time and the
// messages it received in between.
import { TopicValidatorResult } from '@libp2p/interface'
import { topics } from '../src/main/core/market/topics'
import { startRawHost } from '../test/helpers/raw-peer'

type Command = { type: 'begin' } | { type: 'count' } | { type: 'end' } | { type: 'stop' }

const send = (message: unknown) => process.send!(message)

const { host } = await startRawHost()
const pubsub = host.services.pubsub
pubsub.topicValidators.set(topics.orders, () => TopicValidatorResult.Accept)
pubsub.subscribe(topics.orders)
let received = 0
pubsub.addEventListener('message', (event) => {
  if (event.detail.topic === topics.orders) received++
})
let cpuAtBegin = process.cpuUsage()
let wallAtBegin = performance.now()
process.on('message', (command: Command) => {
  if (command.type === 'begin') {
    received = 0
    cpuAtBegin = process.cpuUsage()
    wallAtBegin = performance.now()
    send({ type: 'began' })
  } else if (command.type === 'count') {
    send({ type: 'count', received })
  } else if (command.type === 'end') {
    const cpu = process.cpuUsage(cpuAtBegin)
    send({
      type: 'ended',
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: performance.now() - wallAtBegin,
      received,
      rssBytes: process.memoryUsage().rss,
    })
  } else {
    void Promise.resolve(host.stop()).finally(() => process.exit(0))
  }
})
const address = host.getMultiaddrs().find((each) => each.toString().includes('/tcp/'))
send({ type: 'ready', address: address!.toString(), peerId: host.peerId.toString() })
