// The order form's own checks, in the words of the form rather than of the order fact: what a person
// most often gets wrong (an empty field, a window in the past, a price of 0, a quantity no machine
// could deliver) is said next to the field they typed it in. They run before the market core's
// parser, which still has the last word on everything else.
import { fromLocalInput, type MachineTerms, type OrderForm } from './order-form'
import { formatInteger, unitLabels } from './market-format'

export interface FormProblem {
  /** The input the message belongs to, as fieldOfPath names them. */
  field: string
  message: string
}

/**
 * The most of a unit one order may ask for or offer: 10^12 GFLOP is a petaFLOPS machine busy for
 * eleven days. The order fact takes up to 2^53 − 1, but a number that large is a slip of the keyboard,
 * and quantity × price must still be countable in micro-credits.
 */
export const maxOrderQuantity = 1_000_000_000_000

const wholeText = /^\d+$/

/** The number a whole-number field holds (thousands separators allowed), or undefined when it holds none. */
function wholeNumber(text: string): number | undefined {
  const compact = text.trim().replace(/[\s,_]/g, '')
  return wholeText.test(compact) ? Number(compact) : undefined
}

const termNames: Record<keyof MachineTerms, string> = {
  gflopsPerCore: 'GFLOPS per core',
  cores: 'Cores',
  storageGb: 'Storage',
  bandwidthMbps: 'Bandwidth',
}

/** The first input that is wrong and why, in the order the form shows them; undefined when none is. */
export function checkForm(form: OrderForm, now: number): FormProblem | undefined {
  const unit = unitLabels[form.unit]
  const quantityText = form.quantity.trim()
  const quantity = wholeNumber(form.quantity)
  if (quantityText === '')
    return { field: 'quantity', message: `Enter a quantity: how many ${unit}, as a whole number` }
  if (quantity === undefined || quantity < 1)
    return { field: 'quantity', message: `The quantity is a whole number of ${unit} above 0, like 100` }
  if (quantity > maxOrderQuantity)
    return {
      field: 'quantity',
      message: `The quantity can be at most ${formatInteger(maxOrderQuantity)} ${unit}: check the number`,
    }

  const priceText = form.price.trim()
  const price = wholeNumber(form.price)
  if (priceText === '')
    return {
      field: 'price',
      message: `Enter a price: how many µcr per ${form.unit === 'flop' ? 'GFLOP' : 'page view'}`,
    }
  // As amending an order refuses it: an order at 0 would give the capacity away, or ask for it free.
  if (price === undefined || price < 1) return { field: 'price', message: 'The price is a whole number of µcr above 0' }
  if (quantity * price > Number.MAX_SAFE_INTEGER)
    return {
      field: 'price',
      message: 'Quantity × price is more micro-credits than the market can count: lower one of them',
    }

  if (form.range.trim() !== '') {
    const range = wholeNumber(form.range)
    if (range === undefined)
      return { field: 'range', message: 'The limit is a whole number of µcr, or empty to trade at your price only' }
    if (form.side === 'bid' && range < price)
      return {
        field: 'range',
        message: `The highest ask you accept cannot be under your price (${formatInteger(price)})`,
      }
    if (form.side === 'ask' && range > price)
      return {
        field: 'range',
        message: `The lowest bid you accept cannot be over your price (${formatInteger(price)})`,
      }
  }

  const start = form.startNow ? now : fromLocalInput(form.start)
  if (start === undefined) return { field: 'start', message: 'Choose when the window starts, or tick "Starts now"' }
  const end = fromLocalInput(form.end)
  if (end === undefined) return { field: 'end', message: 'Choose when the window ends' }
  if (end <= now) return { field: 'end', message: 'The window ends in the past: choose a later end' }
  if (end <= start) return { field: 'end', message: 'The window ends before it starts: choose an end after the start' }
  const expires = fromLocalInput(form.expires)
  if (form.expires.trim() !== '' && expires === undefined)
    return { field: 'expires', message: 'The expiry is a date and time, or empty for the window’s end' }
  if (expires !== undefined && expires <= now)
    return {
      field: 'expires',
      message: 'The order would expire in the past: choose a later time, or leave it empty for the window’s end',
    }

  for (const field of Object.keys(termNames) as (keyof MachineTerms)[]) {
    const text = form.terms[field].trim()
    if (text !== '' && wholeNumber(text) === undefined)
      return { field, message: `${termNames[field]} is a whole number, or empty` }
  }
  return undefined
}

/** What the "Requirements / Capabilities and counterparties" section holds, for its summary line. */
export function describeExtras(form: OrderForm): string[] {
  const bid = form.side === 'bid'
  const said: string[] = []
  if (bid && form.requiredOs.length > 0) {
    const version = form.requiredOsMinVersion.trim()
    said.push(`${form.requiredOs.join(' or ')}${version ? ` ${version} or later` : ''}`)
  }
  if (!bid && form.os !== '') said.push(`${form.os}${form.osVersion.trim() ? ` ${form.osVersion.trim()}` : ''}`)
  const terms: [keyof MachineTerms, (value: string) => string][] = [
    ['cores', (value) => `${value} cores`],
    ['gflopsPerCore', (value) => `${value} GFLOPS per core`],
    ['storageGb', (value) => `${value} GB storage`],
    ['bandwidthMbps', (value) => `${value} Mbit/s`],
  ]
  for (const [field, text] of terms) {
    const value = form.terms[field].trim()
    if (value !== '') said.push(bid ? `at least ${text(value)}` : text(value))
  }
  if (form.reachable) said.push(bid ? 'a seller reachable from the internet' : 'reachable from the internet')
  const count = (text: string): number => text.split(/[\n,]/).filter((line) => line.trim() !== '').length
  const peers = count(form.peers)
  const groups = count(form.groups)
  if (peers > 0) said.push(`${peers} preferred ${bid ? 'seller' : 'buyer'}${peers === 1 ? '' : 's'}`)
  if (groups > 0) said.push(`${groups} preferred group${groups === 1 ? '' : 's'}`)
  return said
}

/** The form with the section's fields empty again. */
export function withoutExtras(form: OrderForm): OrderForm {
  return {
    ...form,
    requiredOs: [],
    requiredOsMinVersion: '',
    os: '',
    osVersion: '',
    terms: { storageGb: '', gflopsPerCore: '', cores: '', bandwidthMbps: '' },
    reachable: false,
    peers: '',
    groups: '',
  }
}

/** How far an order's price is from the market before the form places it without asking twice. */
export const farFactor = 3

export interface FarFromMarket {
  /** The price compared against, and what it is. */
  reference: number
  what: 'the best ask' | 'the best bid'
  /** price / reference. */
  ratio: number
}

/**
 * Whether a price is far from the market: more than `farFactor` times, or less than a `farFactor`th
 * of, the best price on the other side (the one it would trade against), or of the best on its own
 * side when the other is empty. Undefined when the book has nothing of the unit to compare with.
 */
export function farFromMarket(
  order: { side: 'bid' | 'ask'; unit: string; price: number },
  book: readonly { side: 'bid' | 'ask'; unit: string; price: number; owner?: string }[],
): FarFromMarket | undefined {
  let bestAsk: number | undefined
  let bestBid: number | undefined
  for (const each of book) {
    if (each.unit !== order.unit) continue
    if (each.side === 'ask') bestAsk = bestAsk === undefined ? each.price : Math.min(bestAsk, each.price)
    else bestBid = bestBid === undefined ? each.price : Math.max(bestBid, each.price)
  }
  const other = order.side === 'bid' ? bestAsk : bestBid
  const same = order.side === 'bid' ? bestBid : bestAsk
  const reference = other ?? same
  if (reference === undefined || reference <= 0) return undefined
  const what = (other !== undefined) === (order.side === 'bid') ? 'the best ask' : 'the best bid'
  const ratio = order.price / reference
  return ratio > farFactor || ratio < 1 / farFactor ? { reference, what, ratio } : undefined
}
