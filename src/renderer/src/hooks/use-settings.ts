import { useCallback, useEffect, useRef, useState } from 'react'
import type { ApiClient, Settings } from '../../../shared/api/contract'

export interface SettingsView {
  readonly settings: Settings | undefined
  readonly error: Error | undefined
  /**
   * Change some settings. The change shows at once; the node's answer then replaces it, and if the
   * node refuses, the settings are reloaded from the node and the error is thrown to the caller.
   */
  update(patch: Partial<Settings>): Promise<Settings>
}

export function useSettings(client: ApiClient, generation: number): SettingsView {
  const [settings, setSettings] = useState<Settings>()
  const [error, setError] = useState<Error>()
  const mounted = useRef(true)

  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
    }
  }, [])

  useEffect(
    () =>
      client.subscribe((event) => {
        if (event.type === 'settings.changed') setSettings(event.data)
      }),
    [client],
  )

  const reload = useCallback(() => {
    client.call('settings.get', {}).then(
      (next) => {
        if (!mounted.current) return
        setSettings(next)
        setError(undefined)
      },
      (reason: unknown) => {
        if (mounted.current) setError(reason instanceof Error ? reason : new Error(String(reason)))
      },
    )
  }, [client])

  useEffect(() => {
    reload()
  }, [reload, generation])

  const update = useCallback(
    async (patch: Partial<Settings>) => {
      setSettings((current) => (current ? { ...current, ...patch } : current))
      try {
        const next = await client.call('settings.update', patch)
        if (mounted.current) setSettings(next)
        return next
      } catch (reason) {
        reload()
        throw reason
      }
    },
    [client, reload],
  )

  return { settings, error, update }
}
