import { describe, expect, it } from 'vitest'
import type { NodeStatus, PeerConnection } from '../../../src/shared/api/contract'
import { peersConnectedText, trayUpdater, trayView, type TrayView } from '../../../src/main/electron/tray'

function peer(peerId: string, latencyMs: number | null = null): PeerConnection {
  return { peerId, addresses: [], direction: 'outbound', latencyMs, connectedAt: 1, kind: 'direct', relay: null }
}

function statusWith(peers: PeerConnection[], privateNetwork = false): NodeStatus {
  return {
    peerId: '12D3KooWSelf',
    version: '0.1.0',
    listenAddresses: [],
    peers,
    privateNetwork,
    startedAt: 1,
    reachability: {
      status: 'unknown',
      publicAddresses: [],
      relayAddresses: [],
      relays: [],
      relayService: null,
      reservationRetry: null,
    },
    redialing: [],
    publicRanges: [],
  }
}

const noActions = { show: () => {}, quit: () => {} }

describe('the tray', () => {
  it('says how many peers are connected', () => {
    expect(peersConnectedText(undefined)).toBe('Starting…')
    expect(peersConnectedText(statusWith([]))).toBe('No peers connected')
    expect(peersConnectedText(statusWith([peer('a')]))).toBe('1 peer connected')
    expect(peersConnectedText(statusWith([peer('a'), peer('b')]))).toBe('2 peers connected')
  })

  it('shows the count in the tooltip and atop the menu, with Show and Quit that do what they say', () => {
    const done: string[] = []
    const view = trayView(statusWith([peer('a'), peer('b'), peer('c')]), {
      show: () => done.push('show'),
      quit: () => done.push('quit'),
    })
    expect(view.tooltip).toBe('Cyclex: 3 peers connected')
    expect(view.menu[0]).toEqual({ label: '3 peers connected', enabled: false })
    const show = view.menu.find((item) => item.label === 'Show Cyclex')
    const quit = view.menu.find((item) => item.label === 'Quit Cyclex')
    // Electron calls click with (menuItem, window, event); the actions ignore them.
    const click = (item: (typeof view.menu)[number] | undefined) => (item?.click as (() => void) | undefined)?.()
    click(show)
    click(quit)
    expect(done).toEqual(['show', 'quit'])
  })

  it('marks a private network in the menu', () => {
    const labels = trayView(statusWith([], true), noActions).menu.map((item) => item.label)
    expect(labels).toContain('Private network')
    expect(trayView(statusWith([]), noActions).menu.map((item) => item.label)).not.toContain('Private network')
  })

  it('redraws only when what it shows changes, not on every latency measurement', () => {
    const drawn: TrayView[] = []
    const update = trayUpdater((view) => drawn.push(view), noActions)
    update(undefined)
    update(statusWith([peer('a', 3)]))
    update(statusWith([peer('a', 4)]))
    update(statusWith([peer('a', 5)]))
    update(statusWith([peer('a', 5), peer('b')]))
    update(statusWith([]))
    expect(drawn.map((view) => view.tooltip)).toEqual([
      'Cyclex: Starting…',
      'Cyclex: 1 peer connected',
      'Cyclex: 2 peers connected',
      'Cyclex: No peers connected',
    ])
  })
})
