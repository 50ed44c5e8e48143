// The order entry form's state, kept as the text of its inputs, and its translation into an order
// draft (the order fact's fields). Validation is the market core's own: the draft is completed the
// way the node completes it (owner, createdAt, expiresAt) and run through canonicalize, so the form
// shows the same sentence, on the same field, that the node would answer.
import type { OrderDraft } from '../../../shared/api/market'
import { canonicalize, osFamilies, type OrderFact } from '../../../shared/market'
import type { CyclexError } from '../../../shared/errors'

export type OsFamily = (typeof osFamilies)[number]

export interface MachineTerms {
  storageGb: string
  gflopsPerCore: string
  cores: string
  bandwidthMbps: string
}

export interface OrderForm {
  side: 'bid' | 'ask'
  unit: 'flop' | 'pageview'
  quantity: string
  price: string
  /** A spot order: the window starts when the order is placed. */
  startNow: boolean
  /** datetime-local text, in the browser's time zone. */
  start: string
  end: string
  range: string
  expires: string
  /** A bid's acceptable operating systems (none: any). */
  requiredOs: OsFamily[]
  requiredOsMinVersion: string
  /** An ask's operating system and version. */
  os: OsFamily | ''
  osVersion: string
  terms: MachineTerms
  /** A bid: only sellers reachable from the internet; an ask: this node can be reached (claim 40). */
  reachable: boolean
  /** One peer ID or group ID per line. */
  peers: string
  groups: string
}

export const emptyTerms: MachineTerms = { storageGb: '', gflopsPerCore: '', cores: '', bandwidthMbps: '' }

export function emptyForm(side: 'bid' | 'ask', unit: 'flop' | 'pageview', now: number): OrderForm {
  return {
    side,
    unit,
    quantity: '',
    price: '',
    startNow: true,
    start: toLocalInput(now),
    end: toLocalInput(now + 60 * 60 * 1000),
    range: '',
    expires: '',
    requiredOs: [],
    requiredOsMinVersion: '',
    os: '',
    osVersion: '',
    terms: emptyTerms,
    reachable: false,
    peers: '',
    groups: '',
  }
}

const pad = (value: number): string => String(value).padStart(2, '0')

/** ms since the epoch as a datetime-local input's text, in local time to the minute. */
export function toLocalInput(ms: number): string {
  const date = new Date(ms)
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}

/** A datetime-local input's text as ms since the epoch; undefined when empty or not a date. */
export function fromLocalInput(text: string): number | undefined {
  if (text.trim() === '') return undefined
  const ms = new Date(text).getTime()
  return Number.isNaN(ms) ? undefined : ms
}

/** A number field: its number, or its text when it is not one, so the core names the mistake. */
function numeric(text: string): number | string | undefined {
  const trimmed = text.trim().replace(/[\s,_]/g, '')
  if (trimmed === '') return undefined
  const value = Number(trimmed)
  return Number.isNaN(value) ? text.trim() : value
}

function lines(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
}

function termsOf(terms: MachineTerms): Record<string, unknown> {
  const result: Record<string, unknown> = {}
  for (const field of ['storageGb', 'gflopsPerCore', 'cores', 'bandwidthMbps'] as const) {
    const value = numeric(terms[field])
    if (value !== undefined) result[field] = value
  }
  return result
}

/** The draft the node's market.place takes. `now` fills a spot order's start. */
export function draftOfForm(form: OrderForm, now: number): OrderDraft {
  const start = form.startNow ? now : (fromLocalInput(form.start) ?? form.start)
  const end = fromLocalInput(form.end) ?? form.end
  const draft: OrderDraft = {
    side: form.side,
    unit: form.unit,
    quantity: numeric(form.quantity) ?? form.quantity,
    price: numeric(form.price) ?? form.price,
    window: { start, end },
  }
  const range = numeric(form.range)
  if (range !== undefined) draft.range = range
  const expires = fromLocalInput(form.expires)
  if (expires !== undefined) draft.expiresAt = expires
  const terms = termsOf(form.terms)
  if (form.side === 'bid') {
    if (form.requiredOs.length > 0) {
      const minVersion = form.requiredOsMinVersion.trim()
      terms.os = form.requiredOs.map((family) => (minVersion === '' ? { family } : { family, minVersion }))
    }
    if (form.reachable) terms.reachable = true
    if (Object.keys(terms).length > 0) draft.requirements = terms
  } else {
    if (form.os !== '')
      terms.os =
        form.osVersion.trim() === '' ? { family: form.os } : { family: form.os, version: form.osVersion.trim() }
    if (form.reachable) terms.reachable = true
    if (Object.keys(terms).length > 0) draft.capabilities = terms
  }
  const peers = lines(form.peers)
  const groups = lines(form.groups)
  if (peers.length > 0 || groups.length > 0) {
    draft.counterparties = { ...(peers.length > 0 ? { peers } : {}), ...(groups.length > 0 ? { groups } : {}) }
  }
  return draft
}

/** A field of a draft written by hand, as text: a string, number or boolean as it is; anything else as nothing. */
export function draftText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : ''
}

/** The form that shows a saved draft again (a draft written by hand may not map back in full). */
export function formOfDraft(draft: OrderDraft, now: number): OrderForm {
  const side = draft.side === 'ask' ? 'ask' : 'bid'
  const unit = draft.unit === 'pageview' ? 'pageview' : 'flop'
  const form = emptyForm(side, unit, now)
  const text = draftText
  const window = (draft.window ?? {}) as { start?: unknown; end?: unknown }
  form.quantity = text(draft.quantity)
  form.price = text(draft.price)
  form.range = text(draft.range)
  if (typeof window.end === 'number') form.end = toLocalInput(window.end)
  // A saved start in the past publishes as a spot order; a future one keeps its time.
  if (typeof window.start === 'number' && window.start > now) {
    form.startNow = false
    form.start = toLocalInput(window.start)
  }
  if (typeof draft.expiresAt === 'number') form.expires = toLocalInput(draft.expiresAt)
  const terms = ((side === 'bid' ? draft.requirements : draft.capabilities) ?? {}) as Record<string, unknown>
  form.terms = {
    storageGb: text(terms.storageGb),
    gflopsPerCore: text(terms.gflopsPerCore),
    cores: text(terms.cores),
    bandwidthMbps: text(terms.bandwidthMbps),
  }
  form.reachable = terms.reachable === true
  if (side === 'bid' && Array.isArray(terms.os)) {
    const entries = terms.os as { family?: string; minVersion?: string }[]
    form.requiredOs = entries.flatMap((entry) =>
      (osFamilies as readonly string[]).includes(entry.family ?? '') ? [entry.family as OsFamily] : [],
    )
    form.requiredOsMinVersion = entries[0]?.minVersion ?? ''
  }
  if (side === 'ask' && typeof terms.os === 'object' && terms.os !== null) {
    const os = terms.os as { family?: string; version?: string }
    if ((osFamilies as readonly string[]).includes(os.family ?? '')) form.os = os.family as OsFamily
    form.osVersion = os.version ?? ''
  }
  const counterparties = (draft.counterparties ?? {}) as { peers?: unknown; groups?: unknown }
  if (Array.isArray(counterparties.peers)) form.peers = counterparties.peers.join('\n')
  if (Array.isArray(counterparties.groups)) form.groups = counterparties.groups.join('\n')
  return form
}

export type DraftCheck = { ok: true; fact: OrderFact } | { ok: false; message: string; path: string | undefined }

/** Complete the draft as market.place does and check it with the core; the core's message on failure. */
export function checkDraft(draft: OrderDraft, owner: string, now: number): DraftCheck {
  const window = draft.window as { end?: unknown } | undefined
  const candidate = {
    ...draft,
    kind: 'order',
    owner,
    createdAt: now,
    expiresAt: draft.expiresAt ?? (typeof window?.end === 'number' ? window.end : undefined),
  }
  try {
    const { fact } = canonicalize(candidate)
    return { ok: true, fact: fact as OrderFact }
  } catch (error) {
    const failure = error as CyclexError
    return { ok: false, message: failure.message, path: failure.path }
  }
}

/** Which input a core error path belongs to, so the message shows under it. */
export function fieldOfPath(path: string | undefined): string {
  if (path === undefined) return 'form'
  if (path.startsWith('window.start')) return 'start'
  if (path.startsWith('window')) return 'end'
  if (path.startsWith('requirements.os') || path.startsWith('capabilities.os')) return 'os'
  const match = /^(?:requirements|capabilities)\.(\w+)/.exec(path)
  if (match) return match[1]!
  if (path.startsWith('counterparties.peers')) return 'peers'
  if (path.startsWith('counterparties.groups')) return 'groups'
  if (path === 'expiresAt') return 'expires'
  return path.split(/[.[]/)[0]!
}
