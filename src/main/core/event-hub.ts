// Fans the node's API events out to every subscriber (the IPC bridge, each WebSocket). A listener
// that throws is the transport's fault, not the node's: it is reported and the others still hear.
import type { ApiEvent } from '../../shared/api/contract'

export interface EventHub {
  emit(event: ApiEvent): void
  subscribe(listener: (event: ApiEvent) => void): () => void
  readonly subscriberCount: number
}

export function createEventHub(onListenerError: (error: unknown) => void = console.error): EventHub {
  const listeners = new Set<(event: ApiEvent) => void>()
  return {
    emit(event) {
      for (const listener of [...listeners]) {
        try {
          listener(event)
        } catch (error) {
          onListenerError(error)
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
