import { useCallback } from 'react'
import type { ApiClient, Settings } from '../../../shared/api/contract'
import type { NodeQueryOptions } from '../data/node-query'
import { useNodeQuery } from '../data/use-node-query'

export interface SettingsView {
  readonly settings: Settings | undefined
  readonly error: Error | undefined
  /**
   * Change some settings. The change shows at once; the node's answer then replaces it, and if the
   * node refuses, the settings are reloaded from the node and the error is thrown to the caller.
   */
  update(patch: Partial<Settings>): Promise<Settings>
}

const settingsQuery: NodeQueryOptions<Settings> = {
  read: (client) => client.call('settings.get', {}),
  onEvent(event, query) {
    if (event.type === 'settings.changed') query.update(() => event.data)
  },
}

export function useSettings(client: ApiClient, generation: number): SettingsView {
  const { data, error, update: updateInHand, refetch } = useNodeQuery(client, generation, settingsQuery)

  const update = useCallback(
    async (patch: Partial<Settings>) => {
      updateInHand((current) => (current ? { ...current, ...patch } : current))
      try {
        const next = await client.call('settings.update', patch)
        updateInHand(() => next)
        return next
      } catch (reason) {
        refetch()
        throw reason
      }
    },
    [client, updateInHand, refetch],
  )

  return { settings: data, error, update }
}
