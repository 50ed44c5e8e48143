// `cyclex match` end to end (stdin -> stdout, exit code) and the golden vectors: each
// golden/<name>.state.json must give exactly the bytes of golden/<name>.output.json.
// UPDATE_GOLDEN=1 rewrites the vectors from the books below; review the diff like code.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { matchCommand } from '../../../src/main/core/commands/match'
import { factToJson, signFact, type IdentifiedFact } from '../../../src/shared/market'
import { agreement, amend, ask, bid, cancel, day0, decline, group, hour, peer, signerOf } from './helpers'

const goldenDir = join(import.meta.dirname, 'golden')

async function runMatch(input: string, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] }
  stdout.on('data', (chunk: Buffer) => chunks.stdout.push(chunk))
  stderr.on('data', (chunk: Buffer) => chunks.stderr.push(chunk))
  const code = await matchCommand.run(
    args,
    { stdin: Readable.from([Buffer.from(input)]), stdout, stderr },
    new AbortController().signal,
  )
  return { code, stdout: Buffer.concat(chunks.stdout).toString(), stderr: Buffer.concat(chunks.stderr).toString() }
}

function stateJson(now: number, facts: IdentifiedFact[]): string {
  return `${JSON.stringify({ now, facts: facts.map(factToJson) }, null, 2)}\n`
}

/** The books behind the golden vectors. */
function goldenBooks(): Record<string, string> {
  const now = day0 + hour
  const walkBid = bid({ owner: peer(1), quantity: 100, price: 1000, range: 1200, createdAt: day0 })
  const walk = [
    walkBid,
    bid({ owner: peer(3), quantity: 50, price: 900, createdAt: day0 + 1 }),
    ask({ owner: peer(2), quantity: 30, price: 800, createdAt: day0 + 2 }),
    ask({ owner: peer(4), quantity: 40, price: 1100, range: 1050, createdAt: day0 + 3 }),
    ask({ owner: peer(5), quantity: 100, price: 1500, range: 1400, createdAt: day0 + 4 }),
  ]
  const lab = group(6, 'lab', [1, 2])
  const seller = ask({ owner: peer(2), quantity: 100, price: 700, counterparties: { groups: [`${peer(6)}/lab`] } })
  const cancelled = ask({ owner: peer(4), quantity: 100, price: 500 })
  const declined = ask({ owner: peer(5), quantity: 100, price: 600 })
  const buyer = bid({ owner: peer(1), quantity: 150, price: 900 })
  const stranger = bid({ owner: peer(3), quantity: 10, price: 2000 })
  const facts = [
    lab,
    seller,
    cancelled,
    cancel(cancelled),
    declined,
    decline(buyer, declined),
    buyer,
    stranger,
    ...agreement(buyer, seller, 60),
    amend(buyer, { quantity: 120, seq: 1 }),
  ]
  const signed = [bid({ owner: peer(1), price: 1000 }), ask({ owner: peer(2), price: 950, createdAt: day0 - 10 })].map(
    (order) => {
      const fact = signFact(order.fact, signerOf(order.fact.owner === peer(1) ? 1 : 2))
      return { ...fact }
    },
  )
  return {
    'walk-cases': stateJson(now, walk),
    'facts-and-preferences': stateJson(now, facts),
    signed: stateJson(now, signed),
    empty: stateJson(now, []),
  }
}

describe('cyclex match', () => {
  it('prints the golden output of every golden state, byte for byte', async () => {
    if (process.env.UPDATE_GOLDEN) {
      for (const [name, state] of Object.entries(goldenBooks())) {
        writeFileSync(join(goldenDir, `${name}.state.json`), state)
        const { code, stdout } = await runMatch(state)
        expect(code).toBe(0)
        writeFileSync(join(goldenDir, `${name}.output.json`), stdout)
      }
    }
    const names = readdirSync(goldenDir).filter((file) => file.endsWith('.state.json'))
    expect(names.length).toBeGreaterThanOrEqual(4)
    for (const file of names) {
      const result = await runMatch(readFileSync(join(goldenDir, file), 'utf8'))
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(result.stdout).toBe(readFileSync(join(goldenDir, file.replace('.state.json', '.output.json')), 'utf8'))
    }
  })

  it('the golden states are still what the books in this file give', () => {
    for (const [name, state] of Object.entries(goldenBooks())) {
      expect(readFileSync(join(goldenDir, `${name}.state.json`), 'utf8')).toBe(state)
    }
  })

  it('exits 1 with the code, path and message of a bad state', async () => {
    const state = JSON.parse(readFileSync(join(goldenDir, 'walk-cases.state.json'), 'utf8'))
    state.facts[1].window.end = state.facts[1].window.start
    delete state.facts[1].id
    const result = await runMatch(JSON.stringify(state))
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    const [line, json] = result.stderr.trimEnd().split('\n')
    expect(line).toBe('cyclex match: facts[1].window.end must be after facts[1].window.start')
    expect(JSON.parse(json!)).toEqual({
      error: {
        name: 'InvalidFactError',
        code: 'ERR_INVALID_FACT',
        path: 'facts[1].window.end',
        message: 'facts[1].window.end must be after facts[1].window.start',
      },
    })
  })

  it('refuses a fact whose id or signature does not match, and text that is not JSON', async () => {
    const state = JSON.parse(readFileSync(join(goldenDir, 'signed.state.json'), 'utf8'))
    state.facts[0].price += 1
    const tampered = await runMatch(JSON.stringify(state))
    expect(tampered.code).toBe(1)
    expect(tampered.stderr).toMatch(/ERR_FACT_ID_MISMATCH/)
    delete state.facts[0].id
    const forged = await runMatch(JSON.stringify(state))
    expect(forged.stderr.split('\n')[0]).toBe(`cyclex match: signature does not match owner ${peer(1)}`)
    expect((await runMatch('{ now: 1')).code).toBe(1)
    expect(
      (await runMatch(readFileSync(join(goldenDir, 'walk-cases.state.json'), 'utf8'), ['--require-signatures'])).stderr,
    ).toMatch(/facts\[0\]\.signature is required/)
    expect((await runMatch('{}', ['--fast'])).code).toBe(2)
  })
})
