import { useSyncExternalStore } from 'react'
import { routeFromHash, type RouteId } from '../lib/routes'

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange)
  return () => window.removeEventListener('hashchange', onChange)
}

/** The page the address bar's hash names (`landing` when it names none), updated on every hash change. */
export function useHashRoute(landing: RouteId): RouteId {
  return useSyncExternalStore(subscribe, () => routeFromHash(window.location.hash, landing))
}
