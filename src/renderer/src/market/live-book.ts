// The live book for the components deep in the desk that read it without re-rendering what lies
// between: order entry's preview line reads it, the order form around it does not.
import { createContext } from 'react'
import type { OrderView } from '../../../shared/api/market'

export const LiveBookContext = createContext<readonly OrderView[]>([])
