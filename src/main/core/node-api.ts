// The node's API: each command of the contract (src/shared/api/contract.ts) handed to the part of the
// node that does it. createNode builds the parts; this file only routes to them.
import type { Logger } from '@libp2p/interface'
import type { ApiHandlers, NodeStatus, PeerConnection } from '../../shared/api/contract'
import { ValidationError } from '../../shared/errors'
import type { BenchmarkService } from './benchmark/benchmark-service'
import type { ResolvedConfig } from './config'
import type { DeliveryService } from './delivery/delivery-service'
import type { DraftsService } from './drafts/drafts-service'
import type { EventHub } from './event-hub'
import type { AutoNegotiationService } from './market/auto-negotiation'
import type { MarketService } from './market/market-service'
import type { NegotiationHistoryService } from './market/negotiation-history'
import { acceptOffer, counterOffer } from './market/negotiation-offers'
import type { MembersService } from './members/members-service'
import { createSwarmKeyFile, readSwarmKeyFile } from './members/swarm-key'
import { parsePeerAddress } from './peer-connections'
import type { SettingsStore } from './settings-store'

/** What the handlers reach: the node's parts, and its own status and connect. */
export interface NodeApiParts {
  readonly config: ResolvedConfig
  readonly log: Logger
  readonly settings: SettingsStore
  readonly events: EventHub
  readonly benchmark: BenchmarkService
  readonly market: MarketService
  readonly members: MembersService
  readonly negotiationHistory: NegotiationHistoryService
  readonly autoNegotiation: AutoNegotiationService
  readonly drafts: DraftsService
  readonly delivery: DeliveryService
  status(): NodeStatus
  connect(address: string, remember: boolean): Promise<PeerConnection>
}

export function nodeApiHandlers(node: NodeApiParts): ApiHandlers {
  return {
    'node.status': async () => node.status(),
    'node.connect': async ({ address, remember }) => node.connect(address, remember ?? false),
    'settings.get': async () => node.settings.get(),
    'settings.update': async (patch) => {
      if (patch.savedPeers) {
        patch.savedPeers.forEach((text, index) => {
          try {
            parsePeerAddress(text)
          } catch (error) {
            throw new ValidationError((error as Error).message, { path: `savedPeers[${index}]` })
          }
        })
      }
      const next = await node.settings.update(patch)
      node.events.emit({ type: 'settings.changed', data: next })
      // A new display name goes out in a new signed profile.
      void node.members
        .refreshProfile()
        .catch((error: unknown) => node.log.error('publishing the member profile failed - %e', error))
      return next
    },
    'benchmark.start': async (params) => node.benchmark.startRun(params),
    'benchmark.record': async (params) => node.benchmark.recordRun(params),
    'benchmark.cancel': async () => ({ cancelled: node.benchmark.cancel() }),
    'benchmark.history': async ({ limit }) => ({
      runs: await node.benchmark.history(limit),
      runningId: node.benchmark.runningId ?? null,
    }),
    'benchmark.profile': async () => (await node.benchmark.profile()) ?? null,
    'market.place': async ({ order }) => node.market.place(order),
    'market.amend': async ({ order, ...change }) => node.market.amend(order, change),
    'market.cancel': async ({ order }) => node.market.cancel(order),
    'market.refresh': async () => node.market.refresh(),
    'market.decline': async ({ bid, ask }) => {
      await node.market.decline(bid, ask)
      return { declined: true as const }
    },
    'market.book': async ({ unit }) => ({
      orders: node.market.bookOrders(unit),
      at: Date.now(),
      version: node.market.bookVersion(),
    }),
    'market.bookChanges': async ({ since }) => ({ ...node.market.bookChanges(since), at: Date.now() }),
    'market.myOrders': async () => ({ orders: node.market.myOrders() }),
    'market.negotiations': async () => ({ negotiations: node.market.negotiations() }),
    'market.agreements': async () => ({ agreements: node.market.agreements() }),
    'market.overCommitments': async () => ({ overCommitments: node.market.overCommitments() }),
    'market.takes': async () => ({ takes: node.market.takes(), at: Date.now() }),
    'market.summary': async () => node.market.summary(),
    'market.confirms': async ({ take }) => ({ confirms: node.market.confirms(take) }),
    'members.list': async () => ({ members: node.members.list() }),
    'members.profile': async ({ peerId }) => node.members.profile(peerId),
    'presence.set': async ({ status }) => ({ status: await node.members.setPresence(status) }),
    'members.block': async ({ peerId }) => ({ blocked: await node.members.block(peerId) }),
    'members.unblock': async ({ peerId }) => ({ unblocked: await node.members.unblock(peerId) }),
    'members.blocked': async () => ({ peers: node.members.blocked() }),
    'groups.create': async ({ name, members }) => node.members.createGroup(name, members),
    'groups.addMember': async ({ name, peerId }) => node.members.addGroupMember(name, peerId),
    'groups.removeMember': async ({ name, peerId }) => node.members.removeGroupMember(name, peerId),
    'groups.list': async () => ({ groups: node.members.groups() }),
    'network.createSwarmKey': async ({ overwrite }) => ({
      ...(await createSwarmKeyFile(node.config.dataDir, overwrite ?? false)),
      privateNetwork: node.config.swarmKey !== undefined,
      restartRequired: true,
    }),
    'network.swarmKey': async () => ({
      privateNetwork: node.config.swarmKey !== undefined,
      // The key the node runs with (its file may be anywhere), else the one in the data directory.
      key: node.config.swarmKey
        ? { file: null, text: Buffer.from(node.config.swarmKey).toString('utf8') }
        : await readSwarmKeyFile(node.config.dataDir),
    }),
    'market.counterOffer': async ({ bid, ask, price }) => counterOffer(node.market, bid, ask, price),
    'market.acceptOffer': async ({ bid, ask }) => acceptOffer(node.market, bid, ask),
    'market.negotiationHistory': async ({ bid, ask }) => node.negotiationHistory.history(bid, ask),
    'market.setPolicy': async (params) => node.autoNegotiation.setPolicy(params),
    'market.clearPolicy': async ({ order }) => ({ cleared: await node.autoNegotiation.clearPolicy(order) }),
    'market.policies': async () => ({ policies: node.autoNegotiation.policies() }),
    'drafts.save': async ({ draft }) => node.drafts.save(draft),
    'drafts.list': async () => ({ drafts: await node.drafts.list() }),
    'drafts.delete': async ({ ids }) => ({ deleted: await node.drafts.delete(ids) }),
    'drafts.publish': async ({ ids }) => ({ outcomes: await node.drafts.publish(ids) }),
    'delivery.submitJob': async (params) => node.delivery.submitJob(params),
    'delivery.quoteJob': async (params) => node.delivery.quoteJob(params),
    'delivery.checkJob': async (params) => node.delivery.checkJob(params),
    'delivery.stopJob': async (params) => node.delivery.stopJob(params),
    'delivery.submitSite': async (params) => node.delivery.submitSite(params),
    'delivery.jobs': async () => node.delivery.jobs(),
    'delivery.receipts': async ({ agreement }) => ({ receipts: await node.delivery.receipts(agreement) }),
    'delivery.ledger': async () => node.delivery.ledger(),
    'delivery.ledgerCsv': async () => node.delivery.ledgerCsv(),
    'delivery.policy': async () => node.delivery.policy(),
    'delivery.setPolicy': async (patch) => node.delivery.setPolicy(patch),
  }
}
