// `cyclex match`: read a market state (JSON, docs/matcher.md) on stdin, print the matcher's output.
// A state that does not validate prints the error (message, then its JSON: name, code, path) and
// exits 1; a wrong flag prints the usage and exits 2.
import { serializeError, ValidationError } from '../../../shared/errors'
import { matchFacts } from '../../../shared/market/book'
import { formatMatchResult, parseMarketState } from '../../../shared/market/state-json'
import type { CliCommand } from '../cli-command'
import { createNodeFactVerifier, nodeSha256 } from '../market-crypto'

const usage = `Usage: cyclex match [--require-signatures] < state.json

Reads a market state { "now": <ms>, "facts": [...] } on stdin and prints the proposals and
negotiations the matcher gives for it at "now" (the JSON forms are in docs/matcher.md).
Facts with a "signature" are checked against their owner; --require-signatures refuses facts
without one. Exits 1 with the validation error when the state is not valid.`

async function readAll(stream: NodeJS.ReadableStream, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) {
    signal.throwIfAborted()
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array))
  }
  return Buffer.concat(chunks).toString('utf8')
}

export const matchCommand: CliCommand = {
  name: 'match',
  summary: 'print the proposals and negotiations of a market state read on stdin',
  usage,
  async run(args, io, signal) {
    const requireSignatures = args.includes('--require-signatures')
    const unknown = args.find((arg) => arg !== '--require-signatures')
    if (unknown !== undefined) {
      io.stderr.write(`cyclex match: unknown argument '${unknown}'\n\n${usage}\n`)
      return 2
    }
    try {
      const text = await readAll(io.stdin, signal)
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch (error) {
        throw new ValidationError(`the state on stdin is not JSON: ${(error as Error).message}`)
      }
      const state = parseMarketState(json, {
        verifier: createNodeFactVerifier(),
        sha256: nodeSha256,
        requireSignature: requireSignatures,
      })
      io.stdout.write(formatMatchResult(matchFacts(state.facts, state.now)))
      return 0
    } catch (error) {
      const serialized = serializeError(error)
      io.stderr.write(`cyclex match: ${serialized.message}\n${JSON.stringify({ error: serialized })}\n`)
      return 1
    }
  },
}
