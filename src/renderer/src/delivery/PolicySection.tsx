// Settings → Lending: the seller's policy (delivery.policy / delivery.setPolicy): lend only when
// idle, only on mains power, only within set hours, at most N cores and M GB.
import { useEffect, useState, type FormEvent } from 'react'
import type { ApiClient } from '../../../shared/api/contract'
import type { DeliveryPolicy } from '../../../shared/api/delivery'
import { policyOfForm, policyForm, type PolicyFormFields } from './policy-fields'

type SaveState = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved' } | { kind: 'failed'; message: string }

export function PolicySection({ client, generation }: { client: ApiClient; generation: number }) {
  const [policy, setPolicy] = useState<DeliveryPolicy>()
  const [form, setForm] = useState<PolicyFormFields>()
  const [state, setState] = useState<SaveState>({ kind: 'idle' })

  useEffect(() => {
    let current = true
    client
      .call('delivery.policy', {})
      .then((loaded) => {
        if (!current) return
        setPolicy(loaded)
        setForm(policyForm(loaded))
      })
      .catch(
        (error: unknown) =>
          current && setState({ kind: 'failed', message: error instanceof Error ? error.message : String(error) }),
      )
    return () => {
      current = false
    }
  }, [client, generation])

  async function save(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault()
    if (!form) return
    setState({ kind: 'saving' })
    try {
      const saved = await client.call('delivery.setPolicy', policyOfForm(form))
      setPolicy(saved)
      setForm(policyForm(saved))
      setState({ kind: 'saved' })
    } catch (error) {
      setState({ kind: 'failed', message: error instanceof Error ? error.message : String(error) })
    }
  }

  const change = (patch: Partial<PolicyFormFields>): void => {
    setForm((previous) => (previous ? { ...previous, ...patch } : previous))
    setState({ kind: 'idle' })
  }

  return (
    <section className="panel" aria-labelledby="lending-heading" data-testid="lending-policy">
      <h2 id="lending-heading">Lending this machine</h2>
      <p className="hint">
        What buyers may run here, and when. Running jobs pause or stop when the policy stops allowing them, and their
        buyers are told.
      </p>
      {!form || !policy ? (
        <p className="loading">Loading the lending policy…</p>
      ) : (
        <form className="policy-form" onSubmit={(event) => void save(event)} noValidate>
          <label className="checkbox">
            <input
              type="checkbox"
              data-testid="policy-enabled"
              checked={form.enabled}
              onChange={(event) => change({ enabled: event.target.checked })}
            />
            Lend this machine to buyers
          </label>
          <label className="checkbox">
            <input
              type="checkbox"
              data-testid="policy-idle"
              checked={form.requireIdle}
              onChange={(event) => change({ requireIdle: event.target.checked })}
            />
            Only while the machine is idle
          </label>
          <label className="checkbox">
            <input
              type="checkbox"
              data-testid="policy-ac"
              checked={form.requireAcPower}
              onChange={(event) => change({ requireAcPower: event.target.checked })}
            />
            Only on mains power
          </label>
          <label className="checkbox">
            <input
              type="checkbox"
              data-testid="policy-hours"
              checked={form.limitHours}
              onChange={(event) => change({ limitHours: event.target.checked })}
            />
            Only between
          </label>
          <div className="policy-hours">
            <input
              type="number"
              aria-label="From hour"
              data-testid="policy-hours-start"
              min={0}
              max={23}
              value={form.startHour}
              disabled={!form.limitHours}
              onChange={(event) => change({ startHour: event.target.value })}
            />
            <span>:00 and</span>
            <input
              type="number"
              aria-label="To hour"
              data-testid="policy-hours-end"
              min={0}
              max={24}
              value={form.endHour}
              disabled={!form.limitHours}
              onChange={(event) => change({ endHour: event.target.value })}
            />
            <span>:00 (local time; an end before the start wraps past midnight)</span>
          </div>
          <label htmlFor="policy-cores">At most this many cores (jobs at once)</label>
          <input
            id="policy-cores"
            data-testid="policy-cores"
            type="number"
            min={1}
            max={1024}
            value={form.maxCores}
            onChange={(event) => change({ maxCores: event.target.value })}
          />
          <label htmlFor="policy-memory">At most this much memory for all jobs (GB)</label>
          <input
            id="policy-memory"
            data-testid="policy-memory"
            type="number"
            min={0.03125}
            step={0.25}
            value={form.maxMemoryGb}
            onChange={(event) => change({ maxMemoryGb: event.target.value })}
          />
          <label htmlFor="policy-when-busy">When the machine stops qualifying</label>
          <select
            id="policy-when-busy"
            data-testid="policy-when-busy"
            value={form.whenBusy}
            onChange={(event) => change({ whenBusy: event.target.value as PolicyFormFields['whenBusy'] })}
          >
            <option value="pause">Pause running jobs</option>
            <option value="stop">Stop running jobs</option>
          </select>
          <div>
            <button
              type="submit"
              className="button button-primary"
              data-testid="policy-save"
              disabled={state.kind === 'saving'}
            >
              {state.kind === 'saving' ? 'Saving…' : 'Save the lending policy'}
            </button>
          </div>
        </form>
      )}
      <div className="form-message" aria-live="polite">
        {state.kind === 'saved' && (
          <p className="success" data-testid="policy-saved">
            Saved
          </p>
        )}
        {state.kind === 'failed' && <p className="error">{state.message}</p>}
      </div>
    </section>
  )
}
