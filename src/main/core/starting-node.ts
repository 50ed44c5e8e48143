// A node that answers before its book is built (issue 19, item 4): createNode returns one when the
// start summary of the last clean stop still describes the store (market/start-summary.ts). Its
// `market.summary` answers from that summary at once; every other command, and `market.summary` once
// the clock is earlier than the summary (it cannot say which orders were live then), waits for the
// node being loaded behind it and is then that node's answer. When the load fails the waiting calls
// fail with its error, and `loaded` rejects with it.
import type { ComponentLogger } from '@libp2p/interface'
import {
  commands,
  type ApiHandlers,
  type ApiService,
  type CommandName,
  type NodeStatus,
} from '../../shared/api/contract'
import type { MarketSummary } from '../../shared/api/market'
import { createApiService, type EventSource } from '../../shared/api/service'
import { NotRunningError } from '../../shared/errors'
import type { ResolvedConfig } from './config'
import { liveOrdersAt, type StartSummary } from './market/start-summary'

/** What the starting node hands over to once the load has ended: the node and its API's handlers. */
export interface LoadedNode {
  readonly handlers: ApiHandlers
  status(): NodeStatus
  stop(): Promise<void>
}

export interface StartingNodeInit<Loaded extends LoadedNode = LoadedNode> {
  readonly peerId: string
  readonly config: ResolvedConfig
  readonly logger: ComponentLogger
  /** The node's event hub, which the loaded node emits into: subscribers hear it from the start. */
  readonly events: EventSource
  readonly summary: StartSummary
  /** Gossip peers now (libp2p runs before the load ends). */
  gossipPeers(): number
  /** The node being loaded; it rejects, having released everything, when the load fails. */
  readonly loading: Promise<Loaded>
  now?(): number
}

/** A CyclexNode (node.ts; createNode returns it as one) whose market is loading. */
export class StartingNode<Loaded extends LoadedNode = LoadedNode> {
  readonly peerId: string
  readonly config: ResolvedConfig
  readonly logger: ComponentLogger
  readonly api: ApiService
  readonly loaded: Promise<void>
  /**
   * The node it hands over to, once loaded: for code in the same process that reads the node's parts
   * (the multi-node tests' helper, the soak bench), which a starting node does not have.
   */
  readonly loadedNode: Promise<Loaded>
  private node: LoadedNode | undefined
  private stopped: Promise<void> | undefined

  constructor(private readonly init: StartingNodeInit<Loaded>) {
    this.peerId = init.peerId
    this.config = init.config
    this.logger = init.logger
    const loading = init.loading.then((node) => {
      this.node = node
      return node
    })
    this.loadedNode = loading
    this.loaded = loading.then(() => undefined)
    // A failed load is reported through `loaded` and the calls that wait; not as unhandled meanwhile.
    void this.loaded.catch(() => undefined)
    const handlers: Record<string, (params: unknown) => Promise<unknown>> = {}
    for (const name of Object.keys(commands) as CommandName[]) {
      handlers[name] = async (params) =>
        ((await loading).handlers[name] as (params: unknown) => Promise<unknown>)(params)
    }
    const afterLoad = handlers['market.summary']!
    handlers['market.summary'] = async (params) => this.summaryFromStart() ?? afterLoad(params)
    this.api = createApiService(handlers as unknown as ApiHandlers, init.events)
  }

  /** The start summary at this moment, while the node is loading and the clock is not before it. */
  private summaryFromStart(): MarketSummary | undefined {
    const { summary } = this.init
    const now = this.init.now?.() ?? Date.now()
    if (this.node !== undefined || now < summary.writtenAt) return undefined
    return {
      facts: summary.facts,
      digest: summary.digest,
      liveOrders: liveOrdersAt(summary, now),
      // No epoch has run: the market starts once the book is built.
      epoch: 0,
      gossipPeers: this.init.gossipPeers(),
    }
  }

  status(): NodeStatus {
    if (this.node === undefined)
      throw new NotRunningError('The node is still loading its market: its status is known once `loaded` resolves')
    return this.node.status()
  }

  /** Waits for the load to end, then stops the node; a failed load has released everything already. */
  stop(): Promise<void> {
    this.stopped ??= this.init.loading.then(
      (node) => node.stop(),
      () => undefined,
    )
    return this.stopped
  }
}
