// The app's pages and their addresses. Routing is by the URL's hash (#/settings), which works the
// same from file:// in the desktop app and from the headless node's HTTP server, survives a reload,
// and is an in-page navigation that the desktop shell's navigation guard lets through.

export const routes = [
  { id: 'node', title: 'Node', hash: '#/node' },
  { id: 'market', title: 'Market', hash: '#/market' },
  { id: 'orders', title: 'My orders', hash: '#/orders' },
  { id: 'deals', title: 'Deals', hash: '#/deals' },
  { id: 'members', title: 'Members', hash: '#/members' },
  { id: 'benchmark', title: 'Benchmark', hash: '#/benchmark' },
  { id: 'settings', title: 'Settings', hash: '#/settings' },
] as const

export type RouteId = (typeof routes)[number]['id']

export const defaultRoute: RouteId = 'node'

/**
 * The page the app opens on: the Node page, where the first-run guide is, until the guide is done
 * (a setting the node keeps); the Market after that.
 */
export function landingRoute(firstRunDone: boolean | undefined): RouteId {
  return firstRunDone === true ? 'market' : defaultRoute
}

/** The page a hash names; the landing page for an empty or unknown hash. */
export function routeFromHash(hash: string, landing: RouteId = defaultRoute): RouteId {
  const withoutTrailingSlash = hash.replace(/\/+$/, '')
  return routes.find((route) => route.hash === withoutTrailingSlash)?.id ?? landing
}
