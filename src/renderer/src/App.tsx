import { useEffect, useRef } from 'react'
import type { PageApi } from './api/page-client'
import { Logo } from './components/Logo'
import { StatusBar } from './components/StatusBar'
import { useConnection } from './hooks/use-connection'
import { useHashRoute } from './hooks/use-hash-route'
import { useNodeStatus } from './hooks/use-node-status'
import { useSettings } from './hooks/use-settings'
import { routes, type RouteId } from './lib/routes'
import { applyTheme, type Theme } from './lib/theme'
import { BenchmarkPage } from './pages/BenchmarkPage'
import { NodePage } from './pages/NodePage'
import { SettingsPage } from './pages/SettingsPage'

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
  const route = useHashRoute()
  const theme = settingsView.settings?.theme ?? initialTheme

  useEffect(() => {
    applyTheme(document.documentElement, theme, themeStorage)
  }, [theme, themeStorage])

  useFocusOnPageChange(route)

  return (
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
      </nav>
      <main className="content">
        {route === 'node' && <NodePage client={client} node={node} />}
        {route === 'benchmark' && <BenchmarkPage client={client} generation={connection.generation} />}
        {route === 'settings' && <SettingsPage view={settingsView} />}
      </main>
      <StatusBar state={connection.state} transport={client.transport} version={node.status?.version} />
    </div>
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
