// The tray icon's words: how many peers the node is connected to, in the tooltip and at the top
// of the menu, with Show and Quit below.
import type { MenuItemConstructorOptions } from 'electron'
import type { NodeStatus } from '../../shared/api/contract'

export interface TrayView {
  tooltip: string
  menu: MenuItemConstructorOptions[]
}

export interface TrayActions {
  show(): void
  quit(): void
}

export function peersConnectedText(status: NodeStatus | undefined): string {
  if (!status) return 'Starting…'
  const count = status.peers.length
  if (count === 0) return 'No peers connected'
  return `${count} ${count === 1 ? 'peer' : 'peers'} connected`
}

export function trayView(status: NodeStatus | undefined, actions: TrayActions): TrayView {
  const summary = peersConnectedText(status)
  return {
    tooltip: `Cyclex: ${summary}`,
    menu: [
      { label: summary, enabled: false },
      ...(status?.privateNetwork ? [{ label: 'Private network', enabled: false }] : []),
      { type: 'separator' },
      { label: 'Show Cyclex', click: () => actions.show() },
      { label: 'Quit Cyclex', click: () => actions.quit() },
    ],
  }
}

/**
 * A function to call with every status: it redraws the tray through `apply` only when what the
 * tray shows changes. node.status events arrive on every latency measurement, and rebuilding the
 * menu each time would close it under the user's pointer on some desktops.
 */
export function trayUpdater(
  apply: (view: TrayView) => void,
  actions: TrayActions,
): (status: NodeStatus | undefined) => void {
  let shown: string | undefined
  return (status) => {
    const view = trayView(status, actions)
    const key = view.menu.map((item) => item.label ?? item.type).join('|')
    if (key === shown) return
    shown = key
    apply(view)
  }
}
