import { useEffect, useRef } from 'react'
import type { SettingsView } from '../hooks/use-settings'

/**
 * The first-run guide is done once this node has an order of its own (placed from the guide or not):
 * the node then keeps firstRunDone in its settings, and the app opens on the Market from then on.
 */
export function useFirstRunDone(view: SettingsView, hasOrder: boolean): void {
  const asked = useRef(false)
  const { settings, update } = view
  useEffect(() => {
    if (!settings || settings.firstRunDone === true || !hasOrder || asked.current) return
    asked.current = true
    // A refusal is reloaded by update() and tried again on the next order change.
    update({ firstRunDone: true }).catch(() => {
      asked.current = false
    })
  }, [settings, hasOrder, update])
}
