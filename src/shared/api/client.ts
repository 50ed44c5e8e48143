// The renderer's side of a transport: every answer and event is checked against the contract before
// a page sees it, and an error answer is rebuilt as the named error class the node threw.
import { CyclexError, errorFromJSON, isSerializedError } from '../errors'
import {
  commands,
  events,
  type ApiClient,
  type ApiEvent,
  type CommandName,
  type CommandParams,
  type CommandResult,
} from './contract'
import { parseWith } from './schema'

/** The raw wire: send a call and get `{ result }` or `{ error }` back; receive raw events. */
export interface Transport {
  readonly kind: ApiClient['transport']
  send(name: string, params: unknown): Promise<unknown>
  listen(listener: (event: unknown) => void): () => void
}

export type CallAnswer = { result: unknown } | { error: unknown }

export function decodeAnswer<Name extends CommandName>(name: Name, answer: unknown): CommandResult<Name> {
  if (typeof answer === 'object' && answer !== null && 'error' in answer) {
    const error = answer.error
    throw isSerializedError(error) ? errorFromJSON(error) : new CyclexError(`${name} failed`)
  }
  if (typeof answer !== 'object' || answer === null || !('result' in answer)) {
    throw new CyclexError(`The node's answer to ${name} has neither a result nor an error`)
  }
  return parseWith(commands[name].result, answer.result, `${name} result`) as CommandResult<Name>
}

export function decodeEvent(raw: unknown): ApiEvent | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined
  const { type, data } = raw as { type?: unknown; data?: unknown }
  if (typeof type !== 'string' || !Object.hasOwn(events, type)) return undefined
  const schema = events[type as keyof typeof events]
  const parsed = schema.safeParse(data)
  return parsed.success ? ({ type, data: parsed.data } as ApiEvent) : undefined
}

export function createApiClient(transport: Transport): ApiClient {
  // Every subscriber (each of a page's queries, a dozen on the market page) hears every event. The HTTP
  // transport hands all of them the one object it parsed, so that is checked against the contract once,
  // not once per subscriber; an object seen before answers what its first check did.
  const decoded = new WeakMap<object, ApiEvent | undefined>()
  const decodeOnce = (raw: unknown): ApiEvent | undefined => {
    if (typeof raw !== 'object' || raw === null) return undefined
    if (decoded.has(raw)) return decoded.get(raw)
    const event = decodeEvent(raw)
    decoded.set(raw, event)
    return event
  }
  return {
    transport: transport.kind,
    async call<Name extends CommandName>(name: Name, params: CommandParams<Name>): Promise<CommandResult<Name>> {
      return decodeAnswer(name, await transport.send(name, params))
    },
    subscribe(listener) {
      return transport.listen((raw) => {
        const event = decodeOnce(raw)
        if (event) listener(event)
      })
    },
  }
}
