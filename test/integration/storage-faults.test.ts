// Storage faults: a data directory with garbage in the store's files, a damaged fact record, a damaged
// peer key or API token, a store another process holds, and a disk that is full. Each gives a clear,
// named error; the node refuses to start rather than run on a bad state (a damaged fact record that an
// intact snapshot holds a copy of is not read, see fact-log.ts); and a write that fails leaves nothing
// half-written.
import { spawn, type ChildProcess } from 'node:child_process'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import { MemoryLevel } from 'memory-level'
import { afterEach, describe, expect, it } from 'vitest'
import { loadOrCreateApiToken, apiTokenFileName } from '../../src/main/core/api-token'
import { ConfigError } from '../../src/shared/errors'
import { createNodeFactSigner } from '../../src/main/core/market-crypto'
import { openFactLog } from '../../src/main/core/market/fact-log'
import { createNode, type CyclexNode } from '../../src/main/core/node'
import { peerKeyFileName } from '../../src/main/core/peer-key'
import { storeDirectoryName, type RootDatabase, type Store } from '../../src/main/core/store'
import type { OrderView } from '../../src/shared/api/market'
import { encodeSignedFact, signFact, type OrderFact } from '../../src/shared/market'
import { makeTempDir, removeDir } from '../helpers/nodes'

const dirs: string[] = []
const children: ChildProcess[] = []
const running: CyclexNode[] = []

afterEach(async () => {
  for (const child of children.splice(0)) child.kill()
  await Promise.all(running.splice(0).map((node) => node.stop()))
  await Promise.all(dirs.splice(0).map(removeDir))
})

const hour = 3_600_000

function diskNode(dataDir: string): Promise<CyclexNode> {
  return createNode({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, inMemoryStore: false })
}

/** A data directory whose node placed one order and stopped cleanly. */
async function usedDataDir(): Promise<{ dataDir: string; orderId: string }> {
  const dataDir = await makeTempDir()
  dirs.push(dataDir)
  const node = await diskNode(dataDir)
  const now = Date.now()
  const order = (await node.api.call('market.place', {
    order: { side: 'bid', unit: 'flop', quantity: 5, price: 3, window: { start: now, end: now + hour } },
  })) as OrderView
  await node.stop()
  return { dataDir, orderId: order.id }
}

async function startFailure(dataDir: string): Promise<ConfigError> {
  let caught: unknown
  try {
    const node = await diskNode(dataDir)
    running.push(node)
    // On a store its last run stopped cleanly, the node answers from its start summary before its
    // load (starting-node.ts), and a damaged record then fails the load: `loaded` says so.
    await node.loaded
  } catch (error) {
    caught = error
  }
  expect(caught, 'the node started on a bad data directory').toBeInstanceOf(ConfigError)
  return caught as ConfigError
}

describe('storage faults', () => {
  it("garbage in the store's files: the node refuses to start, saying the store cannot be opened", async () => {
    const { dataDir } = await usedDataDir()
    const store = join(dataDir, storeDirectoryName)
    for (const file of await readdir(store)) {
      if (file === 'LOCK') continue
      await writeFile(join(store, file), Buffer.from('\u0000garbage\u00ff'.repeat(64)))
    }
    const error = await startFailure(dataDir)
    expect(error).toMatchObject({ code: 'ERR_CONFIG', path: 'dataDir' })
    expect(error.message).toMatch(/cannot be opened/)
    // The directory is left as it was, for a person to look at or restore.
    expect((await readFile(join(store, 'CURRENT'))).toString('latin1')).toMatch(/garbage/)
  })

  it("a truncated fact record, or one stored under another fact's key: the node refuses to start and names the record", async () => {
    for (const damage of ['truncate', 'misfile'] as const) {
      const { dataDir, orderId } = await usedDataDir()
      const db = new Level<string, string>(join(dataDir, storeDirectoryName))
      const facts = db.sublevel<string, Uint8Array>('facts', { valueEncoding: 'view' })
      const envelope = (await facts.get(orderId))!
      if (damage === 'truncate') {
        await facts.put(orderId, envelope.subarray(0, envelope.length - 7))
        await db.close()
        // The snapshot written at the clean stop holds the order, intact: the start takes it from there
        // and does not read the damaged record (fact-log.ts).
        const node = await diskNode(dataDir)
        expect(
          ((await node.api.call('market.myOrders', {})) as { orders: OrderView[] }).orders.map((order) => order.id),
        ).toEqual([orderId])
        await node.stop()
        // Without the snapshot (say it is damaged too), the record is read, and refused.
        await db.open()
        await db.sublevel<string, Uint8Array>('snapshots', { valueEncoding: 'view' }).clear()
      } else {
        await facts.put('bafyreibqyr7ei2cpg3sddsqpu6naxmxe2ltrf6pndllgsiusxwn55yyvga', envelope)
      }
      await db.close()
      const error = await startFailure(dataDir)
      expect(error).toMatchObject({ code: 'ERR_CONFIG', path: 'dataDir' })
      expect(error.message).toMatch(/^The store is damaged: /)
      expect(error.message).toContain(
        damage === 'truncate' ? orderId : 'under the key bafyreibqyr7ei2cpg3sddsqpu6naxmxe2ltrf6pndllgsiusxwn55yyvga',
      )
    }
  })

  it('a damaged or truncated peer key: the node refuses to start and leaves the key untouched', async () => {
    for (const damage of ['garbage', 'truncated'] as const) {
      const { dataDir } = await usedDataDir()
      const file = join(dataDir, peerKeyFileName)
      const key = await readFile(file)
      const bad = damage === 'garbage' ? Buffer.from('not a key at all') : key.subarray(0, key.length - 10)
      await writeFile(file, bad)
      const error = await startFailure(dataDir)
      expect(error.message).toMatch(/peer key file .* is not a libp2p private key/)
      expect(await readFile(file)).toEqual(bad)
    }
  })

  it("a damaged API token: a clear error, and the file is not replaced behind the user's back", async () => {
    const dataDir = await makeTempDir()
    dirs.push(dataDir)
    const file = join(dataDir, apiTokenFileName)
    await writeFile(file, 'short\n', { mode: 0o600 })
    await expect(loadOrCreateApiToken(dataDir)).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/API token file .* is damaged/),
    })
    expect(await readFile(file, 'utf8')).toBe('short\n')
  })

  it('a store held by another process: the node refuses to start and says the store is in use', async () => {
    const { dataDir } = await usedDataDir()
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { Level } from 'level'; const db = new Level(process.argv[1]); await db.open(); console.log('open'); setInterval(() => {}, 1000)",
        join(dataDir, storeDirectoryName),
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    )
    children.push(holder)
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('open') && resolve())
      holder.once('exit', (code) => reject(new Error(`the holder exited with ${code}`)))
    })
    const error = await startFailure(dataDir)
    expect(error.message).toMatch(/in use by another Cyclex node/)
    holder.kill()
    await new Promise((resolve) => holder.once('exit', resolve))
    // Once the other process is gone the node starts, with its order intact.
    const node = await diskNode(dataDir)
    running.push(node)
    expect(((await node.api.call('market.myOrders', {})) as { orders: OrderView[] }).orders).toHaveLength(1)
  })
})

/** A memory store whose writes fail with ENOSPC while `full` is set, as a full disk's would; it counts batches. */
function fullDiskLevel(): { db: MemoryLevel<string, string>; state: { full: boolean; batches: number } } {
  const db = new MemoryLevel<string, string>()
  const state = { full: false, batches: 0 }
  // abstract-level's storage hooks: every put and batch of every sublevel ends in one of these.
  const hooks = db as unknown as Record<'_batch' | '_put', (...args: unknown[]) => Promise<void>>
  for (const hook of ['_batch', '_put'] as const) {
    const original = hooks[hook].bind(db)
    hooks[hook] = async (...args: unknown[]) => {
      if (hook === '_batch') state.batches++
      if (state.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
      return original(...args)
    }
  }
  return { db, state }
}

function storeOver(db: RootDatabase): Store {
  return {
    db,
    jsonSublevel: (name) => db.sublevel(name, { valueEncoding: 'json' }),
    flush: async () => undefined,
    compact: async () => undefined,
    tableBytes: async () => 0,
    close: () => db.close(),
  }
}

describe('a full disk (simulated)', () => {
  it('a batch of facts that cannot be written is not half-written: neither the store nor the log holds any of it, and later writes work', async () => {
    const { db, state } = fullDiskLevel()
    await db.open()
    const log = await openFactLog(storeOver(db))
    const signer = createNodeFactSigner(new Uint8Array(32).fill(5))
    const now = Date.now()
    const facts = Array.from({ length: 20 }, (_, index) => {
      const fact: OrderFact = {
        kind: 'order',
        owner: signer.owner,
        side: 'ask',
        unit: 'flop',
        quantity: 1 + index,
        price: 5,
        window: { start: now, end: now + hour },
        createdAt: now,
        expiresAt: now + hour,
      }
      return signFact(fact, signer)
    })
    await log.add(facts.slice(0, 5))
    const fingerprintBefore = log.fingerprint.root()

    state.full = true
    const batchesBefore = state.batches
    await expect(log.add(facts.slice(5))).rejects.toMatchObject({ code: 'ENOSPC' })
    // Fifteen related facts, one batch: all or nothing.
    expect(state.batches - batchesBefore).toBe(1)
    expect(log.size).toBe(5)
    expect(facts.slice(5).some((fact) => log.has(fact.id))).toBe(false)
    expect(log.fingerprint.root()).toEqual(fingerprintBefore)

    state.full = false
    const reopened = await openFactLog(storeOver(db))
    expect(reopened.size).toBe(5)
    expect(await log.add(facts.slice(5))).toHaveLength(15)
    expect((await openFactLog(storeOver(db as unknown as RootDatabase))).size).toBe(20)
    expect(encodeSignedFact(reopened.get(facts[0]!.id)!)).toEqual(encodeSignedFact(facts[0]!))
    await db.close()
  })
})
