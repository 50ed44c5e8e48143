// The one place that turns an untrusted (name, params) pair into a validated handler call. Both
// transports (IPC in the desktop shell, HTTP in headless mode) hand their calls to this object.
import { UnknownCommandError } from '../errors'
import { commands, isCommandName, type ApiEvent, type ApiHandlers, type ApiService } from './contract'
import { parseWith } from './schema'

export interface EventSource {
  subscribe(listener: (event: ApiEvent) => void): () => void
}

export function createApiService(handlers: ApiHandlers, eventSource: EventSource): ApiService {
  return {
    async call(name, params) {
      if (!isCommandName(name)) {
        // Not String(name): a value from outside may be an object whose toString throws.
        throw new UnknownCommandError(
          `There is no command '${typeof name === 'string' ? name.slice(0, 80) : typeof name}' in the Cyclex API`,
        )
      }
      const command = commands[name]
      const validated = parseWith(command.params, params ?? {}, `${name} parameters`)
      const handler = handlers[name] as (params: unknown) => Promise<unknown>
      return handler(validated)
    },
    subscribe: (listener) => eventSource.subscribe(listener),
  }
}
