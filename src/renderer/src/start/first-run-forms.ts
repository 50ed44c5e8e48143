// The orders the first-run guide opens the order form with. A first ask sells what the benchmark
// measured: all of this machine's cores for the form's default window (one hour), at the price the
// market shows (the best bid another member has in the book, else the latest agreed price); no price
// when the market shows none, so the user picks one rather than take a made-up figure.
import type { AgreementView, OrderView } from '../../../shared/api/market'
import { capabilitiesOf, type MemberProfile } from '../../../shared/benchmark/profile'
import { emptyForm, fromLocalInput, type OrderForm } from '../market/order-form'
import { capabilityFieldsOf, prefillCapabilities } from '../market/profile-prefill'

/** Where a pre-filled price came from, said to the user beside it. */
export type PriceSource = 'best-bid' | 'last-agreement' | 'none'

export interface FirstOrder {
  form: OrderForm
  priceSource: PriceSource
}

/** GFLOP the profile's all-cores float64 rate computes in the window of `form`. */
export function gflopInWindow(profile: MemberProfile, form: OrderForm): number {
  const start = fromLocalInput(form.start) ?? 0
  const end = fromLocalInput(form.end) ?? start
  const seconds = Math.max(0, (end - start) / 1000)
  return Math.floor((profile.benchmark.f64MultiMflops / 1000) * seconds)
}

/** The price a first order in `unit` starts from, and where it came from. */
export function marketPrice(
  book: readonly OrderView[],
  agreements: readonly AgreementView[],
  unit: 'flop' | 'pageview',
): { price: number | undefined; source: PriceSource } {
  const bids = book.filter((order) => order.side === 'bid' && order.unit === unit && !order.mine && order.remaining > 0)
  if (bids.length > 0) return { price: Math.max(...bids.map((order) => order.price)), source: 'best-bid' }
  const agreed = agreements.filter((agreement) => agreement.unit === unit && agreement.status === 'binding')
  if (agreed.length > 0) {
    const latest = agreed.reduce((newest, each) => (each.agreedAt > newest.agreedAt ? each : newest))
    return { price: latest.price, source: 'last-agreement' }
  }
  return { price: undefined, source: 'none' }
}

/** An ask of this machine's measured capacity, with the profile's capabilities, at the market's price. */
export function firstAsk(
  profile: MemberProfile | undefined,
  book: readonly OrderView[],
  agreements: readonly AgreementView[],
  now: number,
): FirstOrder {
  const blank = emptyForm('ask', 'flop', now)
  const { price, source } = marketPrice(book, agreements, 'flop')
  const withPrice: OrderForm = { ...blank, price: price === undefined ? '' : String(price) }
  if (!profile) return { form: withPrice, priceSource: source }
  const quantity = gflopInWindow(profile, blank)
  const form = prefillCapabilities(
    { ...withPrice, quantity: quantity > 0 ? String(quantity) : '' },
    capabilityFieldsOf(capabilitiesOf(profile)),
  )
  return { form, priceSource: source }
}

/** A bid for computation, at the best ask's price when the book has one. */
export function firstBid(book: readonly OrderView[], now: number): OrderForm {
  const asks = book.filter(
    (order) => order.side === 'ask' && order.unit === 'flop' && !order.mine && order.remaining > 0,
  )
  const price = asks.length === 0 ? '' : String(Math.min(...asks.map((order) => order.price)))
  return { ...emptyForm('bid', 'flop', now), price }
}
