// The contract between the UI and the node: every command with the schema of its parameters and of
// its result, and every event with the schema of its payload. The node implements `ApiHandlers`; the
// IPC and HTTP/WebSocket transports carry calls and events without knowing what they mean, and the
// renderer talks to an `ApiClient` that either transport provides.
import { z } from 'zod'
import { deliveryCommands, deliveryEvents } from './delivery'
import { draftCommands, draftEvents } from './drafts'
import { marketCommands, marketEvents } from './market'
import { membersCommands, membersEvents } from './members'
import { SignedProfileJsonSchema } from '../benchmark/profile'
import { ipv4RangeRule, parseIpv4Range } from '../ipv4-range'
import { BenchmarkRecordParamsSchema } from '../benchmark/record'
import {
  BenchmarkOutcomeSchema,
  BenchmarkProgressSchema,
  BenchmarkRunSchema,
  BenchmarkStartParamsSchema,
} from '../benchmark/schema'

const peerId = z.string().min(1).max(128)
const multiaddrText = z.string().min(1).max(1024)
/** An IPv4 range in CIDR notation; what is wrong with another value is said in words (ipv4RangeRule). */
const publicRange = z
  .string()
  .trim()
  .max(64)
  .refine((text) => parseIpv4Range(text) !== null, { message: ipv4RangeRule })
/** Ranges the app's setting holds at most. */
export const maxPublicRanges = 16

export const PeerConnectionSchema = z.object({
  peerId,
  /** The remote address of each open connection to the peer. */
  addresses: z.array(multiaddrText),
  direction: z.enum(['inbound', 'outbound']),
  /** Round-trip time of the last ping, in milliseconds; null until the first ping answers. */
  latencyMs: z.number().nonnegative().nullable(),
  /** When the first open connection to the peer was opened, ms since the epoch. */
  connectedAt: z.number().int().nonnegative(),
  /**
   * How the best open connection runs: straight to the peer; through a circuit relay (limited in
   * bytes and time); or hole-punched: straight to the peer, opened while a relayed connection to it
   * was open (DCUtR's hole punch, or a direct dial to addresses the peer sent over the relay).
   */
  kind: z.enum(['direct', 'relayed', 'hole-punched']),
  /** The relay a relayed connection runs through; null otherwise. */
  relay: peerId.nullable(),
})
export type PeerConnection = z.infer<typeof PeerConnectionSchema>

export const ReachabilitySchema = z.object({
  /**
   * public: a peer dialled one of this node's addresses back (AutoNAT) or the node offers relay
   * service on an address it was told is public; behind-nat: peers see it at an address it does not
   * listen on, or AutoNAT found its addresses undialable; unknown: neither yet.
   */
  status: z.enum(['public', 'behind-nat', 'unknown']),
  /** Addresses other nodes can dial directly (confirmed by AutoNAT, or announced). */
  publicAddresses: z.array(multiaddrText),
  /** The addresses others reach this node at through a relay (/p2p/<relay>/p2p-circuit/p2p/<self>). */
  relayAddresses: z.array(multiaddrText),
  /** The relays holding a reservation for this node. */
  relays: z.array(peerId),
  /** This node's own circuit relay service, when it offers one (cyclex serve --relay). */
  relayService: z
    .object({ maxReservations: z.number().int().nonnegative(), reservations: z.number().int().nonnegative() })
    .nullable(),
  /**
   * While the node needs a relay (it is not public), holds no reservation and is connected to a relay:
   * the failed requests since it last held one, when it asks again, and why the last one failed.
   * Null otherwise.
   */
  reservationRetry: z
    .object({
      attempts: z.number().int().nonnegative(),
      nextAttemptAt: z.number().int().nonnegative(),
      lastError: z.string().nullable(),
    })
    .nullable(),
})
export type Reachability = z.infer<typeof ReachabilitySchema>

export const RedialStateSchema = z.object({
  peerId,
  /** Why the node wants this peer: it is a bootstrap peer, a saved peer, or a relay it used. */
  reason: z.enum(['bootstrap', 'saved', 'relay']),
  attempts: z.number().int().nonnegative(),
  nextAttemptAt: z.number().int().nonnegative(),
  lastError: z.string().nullable(),
})
export type RedialState = z.infer<typeof RedialStateSchema>

export const NodeStatusSchema = z.object({
  peerId,
  version: z.string(),
  /** The addresses this node listens on, each ending in /p2p/<peerId>, ready to share. */
  listenAddresses: z.array(multiaddrText),
  peers: z.array(PeerConnectionSchema),
  /** Whether the node runs in a closed peer group (a libp2p private network with a swarm key). */
  privateNetwork: z.boolean(),
  startedAt: z.number().int().nonnegative(),
  reachability: ReachabilitySchema,
  /** Wanted peers (bootstrap, saved, relays) that are not connected; the node keeps dialling them. */
  redialing: z.array(RedialStateSchema),
  /**
   * The IPv4 ranges this node takes for public in a hole punch, since its start: cyclex serve
   * --public-range and the app's setting publicRanges together.
   */
  publicRanges: z.array(z.string()),
})
export type NodeStatus = z.infer<typeof NodeStatusSchema>

export const themes = ['system', 'light', 'dark'] as const

/** The longest history retention a user may choose: ten years. */
export const maxHistoryRetentionDays = 3650

export const SettingsSchema = z
  .object({
    /** The name other members see; empty until the user sets one. */
    displayName: z.string().max(64),
    theme: z.enum(themes),
    /** Peers this node dials at every start, besides the bootstrap addresses of its configuration. */
    savedPeers: z.array(multiaddrText).max(64),
    /** Offer circuit relay to nodes behind NATs, from the next start (as cyclex serve --relay does). */
    offerRelay: z.boolean().optional(),
    /** How many nodes may hold a reservation on this node's relay at once; default 64. */
    relayMaxReservations: z.number().int().min(1).max(10_000).optional(),
    /**
     * IPv4 ranges (CIDR) to take for public when trading addresses for a hole punch, from the next
     * start, beside those of cyclex serve --public-range: a carrier-grade NAT's 100.64.0.0/10, a lab.
     */
    publicRanges: z.array(publicRange).max(maxPublicRanges).optional(),
    /** Block a party as soon as the market's state proves it committed an order beyond its quantity. */
    blockOverCommitted: z.boolean(),
    /**
     * The user went through the first-run guide (named the node, ran the benchmark, placed a first
     * order) or skipped it: the app then opens on the Market page instead of the guide. Kept by the
     * node, so it holds in every browser and across restarts; absent is not done.
     */
    firstRunDone: z.boolean().optional(),
    /**
     * How many days this node keeps its own agreements (the Deals page's rows, their jobs) after their
     * delivery window ended; absent: defaultHistoryRetentionDays. `cyclex serve --keep-history-days N`
     * sets it too.
     */
    historyRetentionDays: z.number().int().min(1).max(maxHistoryRetentionDays).optional(),
    /**
     * The presence the user set on the Members page (presence.set keeps it here): the node says it
     * in its heartbeats from every start on; absent is online.
     */
    presence: z.enum(['online', 'away']).optional(),
  })
  .strict()
export type Settings = z.infer<typeof SettingsSchema>

/** How long a node keeps its own agreements after their window ended, unless the user chose otherwise. */
export const defaultHistoryRetentionDays = 30

export const defaultSettings: Settings = { displayName: '', theme: 'system', savedPeers: [], blockOverCommitted: true }

const noParams = z.object({}).strict()

export const commands = {
  'node.status': { params: noParams, result: NodeStatusSchema },
  'node.connect': {
    params: z
      .object({
        address: multiaddrText,
        /** Also dial this address at every later start. */
        remember: z.boolean().optional(),
      })
      .strict(),
    result: PeerConnectionSchema,
  },
  'settings.get': { params: noParams, result: SettingsSchema },
  'settings.update': { params: SettingsSchema.partial().strict(), result: SettingsSchema },
  /** Start a benchmark run; its progress and outcome arrive as benchmark.* events (docs/benchmark.md). */
  'benchmark.start': { params: BenchmarkStartParamsSchema, result: z.object({ runId: z.string() }) },
  'benchmark.cancel': { params: noParams, result: z.object({ cancelled: z.boolean() }) },
  /**
   * Record a run whose CPU stages the desktop window measured in its Web Workers: the node checks the
   * figures against the mode's plan, runs storage, system and network, then records and signs the
   * run; progress and outcome arrive as for benchmark.start.
   */
  'benchmark.record': { params: BenchmarkRecordParamsSchema, result: z.object({ runId: z.string() }) },
  /** Completed runs, newest first, and the id of the run in progress (null when none). */
  'benchmark.history': {
    params: z.object({ limit: z.number().int().min(1).max(500).optional() }).strict(),
    result: z.object({ runs: z.array(BenchmarkRunSchema), runningId: z.string().nullable() }),
  },
  /** This node's member profile from its latest run, signed by its peer key; null before any run. */
  'benchmark.profile': { params: noParams, result: SignedProfileJsonSchema.nullable() },
  ...marketCommands,
  ...membersCommands,
  ...draftCommands,
  ...deliveryCommands,
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>

export type CommandName = keyof typeof commands
export type CommandParams<Name extends CommandName> = z.input<(typeof commands)[Name]['params']>
export type CommandResult<Name extends CommandName> = z.output<(typeof commands)[Name]['result']>

export const events = {
  /** The node's status changed: a peer connected or left, a latency was measured, an address changed. */
  'node.status': NodeStatusSchema,
  'settings.changed': SettingsSchema,
  /** A benchmark stage moved on: stages in order, each from fraction 0 to 1. */
  'benchmark.progress': BenchmarkProgressSchema,
  /** A benchmark run ended: completed (with its figures), cancelled or failed. */
  'benchmark.result': BenchmarkOutcomeSchema,
  ...marketEvents,
  ...membersEvents,
  ...draftEvents,
  ...deliveryEvents,
} as const satisfies Record<string, z.ZodType>

export type EventName = keyof typeof events
export type ApiEvent = { [Name in EventName]: { type: Name; data: z.output<(typeof events)[Name]> } }[EventName]

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.hasOwn(commands, name)
}

/** What the node implements: one async function per command, given already-validated parameters. */
export type ApiHandlers = {
  [Name in CommandName]: (params: z.output<(typeof commands)[Name]['params']>) => Promise<CommandResult<Name>>
}

/** The node's side of the API, which both transports serve. */
export interface ApiService {
  /** Validate `params` against the command's schema, run it, and answer its result. */
  call(name: string, params: unknown): Promise<unknown>
  /** Receive every event until the returned function is called. */
  subscribe(listener: (event: ApiEvent) => void): () => void
}

/** What the renderer holds: typed calls and events over whichever transport the page has. */
export interface ApiClient {
  call<Name extends CommandName>(name: Name, params: CommandParams<Name>): Promise<CommandResult<Name>>
  subscribe(listener: (event: ApiEvent) => void): () => void
  /**
   * Which transport carries the calls: shown in the UI's footer, and the default of where the
   * benchmark's CPU stages run (the desktop window or the node; docs/benchmark.md). Pages never
   * branch on it otherwise.
   */
  readonly transport: 'ipc' | 'http'
}
