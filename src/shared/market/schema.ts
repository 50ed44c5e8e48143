// Validation of untrusted fact bodies (decoded from dag-cbor or parsed from JSON): a typed Fact, or an
// InvalidFactError naming the field (`window.end`) and saying what is wrong with it in plain words.
// Hand-written rather than a schema library: every rule has its own sentence, the result contains only
// known fields (so re-encoding it is the canonical-bytes check), and it is fast enough to run on
// every fact gossip delivers. What it accepts it gives back with exactly the keys and values it was
// given (only their order may differ): encoding.ts's readSignedFact relies on it to skip re-encoding a
// body the plain decoder read as canonical (test/unit/market/body-canonical-check.test.ts).
import { InvalidFactError } from './errors'
import {
  factKinds,
  osFamilies,
  sides,
  units,
  type AmendFact,
  type CancelFact,
  type Capabilities,
  type ConfirmFact,
  type Counterparties,
  type DeclineFact,
  type Fact,
  type GroupFact,
  type OrderFact,
  type RefreshFact,
  type Requirements,
  type TakeFact,
} from './facts'
import { publicKeyFromPeerId } from './peer-id'

type Plain = Record<string, unknown>

/** CIDv1, dag-cbor, sha2-256, base32: `bafyrei` + 52 characters, the last one with its padding bits zero. */
const factIdPattern = /^bafyrei[a-z2-7]{51}[aeimquy4]$/
const groupNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
/** Dotted numbers as operating systems write them, leading zeros included (Ubuntu's `22.04`); compared numerically. */
const versionPattern = /^[0-9]{1,9}(\.[0-9]{1,9}){0,3}$/
const maxPreferredCounterparties = 64

function join(prefix: string, field: string | number): string {
  if (typeof field === 'number') return `${prefix}[${field}]`
  return prefix === '' ? field : `${prefix}.${field}`
}

function fail(path: string, problem: string): never {
  throw new InvalidFactError(path === '' ? problem : `${path} ${problem}`, path === '' ? {} : { path })
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (value instanceof Uint8Array) return 'bytes'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'string') return 'text'
  return `a ${typeof value}`
}

function record(value: unknown, path: string, allowed: readonly string[]): Plain {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    fail(path, `must be an object, not ${describeValue(value)}`)
  }
  const plain = value as Plain
  for (const key in plain) {
    if (!allowed.includes(key)) fail(join(path, key), `is not a known field${path === '' ? '' : ` of ${path}`}`)
  }
  return plain
}

function present(object: Plain, field: string): boolean {
  return object[field] !== undefined
}

/** A whole number in [min, Number.MAX_SAFE_INTEGER]; `noun` names its unit in the error message. */
function integer(object: Plain, field: string, path: string, noun: string, min = 0): number {
  const value = object[field]
  // The common case first, before any path is joined: a safe whole number at least `min`.
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return value
  const at = join(path, field)
  if (value === undefined) fail(at, 'is required')
  if (typeof value === 'bigint') fail(at, `must be at most ${Number.MAX_SAFE_INTEGER}`)
  if (typeof value !== 'number' || Number.isNaN(value))
    fail(at, `must be a whole number of ${noun}, not ${describeValue(value)}`)
  if (!Number.isInteger(value)) fail(at, `must be a whole number of ${noun}`)
  if (value > Number.MAX_SAFE_INTEGER) fail(at, `must be at most ${Number.MAX_SAFE_INTEGER}`)
  if (value < min) fail(at, `must be at least ${min}`)
  return value
}

function text(object: Plain, field: string, path: string): string {
  const value = object[field]
  if (typeof value === 'string') return value
  const at = join(path, field)
  if (value === undefined) fail(at, 'is required')
  fail(at, `must be text, not ${describeValue(value)}`)
}

function oneOf<T extends string>(object: Plain, field: string, path: string, allowed: readonly T[]): T {
  const value = text(object, field, path)
  if (!(allowed as readonly string[]).includes(value)) {
    fail(join(path, field), `must be one of ${allowed.join(', ')}, not '${value.slice(0, 40)}'`)
  }
  return value as T
}

function list(object: Plain, field: string, path: string, maxLength: number): unknown[] {
  const value = object[field]
  const at = join(path, field)
  if (!Array.isArray(value)) fail(at, `must be a list, not ${describeValue(value)}`)
  if (value.length > maxLength) fail(at, `must have at most ${maxLength} entries`)
  return value
}

function peerId(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, `must be a peer ID (12D3KooW...), not ${describeValue(value)}`)
  publicKeyFromPeerId(value, path)
  return value
}

function factId(object: Plain, field: string, path: string): string {
  const value = text(object, field, path)
  if (!factIdPattern.test(value))
    fail(join(path, field), `must be a fact id (bafyrei... , 59 characters), not '${value.slice(0, 70)}'`)
  return value
}

function groupId(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, `must be a group ID (<owner peer ID>/<name>), not ${describeValue(value)}`)
  const slash = value.indexOf('/')
  if (slash < 0) fail(path, `must be a group ID (<owner peer ID>/<name>), not '${value.slice(0, 80)}'`)
  peerId(value.slice(0, slash), path)
  if (!groupNamePattern.test(value.slice(slash + 1)))
    fail(path, 'has an invalid group name (letters, digits, . _ -, at most 64)')
  return value
}

function version(object: Plain, field: string, path: string): string {
  const value = text(object, field, path)
  if (!versionPattern.test(value))
    fail(join(path, field), `must be dotted numbers such as 22.04, not '${value.slice(0, 40)}'`)
  return value
}

function uniqueStrings(
  values: readonly unknown[],
  path: string,
  check: (value: unknown, path: string) => string,
): string[] {
  const seen = new Set<string>()
  return values.map((value, index) => {
    const checked = check(value, join(path, index))
    if (seen.has(checked)) fail(join(path, index), `repeats '${checked}'`)
    seen.add(checked)
    return checked
  })
}

/** A flag that is stated only when it holds: `true`, or left out (so that one meaning has one encoding). */
function onlyTrue(object: Plain, field: string, path: string): true {
  if (object[field] !== true)
    fail(join(path, field), `must be true when stated (leave it out otherwise), not ${describeValue(object[field])}`)
  return true
}

function parseCapabilities(value: unknown, path: string): Capabilities {
  const object = record(value, path, ['storageGb', 'os', 'gflopsPerCore', 'cores', 'bandwidthMbps', 'reachable'])
  const capabilities: Capabilities = {}
  if (present(object, 'storageGb')) capabilities.storageGb = integer(object, 'storageGb', path, 'GB')
  if (present(object, 'os')) {
    const osPath = join(path, 'os')
    const os = record(object.os, osPath, ['family', 'version'])
    capabilities.os = { family: oneOf(os, 'family', osPath, osFamilies) }
    if (present(os, 'version')) capabilities.os.version = version(os, 'version', osPath)
  }
  if (present(object, 'gflopsPerCore')) capabilities.gflopsPerCore = integer(object, 'gflopsPerCore', path, 'GFLOPS')
  if (present(object, 'cores')) capabilities.cores = integer(object, 'cores', path, 'cores')
  if (present(object, 'bandwidthMbps')) capabilities.bandwidthMbps = integer(object, 'bandwidthMbps', path, 'Mbit/s')
  if (present(object, 'reachable')) capabilities.reachable = onlyTrue(object, 'reachable', path)
  return capabilities
}

function parseRequirements(value: unknown, path: string): Requirements {
  const object = record(value, path, ['storageGb', 'os', 'gflopsPerCore', 'cores', 'bandwidthMbps', 'reachable'])
  const requirements: Requirements = {}
  if (present(object, 'storageGb')) requirements.storageGb = integer(object, 'storageGb', path, 'GB')
  if (present(object, 'os')) {
    const osPath = join(path, 'os')
    const entries = list(object, 'os', path, osFamilies.length)
    if (entries.length === 0) fail(osPath, 'must list at least one operating system (leave it out to accept any)')
    const families = new Set<string>()
    requirements.os = entries.map((entry, index) => {
      const entryPath = join(osPath, index)
      const os = record(entry, entryPath, ['family', 'minVersion'])
      const family = oneOf(os, 'family', entryPath, osFamilies)
      if (families.has(family)) fail(join(entryPath, 'family'), `repeats ${family}`)
      families.add(family)
      return present(os, 'minVersion') ? { family, minVersion: version(os, 'minVersion', entryPath) } : { family }
    })
  }
  if (present(object, 'gflopsPerCore')) requirements.gflopsPerCore = integer(object, 'gflopsPerCore', path, 'GFLOPS')
  if (present(object, 'cores')) requirements.cores = integer(object, 'cores', path, 'cores')
  if (present(object, 'bandwidthMbps')) requirements.bandwidthMbps = integer(object, 'bandwidthMbps', path, 'Mbit/s')
  if (present(object, 'reachable')) requirements.reachable = onlyTrue(object, 'reachable', path)
  return requirements
}

function parseCounterparties(value: unknown, path: string): Counterparties {
  const object = record(value, path, ['peers', 'groups'])
  const counterparties: Counterparties = {}
  if (present(object, 'peers')) {
    counterparties.peers = uniqueStrings(
      list(object, 'peers', path, maxPreferredCounterparties),
      join(path, 'peers'),
      peerId,
    )
  }
  if (present(object, 'groups')) {
    counterparties.groups = uniqueStrings(
      list(object, 'groups', path, maxPreferredCounterparties),
      join(path, 'groups'),
      groupId,
    )
  }
  return counterparties
}

const orderFields = [
  'kind',
  'owner',
  'side',
  'unit',
  'quantity',
  'price',
  'window',
  'requirements',
  'capabilities',
  'counterparties',
  'range',
  'createdAt',
  'expiresAt',
  'nonce',
] as const

function parseOrder(object: Plain, path: string): OrderFact {
  record(object, path, orderFields)
  const side = oneOf(object, 'side', path, sides)
  const windowPath = join(path, 'window')
  const window = record(object.window, windowPath, ['start', 'end'])
  const start = integer(window, 'start', windowPath, 'milliseconds')
  const end = integer(window, 'end', windowPath, 'milliseconds')
  if (end <= start) fail(join(windowPath, 'end'), `must be after ${join(windowPath, 'start')}`)
  const order: OrderFact = {
    kind: 'order',
    owner: peerId(object.owner, join(path, 'owner')),
    side,
    unit: oneOf(object, 'unit', path, units),
    quantity: integer(object, 'quantity', path, 'units', 1),
    price: integer(object, 'price', path, 'micro-credits'),
    window: { start, end },
    createdAt: integer(object, 'createdAt', path, 'milliseconds'),
    expiresAt: integer(object, 'expiresAt', path, 'milliseconds'),
  }
  if (order.expiresAt <= order.createdAt) fail(join(path, 'expiresAt'), `must be after ${join(path, 'createdAt')}`)
  if (present(object, 'requirements')) {
    if (side !== 'bid') fail(join(path, 'requirements'), 'is only for a bid: an ask states its capabilities')
    order.requirements = parseRequirements(object.requirements, join(path, 'requirements'))
  }
  if (present(object, 'capabilities')) {
    if (side !== 'ask') fail(join(path, 'capabilities'), 'is only for an ask: a bid states its requirements')
    order.capabilities = parseCapabilities(object.capabilities, join(path, 'capabilities'))
  }
  if (present(object, 'counterparties')) {
    order.counterparties = parseCounterparties(object.counterparties, join(path, 'counterparties'))
  }
  if (present(object, 'range')) {
    order.range = integer(object, 'range', path, 'micro-credits')
    checkRange(side, order.price, order.range, path)
  }
  if (present(object, 'nonce')) order.nonce = integer(object, 'nonce', path, 'tries')
  return order
}

/** A bid's range is the highest ask it accepts (>= price); an ask's, the lowest bid it accepts (<= price). */
export function checkRange(side: 'bid' | 'ask', price: number, range: number, path = ''): void {
  if (side === 'bid' && range < price) {
    fail(
      join(path, 'range'),
      `must be at least ${join(path, 'price')} on a bid: it is the highest ask the buyer accepts`,
    )
  }
  if (side === 'ask' && range > price) {
    fail(
      join(path, 'range'),
      `must be at most ${join(path, 'price')} on an ask: it is the lowest bid the seller accepts`,
    )
  }
}

function parseAmend(object: Plain, path: string): AmendFact {
  record(object, path, ['kind', 'owner', 'order', 'seq', 'price', 'quantity', 'range', 'createdAt'])
  const amend: AmendFact = {
    kind: 'amend',
    owner: peerId(object.owner, join(path, 'owner')),
    order: factId(object, 'order', path),
    seq: integer(object, 'seq', path, 'steps', 1),
    price: integer(object, 'price', path, 'micro-credits'),
    quantity: integer(object, 'quantity', path, 'units', 1),
    createdAt: integer(object, 'createdAt', path, 'milliseconds'),
  }
  if (present(object, 'range')) amend.range = integer(object, 'range', path, 'micro-credits')
  return amend
}

function parseCancel(object: Plain, path: string): CancelFact {
  record(object, path, ['kind', 'owner', 'order', 'createdAt'])
  return {
    kind: 'cancel',
    owner: peerId(object.owner, join(path, 'owner')),
    order: factId(object, 'order', path),
    createdAt: integer(object, 'createdAt', path, 'milliseconds'),
  }
}

function parseRefresh(object: Plain, path: string): RefreshFact {
  record(object, path, ['kind', 'owner', 'createdAt'])
  return {
    kind: 'refresh',
    owner: peerId(object.owner, join(path, 'owner')),
    createdAt: integer(object, 'createdAt', path, 'milliseconds'),
  }
}

function parseDecline(object: Plain, path: string): DeclineFact {
  record(object, path, ['kind', 'owner', 'bid', 'ask', 'createdAt'])
  const decline: DeclineFact = {
    kind: 'decline',
    owner: peerId(object.owner, join(path, 'owner')),
    bid: factId(object, 'bid', path),
    ask: factId(object, 'ask', path),
    createdAt: integer(object, 'createdAt', path, 'milliseconds'),
  }
  if (decline.bid === decline.ask) fail(join(path, 'ask'), `must differ from ${join(path, 'bid')}`)
  return decline
}

function parseTake(object: Plain, path: string): TakeFact {
  record(object, path, ['kind', 'owner', 'bid', 'ask', 'quantity', 'price', 'validUntil', 'createdAt'])
  const take: TakeFact = {
    kind: 'take',
    owner: peerId(object.owner, join(path, 'owner')),
    bid: factId(object, 'bid', path),
    ask: factId(object, 'ask', path),
    quantity: integer(object, 'quantity', path, 'units', 1),
    price: integer(object, 'price', path, 'micro-credits'),
    validUntil: integer(object, 'validUntil', path, 'milliseconds'),
    createdAt: integer(object, 'createdAt', path, 'milliseconds'),
  }
  if (take.bid === take.ask) fail(join(path, 'ask'), `must differ from ${join(path, 'bid')}`)
  if (take.validUntil <= take.createdAt) fail(join(path, 'validUntil'), `must be after ${join(path, 'createdAt')}`)
  return take
}

function parseConfirm(object: Plain, path: string): ConfirmFact {
  record(object, path, ['kind', 'owner', 'take', 'createdAt'])
  return {
    kind: 'confirm',
    owner: peerId(object.owner, join(path, 'owner')),
    take: factId(object, 'take', path),
    createdAt: integer(object, 'createdAt', path, 'milliseconds'),
  }
}

const maxGroupMembers = 256

function parseGroup(object: Plain, path: string): GroupFact {
  record(object, path, ['kind', 'owner', 'name', 'seq', 'members', 'createdAt'])
  const name = text(object, 'name', path)
  if (!groupNamePattern.test(name))
    fail(join(path, 'name'), 'must be 1 to 64 letters, digits, . _ or -, starting with a letter or digit')
  return {
    kind: 'group',
    owner: peerId(object.owner, join(path, 'owner')),
    name,
    seq: integer(object, 'seq', path, 'steps'),
    members: uniqueStrings(list(object, 'members', path, maxGroupMembers), join(path, 'members'), peerId),
    createdAt: integer(object, 'createdAt', path, 'milliseconds'),
  }
}

/**
 * Check an untrusted value as a fact body. `path` prefixes every field path in errors (`facts[3]`).
 * The result is a fresh object holding only the known fields.
 */
export function parseFact(value: unknown, path = ''): Fact {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    fail(path, `must be an object, not ${describeValue(value)}`)
  }
  const object = value as Plain
  const kind = oneOf(object, 'kind', path, factKinds)
  switch (kind) {
    case 'order':
      return parseOrder(object, path)
    case 'amend':
      return parseAmend(object, path)
    case 'cancel':
      return parseCancel(object, path)
    case 'decline':
      return parseDecline(object, path)
    case 'take':
      return parseTake(object, path)
    case 'confirm':
      return parseConfirm(object, path)
    case 'group':
      return parseGroup(object, path)
    case 'refresh':
      return parseRefresh(object, path)
  }
}
