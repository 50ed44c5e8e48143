// Fans the node's API events out to every subscriber (the IPC bridge, each WebSocket). A listener
// that throws is the transport's fault, not the node's: it is logged and the others still hear.
import type { Logger } from '@libp2p/interface'
import type { ApiEvent } from '../../shared/api/contract'

export interface EventHub {
  emit(event: ApiEvent): void
  subscribe(listener: (event: ApiEvent) => void): () => void
  readonly subscriberCount: number
}

/** `log`: where a listener's error is written (the node's `cyclex:node` log). */
export function createEventHub(log: Pick<Logger, 'error'>): EventHub {
  const listeners = new Set<(event: ApiEvent) => void>()
  return {
    emit(event) {
      for (const listener of [...listeners]) {
        try {
          listener(event)
        } catch (error) {
          log.error('an event listener failed - %e', error)
        }
      }
    },
    subscribe(listener) {
      const wrapped = (event: ApiEvent): void => listener(event)
      listeners.add(wrapped)
      return () => {
        listeners.delete(wrapped)
      }
    },
    get subscriberCount() {
      return listeners.size
    },
  }
}
