// The auto-negotiation policy (claim 41, docs/negotiation.md section 5) as a form: "concede toward
// my limit in N steps, one every T seconds, until a deadline". Kept as the inputs' text and turned
// into market.setPolicy's parameters for one order; the node checks the rest (a limit on the
// conceding side, an order with a range or a limit) and its message is shown as it comes.
import { fromLocalInput } from './order-form'

export interface PolicyForm {
  /** Hand the order's negotiations to the policy right after it is placed. */
  enabled: boolean
  steps: string
  intervalSeconds: string
  /** The last price the policy offers; empty: the order's range. Kept on this node only. */
  limit: string
  /** datetime-local text; empty: the order's expiry or window end, whichever comes first. */
  deadline: string
}

export const defaultPolicyForm: PolicyForm = {
  enabled: false,
  steps: '5',
  intervalSeconds: '10',
  limit: '',
  deadline: '',
}

export interface PolicyParams {
  order: string
  steps: number
  intervalMs: number
  deadline: number
  limit?: number
}

export type PolicyCheck = { ok: true; params: PolicyParams } | { ok: false; field: keyof PolicyForm; message: string }

const wholeNumber = (text: string): number | undefined => (/^\s*\d+\s*$/.test(text) ? Number(text) : undefined)

/** market.setPolicy's parameters for `order`, or the first field that is wrong and why. */
export function policyParams(
  form: PolicyForm,
  order: { id: string; expiresAt: number; window: { end: number } },
  now: number,
): PolicyCheck {
  const steps = wholeNumber(form.steps)
  if (steps === undefined || steps < 1 || steps > 1_000)
    return { ok: false, field: 'steps', message: 'steps must be a whole number from 1 to 1,000' }
  const seconds = Number(form.intervalSeconds.trim())
  if (form.intervalSeconds.trim() === '' || !Number.isFinite(seconds) || seconds < 0.1 || seconds > 86_400)
    return { ok: false, field: 'intervalSeconds', message: 'the interval must be from 0.1 to 86,400 seconds' }
  let limit: number | undefined
  if (form.limit.trim() !== '') {
    limit = wholeNumber(form.limit)
    if (limit === undefined || limit < 1)
      return { ok: false, field: 'limit', message: 'the limit must be a whole number of µcr per unit' }
  }
  const orderEnds = Math.min(order.expiresAt, order.window.end)
  let deadline = orderEnds
  if (form.deadline.trim() !== '') {
    const chosen = fromLocalInput(form.deadline)
    if (chosen === undefined) return { ok: false, field: 'deadline', message: 'the deadline must be a date and time' }
    if (chosen <= now) return { ok: false, field: 'deadline', message: 'the deadline must be in the future' }
    deadline = Math.min(chosen, orderEnds)
  }
  return {
    ok: true,
    params: {
      order: order.id,
      steps,
      intervalMs: Math.round(seconds * 1000),
      deadline,
      ...(limit === undefined ? {} : { limit }),
    },
  }
}

/** How a policy reads: '5 steps, one every 10 s, toward 1,000 µcr, until 14:05'. */
export function describeSchedule(
  policy: { steps: number; intervalMs: number; limit: number; deadline: number },
  formatPrice: (price: number) => string,
): string {
  const interval =
    policy.intervalMs % 1000 === 0 ? `${policy.intervalMs / 1000} s` : `${(policy.intervalMs / 1000).toFixed(1)} s`
  const until = new Date(policy.deadline).toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  })
  return `${policy.steps} ${policy.steps === 1 ? 'step' : 'steps'}, one every ${interval}, toward ${formatPrice(policy.limit)} µcr, until ${until}`
}
