// A small internet in Linux network namespaces, for the NAT tests. Every address lives only inside
// the namespaces made here, all in 198.18.0.0/15 (reserved for network tests, RFC 2544):
//
//   internet  198.18.0.0/24   a bridge; the public node at 198.18.0.10, home router N at 198.18.0.(20+N)
//   home N    198.19.N.0/24   the router at .1, the home's node at .2 with the router as its gateway
//
// Each router masquerades its home behind its internet address and forwards nothing inbound that the
// home did not start: a home router's NAT, which keeps the source port when it can (a cone NAT to a
// hole punch) and drops unasked packets silently, as many do. `symmetric` adds --random-fully: every
// new connection from the home leaves from a fresh random port, as a symmetric NAT does, so no one
// can predict it.
// Nothing is done in the host's own namespace; remove() deletes every namespace (and so every link).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { NodeConfig } from '../../src/main/core/node'

export type NatKind = 'cone' | 'symmetric'

export interface Home {
  index: number
  kind: NatKind
  namespace: string
  router: string
  /** The home node's own address, on its LAN. */
  address: string
  /** The router's address on the internet: what others see the home at. */
  publicAddress: string
}

export const publicNodeAddress = '198.18.0.10'
/** A second public host, for a relay of its own (addPublicHost). */
export const secondPublicAddress = '198.18.0.11'

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

function inNamespace(namespace: string, ...command: string[]): void {
  execFileSync('ip', ['netns', 'exec', namespace, ...command], { stdio: ['ignore', 'ignore', 'pipe'] })
}

/** Why network namespaces cannot be made here, or null when they can. */
export function namespacesUnavailable(): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux, not ${process.platform}`
  if (process.getuid?.() !== 0) return 'making network namespaces needs root'
  for (const tool of ['ip', 'iptables']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
    } catch {
      return `${tool} is not installed (apt-get install iproute2 iptables)`
    }
  }
  const probe = `cxprobe-${randomBytes(3).toString('hex')}`
  try {
    ip('netns', 'add', probe)
    inNamespace(probe, 'iptables', '-t', 'nat', '-L', '-n')
  } catch (error) {
    return `cannot make a network namespace with a NAT table: ${(error as Error).message.split('\n')[0]}`
  } finally {
    try {
      ip('netns', 'del', probe)
    } catch {
      // it was never made
    }
  }
  return null
}

export class NatLab {
  readonly internet: string
  readonly publicNamespace: string
  readonly homes: Home[] = []
  private readonly namespaces: string[] = []

  private constructor(readonly id: string) {
    this.internet = `cx${id}-net`
    this.publicNamespace = `cx${id}-pub`
  }

  /** Build the internet, the public host and one home behind a router per entry of `kinds`. */
  static create(kinds: NatKind[]): NatLab {
    const lab = new NatLab(randomBytes(3).toString('hex'))
    try {
      lab.build(kinds)
    } catch (error) {
      lab.remove()
      throw error
    }
    return lab
  }

  private addNamespace(name: string): void {
    ip('netns', 'add', name)
    this.namespaces.push(name)
    ip('-n', name, 'link', 'set', 'lo', 'up')
  }

  private build(kinds: NatKind[]): void {
    this.addNamespace(this.internet)
    ip('-n', this.internet, 'link', 'add', 'br0', 'type', 'bridge')
    ip('-n', this.internet, 'link', 'set', 'br0', 'up')

    this.addNamespace(this.publicNamespace)
    ip('-n', this.internet, 'link', 'add', 'pub', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.publicNamespace)
    ip('-n', this.internet, 'link', 'set', 'pub', 'master', 'br0', 'up')
    ip('-n', this.publicNamespace, 'addr', 'add', `${publicNodeAddress}/24`, 'dev', 'eth0')
    ip('-n', this.publicNamespace, 'link', 'set', 'eth0', 'up')

    kinds.forEach((kind, offset) => {
      const index = offset + 1
      const router = `cx${this.id}-r${index}`
      const namespace = `cx${this.id}-h${index}`
      const publicAddress = `198.18.0.${20 + index}`
      this.addNamespace(router)
      ip('-n', this.internet, 'link', 'add', `r${index}`, 'type', 'veth', 'peer', 'name', 'wan', 'netns', router)
      ip('-n', this.internet, 'link', 'set', `r${index}`, 'master', 'br0', 'up')
      ip('-n', router, 'addr', 'add', `${publicAddress}/24`, 'dev', 'wan')
      ip('-n', router, 'link', 'set', 'wan', 'up')

      this.addNamespace(namespace)
      ip('-n', router, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace)
      ip('-n', router, 'addr', 'add', `198.19.${index}.1/24`, 'dev', 'lan')
      ip('-n', router, 'link', 'set', 'lan', 'up')
      ip('-n', namespace, 'addr', 'add', `198.19.${index}.2/24`, 'dev', 'eth0')
      ip('-n', namespace, 'link', 'set', 'eth0', 'up')
      ip('-n', namespace, 'route', 'add', 'default', 'via', `198.19.${index}.1`)

      inNamespace(router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
      inNamespace(
        router,
        'iptables',
        '-t',
        'nat',
        '-A',
        'POSTROUTING',
        '-o',
        'wan',
        '-j',
        'MASQUERADE',
        ...(kind === 'symmetric' ? ['--random-fully'] : []),
      )
      // Only answers come in: a connection from the internet to the home is dropped at the router.
      inNamespace(
        router,
        'iptables',
        '-A',
        'FORWARD',
        '-i',
        'wan',
        '-o',
        'lan',
        '-m',
        'conntrack',
        '--ctstate',
        'ESTABLISHED,RELATED',
        '-j',
        'ACCEPT',
      )
      inNamespace(router, 'iptables', '-A', 'FORWARD', '-i', 'wan', '-o', 'lan', '-j', 'DROP')
      // ...and the router itself drops what it did not ask for, without a word (a consumer router's
      // "stealth" mode). A router that answers an unexpected SYN with a reset instead kills a TCP
      // hole punch whose first SYN arrives before the other side's has left (docs/scaling.md §3).
      inNamespace(
        router,
        'iptables',
        '-A',
        'INPUT',
        '-i',
        'wan',
        '-m',
        'conntrack',
        '--ctstate',
        'ESTABLISHED,RELATED',
        '-j',
        'ACCEPT',
      )
      inNamespace(router, 'iptables', '-A', 'INPUT', '-i', 'wan', '-j', 'DROP')
      this.homes.push({ index, kind, namespace, router, address: `198.19.${index}.2`, publicAddress })
    })
  }

  /** Another host on the internet at `address` (in 198.18.0.0/24); returns its namespace. */
  addPublicHost(address: string): string {
    const index = this.namespaces.length
    const namespace = `cx${this.id}-p${index}`
    this.addNamespace(namespace)
    ip('-n', this.internet, 'link', 'add', `p${index}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace)
    ip('-n', this.internet, 'link', 'set', `p${index}`, 'master', 'br0', 'up')
    ip('-n', namespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0')
    ip('-n', namespace, 'link', 'set', 'eth0', 'up')
    return namespace
  }

  /** Bytes a host's interface has sent and received so far (the public host's by default). */
  publicInterfaceBytes(namespace = this.publicNamespace): { received: number; sent: number } {
    const text = execFileSync('ip', ['netns', 'exec', namespace, 'cat', '/proc/net/dev'], { encoding: 'utf8' })
    const line = text.split('\n').find((each) => each.trim().startsWith('eth0:'))
    const fields = line?.split(':')[1]?.trim().split(/\s+/).map(Number) ?? []
    return { received: fields[0] ?? 0, sent: fields[8] ?? 0 }
  }

  /** Delete every namespace made, the links with them. Safe to call twice. */
  remove(): void {
    for (const name of this.namespaces.splice(0).reverse()) {
      try {
        ip('netns', 'del', name)
      } catch {
        // already gone
      }
    }
  }
}

/** A node in a child process inside a namespace (test/nat/agent.ts), called over its stdin and stdout. */
export class NamespacedNode {
  private nextId = 1
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  private exited: Promise<void>
  readonly log: string[] = []

  private constructor(
    readonly peerId: string,
    private readonly child: ChildProcess,
    exited: Promise<void>,
  ) {
    this.exited = exited
  }

  /** Start `script` (default: the Cyclex agent) in the namespace with `config`. */
  static start(
    namespace: string,
    config: NodeConfig | { listen: string[] },
    timeoutMs = 60_000,
    script = 'agent.ts',
  ): Promise<NamespacedNode> {
    const agent = new URL(`./${script}`, import.meta.url).pathname
    const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, '--import', 'tsx', agent], {
      env: { ...process.env, CYCLEX_AGENT_CONFIG: JSON.stringify(config) },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    const log: string[] = []
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => log.push(chunk))
    // CYCLEX_NAT_LOG_DIR=dir keeps each node's stderr in a file there (with DEBUG=libp2p:..., a trace).
    const logDir = process.env.CYCLEX_NAT_LOG_DIR
    if (logDir) child.stderr.pipe(createWriteStream(join(logDir, `${namespace}-${script}-${child.pid}.log`)))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`the node in ${namespace} did not start within ${timeoutMs} ms: ${log.join('').slice(-2000)}`))
      }, timeoutMs)
      let node: NamespacedNode | undefined
      child.once('exit', (code) => {
        clearTimeout(timer)
        if (!node) reject(new Error(`the node in ${namespace} exited with ${code}: ${log.join('').slice(-2000)}`))
      })
      createInterface({ input: child.stdout }).on('line', (line) => {
        let message: { ready?: string; id?: number; result?: unknown; error?: { name: string; message: string } }
        try {
          message = JSON.parse(line) as typeof message
        } catch {
          return
        }
        if (message.ready !== undefined && !node) {
          clearTimeout(timer)
          node = new NamespacedNode(message.ready, child, exited)
          node.log.push(...log)
          child.stderr.on('data', (chunk: string) => node!.log.push(chunk))
          resolve(node)
          return
        }
        if (node && message.id !== undefined) node.answer(message.id, message.result, message.error)
      })
    })
  }

  private answer(id: number, result: unknown, error: { name: string; message: string } | undefined): void {
    const waiter = this.waiting.get(id)
    if (!waiter) return
    this.waiting.delete(id)
    if (error) waiter.reject(Object.assign(new Error(error.message), { name: error.name }))
    else waiter.resolve(result)
  }

  call<T = unknown>(command: string, params: unknown = {}, timeoutMs = 120_000): Promise<T> {
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id)
        reject(new Error(`${command} got no answer within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiting.set(id, {
        resolve: (value) => {
          clearTimeout(timer)
          resolve(value as T)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      })
      this.child.stdin!.write(`${JSON.stringify({ id, command, params })}\n`)
    })
  }

  /** Stop the node (it closes its store and sockets), or kill it after `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.stdin!.write(`${JSON.stringify({ id: 0, stop: true })}\n`)
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs)
    await this.exited
    clearTimeout(timer)
  }
}
