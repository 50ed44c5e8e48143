// The browser's WebSocket behind the HTTP transport's OpenSocket.
import type { OpenSocket } from './http-transport'

export const openBrowserSocket: OpenSocket = (url, handlers) => {
  const socket = new WebSocket(url)
  socket.addEventListener('open', () => handlers.onOpen())
  socket.addEventListener('message', (event) => handlers.onMessage(event.data))
  // A failed attempt fires 'error' and then 'close'; only 'close' schedules the next attempt.
  socket.addEventListener('close', () => handlers.onClose())
  return { close: () => socket.close() }
}
