// `cyclex order ...` and `cyclex agreements`: scripting a running headless node. They talk to the node
// of a data directory through its local HTTP API, with the token and port it keeps there (the serve
// command writes the port to <data>/api-endpoint while it runs).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { httpCallPrefix } from '../../../shared/api/wire'
import type { AgreementView, OrderView } from '../../../shared/api/market'
import { ConfigError, CyclexError, errorFromJSON, isSerializedError } from '../../../shared/errors'
import { type CliCommand, type CliIo, defaultDataDir, parseFlags } from '../cli-command'
import { apiTokenFileName } from '../api-token'

export const apiEndpointFileName = 'api-endpoint'

export interface NodeEndpoint {
  port: number
  token: string
}

/** Where a running node of `dataDir` listens, and its token; a clear error when it is not running. */
export async function findRunningNode(dataDir: string): Promise<NodeEndpoint> {
  let endpoint: { port?: unknown }
  try {
    endpoint = JSON.parse(await readFile(join(dataDir, apiEndpointFileName), 'utf8')) as { port?: unknown }
  } catch {
    throw new ConfigError(`No Cyclex node is serving ${dataDir}; start one with: npm run serve -- --data ${dataDir}`)
  }
  if (typeof endpoint.port !== 'number')
    throw new ConfigError(`${join(dataDir, apiEndpointFileName)} is damaged; restart the node`)
  const token = (await readFile(join(dataDir, apiTokenFileName), 'utf8')).trim()
  return { port: endpoint.port, token }
}

export async function callNode<Result>(endpoint: NodeEndpoint, command: string, params: unknown): Promise<Result> {
  let response: Response
  try {
    response = await fetch(`http://127.0.0.1:${endpoint.port}${httpCallPrefix}${command}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${endpoint.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(params),
    })
  } catch (error) {
    throw new CyclexError(
      `The node at 127.0.0.1:${endpoint.port} does not answer (${(error as Error).message}); is it still running?`,
    )
  }
  const answer = (await response.json()) as { result?: unknown; error?: unknown }
  if (answer.error !== undefined) {
    throw isSerializedError(answer.error) ? errorFromJSON(answer.error) : new CyclexError(`${command} failed`)
  }
  return answer.result as Result
}

const durationUnits: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `now`, `+2h`, `+30m`, an ISO date, or ms since the epoch. */
export function parseTime(text: string, now: number, flag: string): number {
  if (text === 'now') return now
  const relative = /^\+(\d+)([smhd])$/.exec(text)
  if (relative) return now + Number(relative[1]) * durationUnits[relative[2]!]!
  if (/^\d+$/.test(text)) return Number(text)
  const parsed = Date.parse(text)
  if (Number.isNaN(parsed))
    throw new ConfigError(`${flag} '${text}' is not a time: use now, +30m, +2h, +1d, an ISO date or ms since the epoch`)
  return parsed
}

function wholeNumber(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text)) throw new ConfigError(`${flag} must be a whole number, not '${text}'`)
  return Number(text)
}

const usage = `Usage:
  cyclex order place --side bid|ask --unit flop|pageview --quantity N --price P [options]
  cyclex order list [--mine] [--unit flop|pageview] [--json]
  cyclex order cancel ORDER_ID
  cyclex order amend ORDER_ID [--price P] [--quantity N] [--range R]
  cyclex agreements [--json]

Scripts a running node (npm run serve) through its local API. Prices are whole micro-credits per
unit; quantities are GFLOP (flop) or page views (pageview).

Options:
  --data DIR        the node's data directory; default ~/.cyclex
  --start TIME      delivery window start: now, +30m, +2h, an ISO date; default now
  --end TIME        delivery window end; default +1h
  --expires TIME    when the order lapses; default the window's end
  --range R         negotiating range: a bid's highest acceptable ask, an ask's lowest acceptable bid
  --json            print JSON instead of a table`

function formatOrders(orders: OrderView[]): string {
  if (orders.length === 0) return 'No orders.\n'
  const rows = orders.map((order) =>
    [
      order.side,
      order.unit,
      String(order.remaining),
      String(order.price),
      order.status,
      order.mine ? 'mine' : order.owner.slice(-8),
      order.id,
    ].join('\t'),
  )
  return `side\tunit\tleft\tprice\tstatus\towner\tid\n${rows.join('\n')}\n`
}

function formatAgreements(agreements: AgreementView[]): string {
  if (agreements.length === 0) return 'No agreements.\n'
  const rows = agreements.map((agreement) =>
    [
      agreement.role ?? '-',
      agreement.unit,
      String(agreement.quantity),
      String(agreement.price),
      agreement.total,
      new Date(agreement.agreedAt).toISOString(),
      agreement.id,
    ].join('\t'),
  )
  return `role\tunit\tqty\tprice\ttotal\tagreed at\tid\n${rows.join('\n')}\n`
}

async function runOrder(args: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args
  const { values, positionals } = parseFlags({
    args: rest,
    strict: true,
    allowPositionals: true,
    options: {
      data: { type: 'string' },
      side: { type: 'string' },
      unit: { type: 'string' },
      quantity: { type: 'string' },
      price: { type: 'string' },
      range: { type: 'string' },
      start: { type: 'string' },
      end: { type: 'string' },
      expires: { type: 'string' },
      mine: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  })
  const endpoint = await findRunningNode(values.data ?? defaultDataDir())
  const now = Date.now()
  switch (action) {
    case 'place': {
      const start = parseTime(values.start ?? 'now', now, '--start')
      const draft: Record<string, unknown> = {
        side: values.side,
        unit: values.unit,
        quantity: wholeNumber(values.quantity, '--quantity'),
        price: wholeNumber(values.price, '--price'),
        window: { start, end: parseTime(values.end ?? '+1h', start, '--end') },
      }
      const range = wholeNumber(values.range, '--range')
      if (range !== undefined) draft.range = range
      if (values.expires !== undefined) draft.expiresAt = parseTime(values.expires, now, '--expires')
      const order = await callNode<OrderView>(endpoint, 'market.place', { order: draft })
      io.stdout.write(values.json ? `${JSON.stringify(order, null, 2)}\n` : `Placed ${order.side} ${order.id}\n`)
      return 0
    }
    case 'list': {
      const { orders } = values.mine
        ? await callNode<{ orders: OrderView[] }>(endpoint, 'market.myOrders', {})
        : await callNode<{ orders: OrderView[] }>(endpoint, 'market.book', values.unit ? { unit: values.unit } : {})
      io.stdout.write(values.json ? `${JSON.stringify(orders, null, 2)}\n` : formatOrders(orders))
      return 0
    }
    case 'cancel':
    case 'amend': {
      const order = positionals[0]
      if (order === undefined) throw new ConfigError(`cyclex order ${action} needs the order's id`)
      const params: Record<string, unknown> = { order }
      if (action === 'amend') {
        for (const field of ['price', 'quantity', 'range'] as const) {
          const value = wholeNumber(values[field], `--${field}`)
          if (value !== undefined) params[field] = value
        }
      }
      const result = await callNode<OrderView>(endpoint, `market.${action}`, params)
      io.stdout.write(
        values.json
          ? `${JSON.stringify(result, null, 2)}\n`
          : `${action === 'cancel' ? 'Cancelled' : 'Amended'} ${result.id} (${result.status})\n`,
      )
      return 0
    }
    default:
      throw new ConfigError(`cyclex order: unknown action '${action ?? ''}'; use place, list, cancel or amend`)
  }
}

export const orderCommand: CliCommand = {
  name: 'order',
  summary: 'place, list, amend or cancel orders on a running node',
  usage,
  async run(args, io) {
    if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
      io.stdout.write(`${usage}\n`)
      return args.length === 0 ? 2 : 0
    }
    return runOrder(args, io)
  },
}

export const agreementsCommand: CliCommand = {
  name: 'agreements',
  summary: 'list the agreements a running node knows',
  usage,
  async run(args, io) {
    const { values } = parseFlags({
      args,
      strict: true,
      options: { data: { type: 'string' }, json: { type: 'boolean' } },
    })
    const endpoint = await findRunningNode(values.data ?? defaultDataDir())
    const { agreements } = await callNode<{ agreements: AgreementView[] }>(endpoint, 'market.agreements', {})
    io.stdout.write(values.json ? `${JSON.stringify(agreements, null, 2)}\n` : formatAgreements(agreements))
    return 0
  },
}
