// A Cyclex node in a child process, driven over stdin and stdout: the NAT harness starts one inside a
// network namespace (`ip netns exec NS tsx test/nat/agent.ts`), where the test process cannot reach its
// 127.0.0.1, so the API travels as JSON lines instead of HTTP. The node is the one createNode builds
// for `cyclex serve`; the config comes in CYCLEX_AGENT_CONFIG.
//
// in:  {"id": 1, "command": "node.status", "params": {}}   or   {"id": 2, "stop": true}
// out: {"ready": "<peerId>"}, then {"id": 1, "result": ...} or {"id": 1, "error": {"name", "message"}}
import { createInterface } from 'node:readline'
import { createNode, type NodeConfig } from '../../src/main/core/node'

const config = JSON.parse(process.env.CYCLEX_AGENT_CONFIG ?? '{}') as NodeConfig
const node = await createNode(config)
const write = (message: unknown): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`)
}
write({ ready: node.peerId })

let stopping: Promise<void> | undefined
const stop = (): Promise<void> => (stopping ??= node.stop().then(() => process.exit(0)))
process.once('SIGTERM', () => void stop())

for await (const line of createInterface({ input: process.stdin })) {
  let request: { id: number; command?: string; params?: unknown; stop?: boolean }
  try {
    request = JSON.parse(line) as typeof request
  } catch {
    continue
  }
  if (request.stop) {
    write({ id: request.id, result: null })
    await stop()
    break
  }
  node.api
    .call(request.command as never, (request.params ?? {}) as never)
    .then((result) => write({ id: request.id, result }))
    .catch((error: unknown) =>
      write({ id: request.id, error: { name: (error as Error).name, message: (error as Error).message } }),
    )
}
await stop()
