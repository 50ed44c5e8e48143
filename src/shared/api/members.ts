// The members' part of the API contract (DESIGN section 8, docs/members.md): who the members of the
// market are, with their signed profiles and presence; the groups orders can name as counterparties;
// this node's blocklist; and the swarm key of a closed peer group.
import { z } from 'zod'
import { SignedProfileRecordJsonSchema } from '../benchmark/profile'

const peerId = z.string().min(1).max(128)
const groupName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    'must be 1 to 64 letters, digits, . _ or -, starting with a letter or digit',
  )
const whole = z.number().int().nonnegative()

export const memberStatuses = ['online', 'away', 'offline'] as const
export type MemberStatus = (typeof memberStatuses)[number]

export const MemberViewSchema = z.object({
  peerId,
  /** This node itself (listed first). */
  self: z.boolean(),
  displayName: z.string(),
  os: z.object({ family: z.string(), version: z.string().optional() }).nullable(),
  /** From the member's last benchmark run; null when it has not run one. */
  gflopsPerCore: whole.nullable(),
  cores: whole.nullable(),
  storageGb: whole.nullable(),
  /** Measured to a peer, Mbit/s; null when not measured. */
  bandwidthMbps: whole.nullable(),
  network: z.object({ interfaces: whole, linkSpeedMbps: whole.optional() }).nullable(),
  /** Group ids the member is in, from the groups' signed member lists (not from its own profile). */
  groups: z.array(z.string()),
  status: z.enum(memberStatuses),
  /** When this node last heard from the member (profile or heartbeat), by this node's clock; null if never. */
  lastSeen: whole.nullable(),
  /** The member's live orders in the book. */
  openOrders: whole,
  /** Binding agreements the member is the buyer or the seller of. */
  trades: whole,
  /**
   * Orders the market's state proves the member committed beyond their quantity (confirms beyond an
   * ask, takes in force at once beyond a bid: docs/matcher.md §2a); 0 for an honest member.
   */
  overCommitted: whole,
  /** When the member signed the profile shown. */
  publishedAt: whole.nullable(),
})
export type MemberView = z.infer<typeof MemberViewSchema>

export const MemberStatusChangeSchema = z.object({ peerId, status: z.enum(memberStatuses), lastSeen: whole.nullable() })
export type MemberStatusChange = z.infer<typeof MemberStatusChangeSchema>

export const GroupViewSchema = z.object({
  /** `<owner>/<name>`: what an order's counterparties.groups names. */
  id: z.string(),
  owner: peerId,
  name: z.string(),
  /** The member list in force (the highest seq the node holds). */
  members: z.array(peerId),
  /** This node owns it (and may change its members). */
  mine: z.boolean(),
  /** This node is one of its members. */
  memberOf: z.boolean(),
})
export type GroupView = z.infer<typeof GroupViewSchema>

export const BlockedPeerViewSchema = z.object({
  peerId,
  blockedAt: whole,
  displayName: z.string().nullable(),
  /** Orders the state proves the peer committed beyond their quantity (why it may have been blocked). */
  overCommitted: whole,
})
export type BlockedPeerView = z.infer<typeof BlockedPeerViewSchema>

const SwarmKeySchema = z.object({
  /** The swarm key file; share its text with the members of the group, over a channel you trust. */
  file: z.string(),
  text: z.string(),
})

const noParams = z.object({}).strict()

export const membersCommands = {
  /** Every member this node knows (itself first), except blocked peers. */
  'members.list': { params: noParams, result: z.object({ members: z.array(MemberViewSchema) }) },
  /** One member with its signed profile as received; null for a peer with no profile here. */
  'members.profile': {
    params: z.object({ peerId }).strict(),
    result: z.object({ member: MemberViewSchema, signed: SignedProfileRecordJsonSchema }).nullable(),
  },
  /** Say whether the user is here: `away` when idle or the app is in the background. */
  'presence.set': {
    params: z.object({ status: z.enum(['online', 'away']) }).strict(),
    result: z.object({ status: z.enum(['online', 'away']) }),
  },
  /** Refuse connections from a peer (and close the open ones) and hide it from the members list. */
  'members.block': { params: z.object({ peerId }).strict(), result: z.object({ blocked: z.boolean() }) },
  'members.unblock': { params: z.object({ peerId }).strict(), result: z.object({ unblocked: z.boolean() }) },
  'members.blocked': { params: noParams, result: z.object({ peers: z.array(BlockedPeerViewSchema) }) },
  /** Publish a new group owned by this node (its signed member list); fails if the name is taken. */
  'groups.create': {
    params: z.object({ name: groupName, members: z.array(peerId).max(256) }).strict(),
    result: GroupViewSchema,
  },
  /** Publish the group's member list with one more member (a higher seq replaces the list). */
  'groups.addMember': { params: z.object({ name: groupName, peerId }).strict(), result: GroupViewSchema },
  'groups.removeMember': { params: z.object({ name: groupName, peerId }).strict(), result: GroupViewSchema },
  /** The groups this node owns and the groups it is a member of. */
  'groups.list': { params: noParams, result: z.object({ groups: z.array(GroupViewSchema) }) },
  /**
   * Write a new swarm key file in the data directory and answer its text to share. The node keeps
   * running as it is: it joins the closed group only when restarted with --swarm-key FILE.
   */
  'network.createSwarmKey': {
    params: z.object({ overwrite: z.boolean().optional() }).strict(),
    result: SwarmKeySchema.extend({ privateNetwork: z.boolean(), restartRequired: z.boolean() }),
  },
  /** The swarm key this node runs with (text to share), or the one in its data directory; null when neither. */
  'network.swarmKey': {
    params: noParams,
    result: z.object({
      privateNetwork: z.boolean(),
      key: SwarmKeySchema.extend({ file: z.string().nullable() }).nullable(),
    }),
  },
} as const

export const membersEvents = {
  /** A member's profile arrived or changed: the member as listed now. */
  'members.changed': MemberViewSchema,
  /** A member went online, away or offline. */
  'member.status': MemberStatusChangeSchema,
} as const
