import { useEffect, useMemo, useRef, useState } from 'react'
import { defaultHistoryRetentionDays } from '../../shared/api/contract'
import type { PageApi } from './api/page-client'
import { Logo } from './components/Logo'
import { StatusBar } from './components/StatusBar'
import { useConnection } from './hooks/use-connection'
import { useHashRoute } from './hooks/use-hash-route'
import { useNodeStatus } from './hooks/use-node-status'
import { useSettings } from './hooks/use-settings'
import { NegotiationDialog } from './market/components/NegotiationDialog'
import { NegotiationNotice } from './market/components/NegotiationNotice'
import { NegotiationInbox } from './market/components/NegotiationInbox'
import { formOfDraft, type OrderForm } from './market/order-form'
import { newDraftId, pageStorage } from './market/page-storage'
import { seenNegotiations } from './market/seen-negotiations'
import { useDrafts } from './market/use-drafts'
import { useMarket } from './market/use-market'
import { cpuPlacementOf } from './benchmark/cpu-placement'
import { peerFigures } from './benchmark/peer-figures'
import { useMembers } from './members/use-members'
import { DirectoryContext, directoryOf } from './members/directory'
import { lastPerFrame } from './lib/last-per-frame'
import { landingRoute, routes, type RouteId } from './lib/routes'
import { applyTheme, type Theme } from './lib/theme'
import { BenchmarkPage } from './pages/BenchmarkPage'
import { DealsPage } from './pages/DealsPage'
import { MarketPage } from './pages/MarketPage'
import { MembersPage } from './pages/MembersPage'
import { NodePage } from './pages/NodePage'
import { OrdersPage } from './pages/OrdersPage'
import { SettingsPage } from './pages/SettingsPage'
import { FirstRunGuide } from './start/FirstRunGuide'
import { useFirstRunDone } from './start/use-first-run-done'

interface AppProps {
  api: PageApi
  /** The theme to show until the node's settings arrive. */
  initialTheme: Theme
  themeStorage: Storage | undefined
}

export function App({ api, initialTheme, themeStorage }: AppProps) {
  const { client } = api
  const connection = useConnection(api.connection)
  const node = useNodeStatus(client, connection.generation)
  const settingsView = useSettings(client, connection.generation)
  const firstRunDone = settingsView.settings?.firstRunDone === true
  const route = useHashRoute(landingRoute(firstRunDone))
  // Until the settings say which page to open on, an address naming no page shows none.
  const choosingLanding =
    settingsView.settings === undefined &&
    settingsView.error === undefined &&
    !routes.some((each) => window.location.hash.startsWith(each.hash))
  const theme = settingsView.settings?.theme ?? initialTheme
  const market = useMarket(client, connection.generation)
  const members = useMembers(client, connection.generation)
  const myGroups = useMemo(() => members.groups.filter((group) => group.mine || group.memberOf), [members.groups])
  const benchmarkPeers = useMemo(() => peerFigures(members.members), [members.members])
  const directory = useMemo(() => directoryOf(members.members, members.groups), [members.members, members.groups])
  const storage = useMemo(() => pageStorage(themeStorage), [themeStorage])
  const nodeId = node.status?.peerId
  const seenStore = useMemo(() => seenNegotiations(themeStorage, nodeId), [themeStorage, nodeId])
  const drafts = useDrafts(client, connection.state, connection.generation, storage)
  const [openedDraft, setOpenedDraft] = useState<{ id: string; form: OrderForm; label: string }>()
  const [negotiationKey, setNegotiationKey] = useState<string>()
  const cpuPlacement = cpuPlacementOf(client.transport, window.location.search)
  useFirstRunDone(settingsView, market.myOrders.length > 0)
  const [noticeKey, setNoticeKey] = useState<string>()

  // A new negotiation for one of my orders raises a notice on whatever page is open (claim 14). The
  // latest one per frame: an epoch can start thousands, one event each, and each set would render the app.
  useEffect(() => {
    const notices = lastPerFrame(setNoticeKey)
    const unsubscribe = client.subscribe((event) => {
      if (event.type === 'market.negotiation') notices.push(`${event.data.bid}|${event.data.ask}`)
    })
    return () => {
      unsubscribe()
      notices.cancel()
    }
  }, [client])
  const openNegotiation = market.negotiations.find((each) => `${each.bid}|${each.ask}` === negotiationKey)
  // Keep the dialog's last view once the pair leaves the list, so it can say the negotiation ended.
  const [lastNegotiation, setLastNegotiation] = useState(openNegotiation)
  useEffect(() => {
    if (openNegotiation) setLastNegotiation(openNegotiation)
  }, [openNegotiation])
  const dialogNegotiation = negotiationKey === undefined ? undefined : (openNegotiation ?? lastNegotiation)
  const notice = market.negotiations.find((each) => `${each.bid}|${each.ask}` === noticeKey)

  useEffect(() => {
    applyTheme(document.documentElement, theme, themeStorage)
  }, [theme, themeStorage])

  useFocusOnPageChange(route)

  return (
    // Every page names counterparties by their profiles' names (PeerName) and reads groups as the matcher does.
    <DirectoryContext.Provider value={directory}>
      <div className="app">
        <nav className="sidebar" aria-label="Main">
          <div className="brand">
            <Logo size={28} />
            <span>Cyclex</span>
          </div>
          <ul className="nav-list">
            {routes.map((item) => (
              <li key={item.id}>
                <a
                  href={item.hash}
                  className="nav-link"
                  data-testid={`nav-${item.id}`}
                  aria-current={item.id === route ? 'page' : undefined}
                >
                  {item.title}
                </a>
              </li>
            ))}
          </ul>
          <NegotiationInbox negotiations={market.negotiations} seenStore={seenStore} onOpen={setNegotiationKey} />
        </nav>
        <main className="content">
          {choosingLanding && <p className="panel loading">Opening…</p>}
          {!choosingLanding && route === 'node' && settingsView.settings && !firstRunDone && (
            <FirstRunGuide
              client={client}
              generation={connection.generation}
              settings={settingsView.settings}
              update={settingsView.update}
              cpuPlacement={cpuPlacement}
              live={market.live}
              agreements={market.agreements}
              onOpenOrder={(form) => {
                setOpenedDraft({ id: newDraftId(), form, label: '' })
                window.location.hash = '#/market'
              }}
            />
          )}
          {!choosingLanding && route === 'node' && <NodePage client={client} node={node} />}
          {route === 'market' && (
            <MarketPage
              client={client}
              market={market}
              drafts={drafts}
              me={node.status?.peerId}
              reachability={node.status?.reachability.status}
              opened={openedDraft}
              groups={myGroups}
            />
          )}
          {route === 'orders' && (
            <OrdersPage
              client={client}
              market={market}
              drafts={drafts}
              onOpenDraft={(id) => {
                const draft = drafts.drafts.find((each) => each.id === id)
                if (!draft) return
                setOpenedDraft({ id, form: formOfDraft(draft.order, Date.now()), label: draft.label })
                window.location.hash = '#/market'
              }}
              onOpenNegotiation={setNegotiationKey}
            />
          )}
          {route === 'deals' && (
            <DealsPage
              market={market}
              client={client}
              generation={connection.generation}
              me={node.status?.peerId}
              historyDays={settingsView.settings?.historyRetentionDays ?? defaultHistoryRetentionDays}
            />
          )}
          {route === 'members' && <MembersPage client={client} members={members} status={node.status} />}
          {route === 'benchmark' && (
            <BenchmarkPage
              client={client}
              generation={connection.generation}
              peers={benchmarkPeers}
              defaultCpuPlacement={cpuPlacement}
            />
          )}
          {route === 'settings' && (
            <SettingsPage view={settingsView} client={client} generation={connection.generation} />
          )}
        </main>
        {notice && negotiationKey === undefined && (
          <NegotiationNotice
            negotiation={notice}
            onOpen={() => {
              setNegotiationKey(noticeKey)
              setNoticeKey(undefined)
            }}
            onDismiss={() => setNoticeKey(undefined)}
          />
        )}
        {dialogNegotiation && (
          <NegotiationDialog
            key={negotiationKey}
            client={client}
            negotiation={dialogNegotiation}
            myOrder={market.myOrders.find(
              (order) =>
                order.id === (dialogNegotiation.role === 'buyer' ? dialogNegotiation.bid : dialogNegotiation.ask),
            )}
            counterpartyMember={members.members.find(
              (member) => member.peerId === dialogNegotiation.counterparty.owner,
            )}
            ended={openNegotiation === undefined}
            agreement={market.agreements.find(
              (agreement) => agreement.bid === dialogNegotiation.bid && agreement.ask === dialogNegotiation.ask,
            )}
            onClose={() => setNegotiationKey(undefined)}
          />
        )}
        <StatusBar state={connection.state} transport={client.transport} version={node.status?.version} />
      </div>
    </DirectoryContext.Provider>
  )
}

/** Move focus to the new page's heading when the user navigates, but not on the first render. */
function useFocusOnPageChange(route: RouteId): void {
  const previous = useRef(route)
  useEffect(() => {
    if (previous.current === route) return
    previous.current = route
    document.querySelector<HTMLElement>('[data-page-heading]')?.focus()
  }, [route])
}
