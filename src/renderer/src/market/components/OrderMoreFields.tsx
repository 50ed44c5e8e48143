// The order form's folded section: what a bid requires or an ask offers (operating system, machine
// terms, reachability) and the preferred counterparties (peers picked or typed, groups). What the
// section holds is said on its summary, so nothing set in it goes out unseen.
import type { GroupView } from '../../../../shared/api/members'
import { osFamilies } from '../../../../shared/market'
import { describeExtras, withoutExtras } from '../form-checks'
import type { MachineTerms, OrderForm } from '../order-form'
import type { FieldErrors } from './FieldErrors'
import { MemberPicker } from './MemberPicker'

const termFields: { field: keyof MachineTerms; label: string; unit: string }[] = [
  { field: 'gflopsPerCore', label: 'GFLOPS per core', unit: 'GFLOPS' },
  { field: 'cores', label: 'Cores', unit: '' },
  { field: 'storageGb', label: 'Storage', unit: 'GB' },
  { field: 'bandwidthMbps', label: 'Bandwidth', unit: 'Mbit/s' },
]

interface OrderMoreFieldsProps {
  form: OrderForm
  update(patch: Partial<OrderForm>): void
  errors: FieldErrors
  me: string | undefined
  reachability: 'public' | 'behind-nat' | 'unknown' | undefined
  /** My groups (owned or member of), offered as preferred counterparties. */
  groups: readonly GroupView[]
  fillFromProfile(): void
}

export function OrderMoreFields({
  form,
  update,
  errors,
  me,
  reachability,
  groups,
  fillFromProfile,
}: OrderMoreFieldsProps) {
  const { errorFor, invalid } = errors
  const extras = describeExtras(form)
  return (
    <details className="order-more">
      <summary data-testid="order-more-summary">
        {form.side === 'bid' ? 'Requirements' : 'Capabilities'} and counterparties
        <span className={extras.length > 0 ? 'order-more-set' : 'muted'}>
          : {extras.length > 0 ? extras.join(', ') : 'none'}
        </span>
      </summary>
      {extras.length > 0 && (
        <button
          type="button"
          className="button button-small"
          onClick={() => update(withoutExtras(form))}
          data-testid="clear-order-more"
        >
          Clear these
        </button>
      )}
      {form.side === 'ask' ? (
        <div className="form-grid">
          <label>
            Operating system
            <select
              value={form.os}
              onChange={(event) => update({ os: event.target.value as OrderForm['os'] })}
              data-testid="order-os"
              {...invalid('os')}
            >
              <option value="">Not stated</option>
              {osFamilies.map((family) => (
                <option key={family} value={family}>
                  {family}
                </option>
              ))}
            </select>
          </label>
          <label>
            OS version
            <input
              type="text"
              value={form.osVersion}
              onChange={(event) => update({ osVersion: event.target.value })}
              {...invalid('os')}
            />
          </label>
          <button
            type="button"
            className="button button-small"
            onClick={fillFromProfile}
            data-testid="fill-from-profile"
          >
            Fill from my benchmark
          </button>
          {errorFor('os')}
        </div>
      ) : (
        <fieldset className="os-choices">
          <legend>Acceptable operating systems (none ticked: any)</legend>
          {osFamilies.map((family) => (
            <label key={family} className="checkbox">
              <input
                type="checkbox"
                checked={form.requiredOs.includes(family)}
                onChange={(event) =>
                  update({
                    requiredOs: event.target.checked
                      ? [...form.requiredOs, family]
                      : form.requiredOs.filter((kept) => kept !== family),
                  })
                }
              />
              {family}
            </label>
          ))}
          <label>
            Minimum version
            <input
              type="text"
              value={form.requiredOsMinVersion}
              onChange={(event) => update({ requiredOsMinVersion: event.target.value })}
              {...invalid('os')}
            />
          </label>
          {errorFor('os')}
        </fieldset>
      )}
      <div className="form-grid">
        {termFields.map(({ field, label: text, unit: termUnit }) => (
          <label key={field}>
            {form.side === 'bid' ? `Minimum ${text.toLowerCase()}` : text}
            {termUnit && ` (${termUnit})`}
            <input
              type="text"
              inputMode="numeric"
              value={form.terms[field]}
              onChange={(event) => update({ terms: { ...form.terms, [field]: event.target.value } })}
              data-testid={`order-term-${field}`}
              {...invalid(field)}
            />
            {errorFor(field)}
          </label>
        ))}
      </div>
      <label className="checkbox" data-testid="order-reachable-label">
        <input
          type="checkbox"
          checked={form.reachable}
          disabled={form.side === 'ask' && !form.reachable && reachability !== 'public'}
          onChange={(event) => update({ reachable: event.target.checked })}
          data-testid="order-reachable"
        />
        {form.side === 'bid'
          ? 'Only a seller reachable from the internet (what a site’s visitors need)'
          : reachability === 'public'
            ? 'This node can be reached from the internet'
            : 'This node can be reached from the internet (not confirmed: it is behind a NAT or no peer has confirmed it yet)'}
      </label>
      <div className="form-grid">
        <label>
          Preferred {form.side === 'bid' ? 'sellers' : 'buyers'} (peer IDs, one a line)
          <textarea
            rows={2}
            value={form.peers}
            onChange={(event) => update({ peers: event.target.value })}
            spellCheck={false}
            {...invalid('peers')}
          />
          {errorFor('peers')}
        </label>
        <label>
          Preferred groups (owner/name, one a line)
          <textarea
            rows={2}
            value={form.groups}
            onChange={(event) => update({ groups: event.target.value })}
            spellCheck={false}
            {...invalid('groups')}
          />
          {errorFor('groups')}
        </label>
      </div>
      <MemberPicker peers={form.peers} onChange={(peers) => update({ peers })} side={form.side} me={me} />
      {groups.length > 0 && (
        <fieldset className="group-choices" data-testid="order-groups">
          <legend>My groups</legend>
          {groups.map((group) => {
            const listed = form.groups.split('\n').map((line) => line.trim())
            return (
              <label key={group.id} className="checkbox" title={group.id}>
                <input
                  type="checkbox"
                  checked={listed.includes(group.id)}
                  onChange={(event) =>
                    update({
                      groups: (event.target.checked
                        ? [...listed.filter(Boolean), group.id]
                        : listed.filter((line) => line && line !== group.id)
                      ).join('\n'),
                    })
                  }
                  data-testid="order-group"
                />
                {group.name}
                {!group.mine && <span className="muted"> (member)</span>}
              </label>
            )
          })}
        </fieldset>
      )}
    </details>
  )
}
