// The dispute example of docs/protocol.md §8, read out of the document and checked against the code:
// the checker's seed gives its peer ID, each receipt's JSON signs to exactly the body, id and signature
// shown, and the annotated dispute body (with the receipts' envelopes spliced in by reference) is what
// signDispute gives, with its id and signature, and is accepted by decodeSignedDispute. Editing a byte
// of the document, or the encoding, fails this test.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createNodeFactSigner, createNodeFactVerifier, nodeSha256 } from '../../../src/main/core/market-crypto'
import { decodeSignedDispute, jobInputBytes, signDispute } from '../../../src/shared/delivery/dispute'
import { parseReceipt, signReceipt } from '../../../src/shared/delivery/receipt'
import { encodeSignedFact } from '../../../src/shared/market'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const doc = readFileSync(join(import.meta.dirname, '../../../docs/protocol.md'), 'utf8')

function section(): string {
  const start = doc.indexOf('\n## 8. Delivery records: a dispute')
  if (start < 0) throw new Error('docs/protocol.md has no "## 8. Delivery records: a dispute" section')
  const next = doc.indexOf('\n## ', start + 1)
  return next < 0 ? doc.slice(start) : doc.slice(start, next)
}

const blocks = [...section().matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({
  language: match[1]!,
  text: match[2]!,
}))

/** Every labelled value of the text blocks: the label at the left margin, the value on the indented lines below. */
const values = new Map<string, { stated?: number; lines: string[] }>()
for (const block of blocks.filter((each) => each.language === 'text')) {
  let current: { stated?: number; lines: string[] } | undefined
  for (const line of block.text.split('\n')) {
    if (line.trim() === '') continue
    if (/^\s/.test(line)) current!.lines.push(line)
    else {
      const match = /^(.+?)(?: \((\d+) bytes\))?$/.exec(line)!
      current = { lines: [], ...(match[2] === undefined ? {} : { stated: Number(match[2]) }) }
      values.set(match[1]!, current)
    }
  }
}

/** Hex bytes, "text" as UTF-8, <name> as the bytes of another value; `#` starts a comment. */
function bytesOf(label: string): Uint8Array {
  const value = values.get(label)
  if (value === undefined) throw new Error(`no "${label}" in §8`)
  const parts: number[] = []
  for (const line of value.lines) {
    for (const [token] of line.replace(/#.*$/, '').matchAll(/"[^"]*"|<[^>]+>|\S+/g)) {
      if (token.startsWith('"')) parts.push(...new TextEncoder().encode(token.slice(1, -1)))
      else if (token.startsWith('<')) parts.push(...bytesOf(token.slice(1, -1)))
      else if (/^[0-9a-f]{2}$/.test(token)) parts.push(Number.parseInt(token, 16))
      else throw new Error(`not a hex byte, "text" or <reference>: ${token}`)
    }
  }
  const bytes = Uint8Array.from(parts)
  if (value.stated !== undefined) expect(bytes.length, label).toBe(value.stated)
  return bytes
}

const textOf = (label: string): string => values.get(label)!.lines[0]!.trim()
const seed = (from: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, index) => from + index)
const seller = createNodeFactSigner(seed(0x01))
const buyer = createNodeFactSigner(seed(0x21))
const checker = createNodeFactSigner(bytesOf('checker seed'))
const verifier = createNodeFactVerifier()

describe('docs/protocol.md §8, a dispute', () => {
  const json = blocks.filter((each) => each.language === 'json').map((each) => parseReceipt(JSON.parse(each.text)))

  it('has the checker key and the two receipts, by the seller and the checker of one input', () => {
    expect(checker.owner).toBe(textOf('checker peer ID'))
    expect(json.map((receipt) => receipt.owner)).toEqual([seller.owner, checker.owner])
    const empty = jobInputBytes({
      module: Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00),
      args: [],
      stdin: new Uint8Array(),
    })
    for (const receipt of json) expect(receipt.inputSha256).toBe(hex(nodeSha256(empty)))
  })

  it.each([
    ['disputed', 0],
    ['check', 1],
  ] as const)('the %s receipt signs to the body, id and signature shown', (name, index) => {
    const signed = signReceipt(json[index]!, index === 0 ? seller : checker, nodeSha256)
    expect(hex(signed.body)).toBe(hex(bytesOf(`${name} body`)))
    expect(signed.id).toBe(textOf(`${name} id`))
    expect(hex(signed.signature)).toBe(hex(bytesOf(`${name} signature`)))
  })

  it('the annotated dispute body, id and signature are what signDispute gives, and the envelope is accepted', () => {
    const [disputed, check] = [signReceipt(json[0]!, seller, nodeSha256), signReceipt(json[1]!, checker, nodeSha256)]
    const signed = signDispute(disputed, check, buyer, 1735693320000, nodeSha256)
    expect(hex(signed.body)).toBe(hex(bytesOf('dispute body')))
    expect(signed.id).toBe(textOf('dispute id'))
    expect(hex(signed.signature)).toBe(hex(bytesOf('dispute signature')))
    const received = decodeSignedDispute(
      encodeSignedFact({ body: bytesOf('dispute body'), signature: bytesOf('dispute signature') }),
      verifier,
      nodeSha256,
    )
    expect(received.id).toBe(textOf('dispute id'))
    expect(received.disputed.receipt.outputSha256).not.toBe(received.check.receipt.outputSha256)
  })
})
