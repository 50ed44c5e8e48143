// `cyclex bench`: the node's benchmark without the window. It opens the node of a data directory
// (its store keeps the run and the signed profile, as a run from the Benchmark page would), runs the
// benchmark through the same API the UI uses, prints progress on stderr and the figures on stdout.
import { stageTitles } from '../../../shared/benchmark/stages'
import type { BenchmarkOutcome, BenchmarkRun } from '../../../shared/benchmark/schema'
import type { SignedProfileJson } from '../../../shared/benchmark/profile'
import { BenchmarkCancelledError } from '../../../shared/benchmark/errors'
import { ConfigError, errorFromJSON } from '../../../shared/errors'
import { type CliCommand, type CliIo, defaultDataDir, parseFlags } from '../cli-command'
import { createNode } from '../node'

const usage = `Usage: cyclex bench [options]

Measures this machine as a Cyclex seller: GFLOPS in float64 and float32 on one core and on all
cores, storage, system and network. The run and the node's signed member profile are kept in the
data directory's store (a node serving that directory must be stopped first, or use its Benchmark page).

Options:
  --data DIR       data directory; default ~/.cyclex
  --quick          a short run (a few seconds) instead of the full one
  --workers N      at most N workers for the all-cores stages; default: every logical core
  --peer ADDR      measure throughput to this peer, ending in /p2p/<peerId> (repeatable)
  --json           print the run and the signed profile as JSON
  -h, --help       show this help`

export interface BenchOptions {
  dataDir: string
  quick: boolean
  workers: number | undefined
  peers: string[]
  json: boolean
}

export function parseBenchArgs(args: string[]): BenchOptions | 'help' {
  const { values } = parseFlags({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      data: { type: 'string' },
      quick: { type: 'boolean' },
      workers: { type: 'string' },
      peer: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return 'help'
  let workers: number | undefined
  if (values.workers !== undefined) {
    workers = Number(values.workers)
    if (!/^\d+$/.test(values.workers) || workers < 1 || workers > 1024) {
      throw new ConfigError(`--workers must be a whole number from 1 to 1024, not '${values.workers}'`, {
        path: 'workers',
      })
    }
  }
  return {
    dataDir: values.data ?? defaultDataDir(),
    quick: values.quick ?? false,
    workers,
    peers: values.peer ?? [],
    json: values.json ?? false,
  }
}

function fixed(value: number, digits = 2): string {
  return value.toFixed(digits)
}

/** The figures as a person reads them. */
export function formatRun(run: BenchmarkRun, profile: SignedProfileJson | null): string {
  const { cpu, storage, system, network } = run
  const line = (label: string, value: string): string => `  ${label.padEnd(26)}${value}\n`
  const compute = (figure: BenchmarkRun['cpu']['f64Single']): string =>
    `${fixed(figure.gflops)} GFLOPS  (${figure.multiplies} x ${figure.matrixSize}^3 products, ${figure.workers} worker${figure.workers === 1 ? '' : 's'}, ${fixed(figure.seconds)} s)`
  let text = `Cyclex benchmark (${run.mode}) ${new Date(run.measuredAt).toISOString()}\n\n`
  text += `CPU  ${cpu.model}, ${cpu.logicalCores} logical cores${cpu.clockMHz > 0 ? ` at ${cpu.clockMHz} MHz` : ''}, ${cpu.runtime}\n`
  text += line(stageTitles['cpu-f64-single'], compute(cpu.f64Single))
  text += line(stageTitles['cpu-f64-multi'], compute(cpu.f64Multi))
  text += line(stageTitles['cpu-f32-single'], compute(cpu.f32Single))
  text += line(stageTitles['cpu-f32-multi'], compute(cpu.f32Multi))
  text += `Storage  ${storage.path}\n`
  text += line('free', `${fixed(storage.freeBytes / 1e9, 1)} GB of ${fixed(storage.totalBytes / 1e9, 1)} GB`)
  text += line('sequential write', `${fixed(storage.writeMBps, 0)} MB/s (${storage.bytesTested / 2 ** 20} MiB, synced)`)
  text += line('sequential read', `${fixed(storage.readMBps, 0)} MB/s (may come from the OS cache)`)
  text += `System\n`
  text += line(
    'OS',
    `${system.os.name} (${system.os.family ?? 'unknown family'} ${system.os.version ?? ''}, ${system.os.arch})`.replace(
      ' ,',
      ',',
    ),
  )
  text += line('memory', `${fixed(system.memory.totalBytes / 2 ** 30, 1)} GiB`)
  text += `Network\n`
  for (const nic of network.interfaces.filter((entry) => !entry.internal)) {
    text += line(
      nic.name,
      `${nic.linkSpeedMbps === null ? 'link speed not reported' : `${nic.linkSpeedMbps} Mbit/s link`}, ${nic.addresses.map((entry) => entry.address).join(' ')}`,
    )
  }
  for (const peer of network.peers) {
    text += line(
      `peer ${peer.peerId.slice(0, 16)}...`,
      `up ${fixed(peer.uploadMbps, 0)} Mbit/s, down ${fixed(peer.downloadMbps, 0)} Mbit/s`,
    )
  }
  for (const failure of network.failures)
    text += line(`peer ${failure.peerId.slice(0, 16)}...`, `not measured: ${failure.reason}`)
  if (network.peers.length === 0 && network.failures.length === 0)
    text += line('peers', 'none connected: throughput not measured')
  if (profile) {
    const { gflopsPerCore, cores, storageGb, bandwidthMbps, os } = profile.profile
    text += `\nProfile ${profile.id} (signed by ${profile.profile.owner})\n`
    text += line(
      'offers',
      `${gflopsPerCore} GFLOPS/core x ${cores} cores, ${storageGb} GB, ${os ? `${os.family} ${os.version ?? ''}`.trim() : 'unknown OS'}${bandwidthMbps === undefined ? '' : `, ${bandwidthMbps} Mbit/s`}`,
    )
  }
  return text
}

export async function bench(options: BenchOptions, io: CliIo, signal: AbortSignal): Promise<number> {
  const node = await createNode({ dataDir: options.dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false })
  const onInterrupt = (): void => void node.api.call('benchmark.cancel', {})
  process.once('SIGINT', onInterrupt)
  signal.addEventListener('abort', onInterrupt, { once: true })
  try {
    for (const address of options.peers) await node.api.call('node.connect', { address })
    // This node is private to the command, so every benchmark event is this run's (the first
    // progress event may even arrive before benchmark.start answers).
    const outcome = await new Promise<BenchmarkOutcome>((resolve, reject) => {
      let lastStage = ''
      const unsubscribe = node.api.subscribe((event) => {
        if (event.type === 'benchmark.progress' && !options.json) {
          if (event.data.stage !== lastStage) {
            lastStage = event.data.stage
            io.stderr.write(`${lastStage === 'cpu-f64-single' ? '' : '\n'}${stageTitles[event.data.stage]} `)
          }
          if (event.data.fraction === 1) io.stderr.write('done')
        }
        if (event.type === 'benchmark.result') {
          unsubscribe()
          if (!options.json) io.stderr.write('\n\n')
          resolve(event.data)
        }
      })
      node.api
        .call('benchmark.start', { quick: options.quick, ...(options.workers ? { maxWorkers: options.workers } : {}) })
        .catch((error: unknown) => {
          unsubscribe()
          reject(error instanceof Error ? error : new Error(String(error)))
        })
    })
    if (outcome.outcome === 'cancelled') throw new BenchmarkCancelledError('The benchmark was cancelled')
    if (outcome.outcome === 'failed') throw errorFromJSON(outcome.error)
    const profile = (await node.api.call('benchmark.profile', {})) as SignedProfileJson | null
    io.stdout.write(
      options.json ? `${JSON.stringify({ run: outcome.run, profile }, null, 2)}\n` : formatRun(outcome.run, profile),
    )
    return 0
  } finally {
    process.off('SIGINT', onInterrupt)
    signal.removeEventListener('abort', onInterrupt)
    await node.stop()
  }
}

export const benchCommand: CliCommand = {
  name: 'bench',
  summary: 'measure this machine (GFLOPS, storage, system, network) and sign its member profile',
  usage,
  async run(args, io, signal) {
    const options = parseBenchArgs(args)
    if (options === 'help') {
      io.stdout.write(`${usage}\n`)
      return 0
    }
    return bench(options, io, signal)
  },
}
