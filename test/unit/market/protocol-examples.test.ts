// The worked examples of docs/protocol.md §7, read out of the document and checked against the code:
// the keys give the peer IDs shown, each fact's JSON encodes to exactly the body bytes shown, the id is
// the hash of those bytes, the signature is the one Ed25519 gives (it is deterministic), and the
// envelope is accepted on receipt. Editing a byte of the document, or the encoding, fails this test.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { createNodeFactSigner, createNodeFactVerifier } from '../../../src/main/core/market-crypto'
import {
  canonicalize,
  decodeSignedFact,
  encodeSignedFact,
  factIdOfBody,
  InvalidFactError,
  parseFact,
  publicKeyFromPeerId,
  signFact,
  signingMessage,
  type Fact,
  type FactSigner,
} from '../../../src/shared/market'

/** Bytes compared as hex: a Buffer and a Uint8Array of the same bytes are equal, and a difference reads well. */
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

const protocolDoc = readFileSync(join(import.meta.dirname, '../../../docs/protocol.md'), 'utf8')

/** The text of §7, up to the next top-level section. */
function workedExamplesSection(doc: string): string {
  const start = doc.indexOf('\n## 7. Worked examples')
  if (start < 0) throw new Error('docs/protocol.md has no "## 7. Worked examples" section')
  const next = doc.indexOf('\n## ', start + 1)
  return next < 0 ? doc.slice(start) : doc.slice(start, next)
}

interface Block {
  language: string
  text: string
}

function codeBlocks(section: string): Block[] {
  return [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({
    language: match[1]!,
    text: match[2]!,
  }))
}

interface Value {
  /** What the label says in parentheses, `(237 bytes)`: the stated length, if any. */
  statedLength?: number
  lines: string[]
}

/** A text block: a label at the left margin, its value on the indented lines below it. */
function labelledValues(text: string): Map<string, Value> {
  const values = new Map<string, Value>()
  let current: Value | undefined
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    if (/^\s/.test(line)) {
      if (current === undefined) throw new Error(`a value line before any label: ${line}`)
      current.lines.push(line)
      continue
    }
    const match = /^(.+?)(?: \((\d+) bytes\))?$/.exec(line)!
    current = { lines: [], ...(match[2] === undefined ? {} : { statedLength: Number(match[2]) }) }
    values.set(match[1]!, current)
  }
  return values
}

/** Hex bytes, "text" as its UTF-8 bytes, <name> as the bytes of the value of that name; `#` starts a comment. */
function bytesOf(value: Value, references: Record<string, Uint8Array> = {}): Uint8Array {
  const parts: number[] = []
  for (const line of value.lines) {
    const code = line.replace(/#.*$/, '')
    for (const [token] of code.matchAll(/"[^"]*"|<\w+>|\S+/g)) {
      if (token.startsWith('"')) parts.push(...new TextEncoder().encode(token.slice(1, -1)))
      else if (token.startsWith('<')) {
        const reference = references[token.slice(1, -1)]
        if (reference === undefined) throw new Error(`unknown reference ${token}`)
        parts.push(...reference)
      } else if (/^[0-9a-f]{2}$/.test(token)) parts.push(Number.parseInt(token, 16))
      else throw new Error(`not a hex byte, "text" or <reference>: ${token}`)
    }
  }
  const bytes = Uint8Array.from(parts)
  if (value.statedLength !== undefined) expect(bytes.length).toBe(value.statedLength)
  return bytes
}

function textOf(value: Value): string {
  expect(value.lines).toHaveLength(1)
  return value.lines[0]!.trim()
}

function required(values: Map<string, Value>, label: string): Value {
  const value = values.get(label)
  if (value === undefined) throw new Error(`no "${label}" in the block`)
  return value
}

interface TestKey {
  name: string
  seed: Uint8Array
  publicKey: Uint8Array
  peerId: string
}

interface Example {
  json: unknown
  values: Map<string, Value>
}

/** The keys (the text block before any JSON), and each fact: its JSON block and the text blocks after it. */
function readExamples(doc: string): { keys: TestKey[]; examples: Example[] } {
  const keys: TestKey[] = []
  const examples: Example[] = []
  for (const block of codeBlocks(workedExamplesSection(doc))) {
    if (block.language === 'json') {
      examples.push({ json: JSON.parse(block.text), values: new Map() })
      continue
    }
    const values = labelledValues(block.text)
    const current = examples.at(-1)
    if (current === undefined) {
      for (const label of values.keys()) {
        const name = /^(\w+) seed$/.exec(label)?.[1]
        if (name === undefined) continue
        keys.push({
          name,
          seed: bytesOf(required(values, `${name} seed`)),
          publicKey: bytesOf(required(values, `${name} public key`)),
          peerId: textOf(required(values, `${name} peer ID`)),
        })
      }
    } else {
      for (const [label, value] of values) current.values.set(label, value)
    }
  }
  return { keys, examples }
}

const { keys, examples } = readExamples(protocolDoc)
const verifier = createNodeFactVerifier()

function signerFor(owner: string): FactSigner {
  const key = keys.find((candidate) => candidate.peerId === owner)
  if (key === undefined) throw new Error(`no published test key for owner ${owner}`)
  return createNodeFactSigner(key.seed)
}

describe('docs/protocol.md §7, worked examples', () => {
  it('has the two test keys and the four facts (the ask, the bid, the take, the confirm)', () => {
    expect(keys.map((key) => key.name)).toEqual(['seller', 'buyer'])
    expect(examples.map((example) => (example.json as Fact).kind)).toEqual(['order', 'order', 'take', 'confirm'])
  })

  it.each(keys.map((key) => [key.name, key] as const))(
    'the %s key gives the public key and peer ID shown',
    (_name, key) => {
      expect(createNodeFactSigner(key.seed).owner).toBe(key.peerId)
      expect(hex(publicKeyFromPeerId(key.peerId))).toBe(hex(key.publicKey))
    },
  )

  it.each(keys.map((key) => [key.name, key] as const))(
    'libp2p makes the same %s peer ID from the seed',
    async (_name, key) => {
      const privateKey = await generateKeyPairFromSeed('Ed25519', key.seed)
      expect(peerIdFromPrivateKey(privateKey).toString()).toBe(key.peerId)
      expect(hex(privateKey.publicKey.raw)).toBe(hex(key.publicKey))
    },
  )

  it.each(examples.map((example) => [(example.json as Fact).kind, example] as const))(
    'a %s: body, annotated body, id, signed message, signature and envelope are what the code gives',
    (_kind, example) => {
      const { fact, body: encoded } = canonicalize(example.json)
      const body = bytesOf(required(example.values, 'body'))
      expect(hex(encoded)).toBe(hex(body))
      const annotated = example.values.get('body, annotated')
      if (annotated !== undefined) expect(hex(bytesOf(annotated))).toBe(hex(body))

      const id = textOf(required(example.values, 'id'))
      expect(factIdOfBody(body)).toBe(id)

      const message = example.values.get('signed message')
      if (message !== undefined) expect(hex(bytesOf(message))).toBe(hex(signingMessage(body)))

      const signature = bytesOf(required(example.values, 'signature'))
      const signed = signFact(fact, signerFor(fact.owner))
      expect(hex(signed.signature)).toBe(hex(signature))
      expect(signed.id).toBe(id)
      expect(verifier.verify(fact.owner, signingMessage(body), signature)).toBe(true)

      const envelopeValue = example.values.get('envelope')
      const envelope =
        envelopeValue === undefined
          ? encodeSignedFact({ body, signature })
          : bytesOf(envelopeValue, { body, signature })
      expect(hex(envelope)).toBe(hex(encodeSignedFact({ body, signature })))
      const received = decodeSignedFact(envelope, verifier)
      expect(received.id).toBe(id)
      expect(received.fact).toEqual(fact)
    },
  )

  it('the take names the bid and the ask shown, and the confirm names the take', () => {
    const [ask, bid, take, confirm] = examples.map((example) => ({
      fact: parseFact(example.json),
      id: textOf(required(example.values, 'id')),
    }))
    expect(ask!.fact).toMatchObject({ kind: 'order', side: 'ask', owner: keys[0]!.peerId })
    expect(bid!.fact).toMatchObject({ kind: 'order', side: 'bid', owner: keys[1]!.peerId })
    expect(take!.fact).toMatchObject({ kind: 'take', owner: keys[1]!.peerId, bid: bid!.id, ask: ask!.id })
    expect(confirm!.fact).toMatchObject({ kind: 'confirm', owner: keys[0]!.peerId, take: take!.id })
    const { validUntil } = take!.fact as Extract<Fact, { kind: 'take' }>
    expect(confirm!.fact.createdAt).toBeLessThanOrEqual(validUntil)
  })
})

describe('docs/protocol.md §2 and matcher.md §1: what the bytes hold', () => {
  const ask = examples[0]!.json as Record<string, unknown>
  const take = examples[2]!.json as Record<string, unknown>

  it('an unused optional field is omitted: null is refused, an empty map is another fact', () => {
    for (const field of ['range', 'capabilities', 'counterparties']) {
      expect(() => parseFact({ ...ask, [field]: null })).toThrow(InvalidFactError)
    }
    expect(() => parseFact({ ...ask, range: null })).toThrow('range must be a whole number of micro-credits, not null')
    const bid = examples[1]!.json as Record<string, unknown>
    expect(() => parseFact({ ...bid, requirements: null })).toThrow('requirements must be an object, not null')
    expect(() => parseFact({ ...ask, tip: 1 })).toThrow('tip is not a known field')
    const withEmpty = canonicalize({ ...ask, counterparties: {} })
    expect(factIdOfBody(withEmpty.body)).not.toBe(textOf(required(examples[0]!.values, 'id')))
  })

  it('ids inside bodies are text: a CID link in their place is refused', () => {
    const link = CID.parse(take.bid as string)
    expect(() => parseFact({ ...take, bid: link })).toThrow('bid must be text, not an object')
    const confirm = examples[3]!.json as Record<string, unknown>
    expect(() => parseFact({ ...confirm, take: CID.parse(confirm.take as string) })).toThrow(
      'take must be text, not an object',
    )
  })
})
