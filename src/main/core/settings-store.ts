// The user's settings, kept in the store's 'settings' sublevel as one record and checked against the
// contract's schema on the way in and out.
import { defaultSettings, SettingsSchema, type Settings } from '../../shared/api/contract'
import { parseWith } from '../../shared/api/schema'
import type { Store } from './store'

const settingsKey = 'current'

export interface SettingsStore {
  get(): Settings
  update(patch: Partial<Settings>): Promise<Settings>
}

export async function openSettingsStore(store: Store): Promise<SettingsStore> {
  const sublevel = store.jsonSublevel<unknown>('settings')
  const saved = await sublevel.get(settingsKey)
  // A record from an older version may lack newer fields: defaults fill them in.
  let current: Settings =
    saved === undefined
      ? defaultSettings
      : parseWith(SettingsSchema, { ...defaultSettings, ...(saved as object) }, 'stored settings')
  return {
    get: () => current,
    async update(patch) {
      const next = parseWith(SettingsSchema, { ...current, ...patch }, 'settings')
      await sublevel.put(settingsKey, next)
      current = next
      return next
    },
  }
}
