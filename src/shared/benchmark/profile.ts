// This node's member profile (DESIGN section 8): what a seller offers, as measured by its last
// benchmark run, signed by the node's peer key so a buyer can check who states it.
//
// The market folder has no profile fact kind yet, so the profile is its own signed record built from
// the market's pieces: the body is the canonical dag-cbor of the profile with `kind: 'profile'`
// (integers only, like every fact), the id is factIdOfBody's CIDv1, the signature is the owner's
// Ed25519 signature over the market's signingMessage(body), and the envelope is encodeSignedFact's
// { body, signature }. Because parseFact refuses the kind, a profile signature can never pass as an
// order; and once the market adds a profile kind, these records already have its envelope.
//
// The same record is what a member publishes on the members topic (docs/members.md). There it also
// carries `publishedAt` (which of an owner's profiles is the latest), the `groups` it is in and a
// summary of its `network`; and a node that has not run the benchmark yet publishes a minimal
// profile (ProfileRecord): its name and system facts, without the measured figures. A MemberProfile
// is a ProfileRecord that has the figures.
import * as dagCbor from '@ipld/dag-cbor'
import { base64 } from 'multiformats/bases/base64'
import { z } from 'zod'
import { parseWith } from '../api/schema'
import { encodeSignedFact, type FactSigner, type FactVerifier, type Sha256 } from '../market/encoding'
import { decodeSignedRecord, signedRecordFromJson, signRecord, type SignedRecordKind } from '../signed-record'
import { osFamilies, type Capabilities, type OsFamily } from '../market/facts'
import { isEd25519PeerId } from '../market/peer-id'
import type { BenchmarkRun } from './schema'

const whole = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)
/** Dotted numbers as the market accepts them, leading zeros included (Ubuntu's 22.04). */
const dottedVersion = /^[0-9]{1,9}(\.[0-9]{1,9}){0,3}$/

/** A group's name, as the market's group facts have it (src/shared/market/schema.ts checks the same). */
const groupNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
/** `<owner peer ID>/<name>`. */
function isGroupId(value: string): boolean {
  const slash = value.indexOf('/')
  return slash > 0 && isEd25519PeerId(value.slice(0, slash)) && groupNamePattern.test(value.slice(slash + 1))
}
/** At most this many groups in one profile, so a profile stays under its size limit. */
export const maxProfileGroups = 16

/**
 * Any member's signed profile as the members topic carries it. The measured fields are optional here
 * (a node without a benchmark run leaves them out); MemberProfileSchema requires them.
 */
export const ProfileRecordSchema = z
  .object({
    kind: z.literal('profile'),
    owner: z.string().refine(isEd25519PeerId, 'must be the peer ID of an Ed25519 key (12D3KooW...)'),
    displayName: z.string().max(64),
    os: z
      .object({ family: z.enum(osFamilies), version: z.string().regex(dottedVersion).optional() })
      .strict()
      .optional(),
    /** Whole GFLOPS one core sustains in float64: the figure asks advertise and deliveries are metered by. */
    gflopsPerCore: whole.optional(),
    cores: z.number().int().positive().max(1024).optional(),
    /** Free space of the data volume, whole GB (10^9 bytes). */
    storageGb: whole.optional(),
    /** Measured to a peer (the lower of up and down), whole Mbit/s; absent when no peer was measured. */
    bandwidthMbps: whole.optional(),
    /** The run's figures, in integers (a canonical body has no floats): MFLOPS and MB/s. */
    benchmark: z
      .object({
        f64SingleMflops: whole,
        f64MultiMflops: whole,
        f32SingleMflops: whole,
        f32MultiMflops: whole,
        storageWriteMBps: whole,
        storageReadMBps: whole,
        memoryMb: whole,
        cpuModel: z.string().max(128),
      })
      .strict()
      .optional(),
    /** When the benchmark run behind the figures ended. */
    measuredAt: whole.optional(),
    /** When the owner signed this profile, ms since the epoch: the latest of an owner's profiles is in force. */
    publishedAt: whole.optional(),
    /** Group ids (`<owner>/<name>`) the owner is in, sorted; the groups' own signed member lists decide matching. */
    groups: z
      .array(z.string().max(128).refine(isGroupId, 'must be a group id: <owner peer ID>/<name>'))
      .max(maxProfileGroups)
      .optional(),
    /**
     * The node can be reached from the internet (claim 40: its network interface), as it found out
     * (docs/scaling.md §3): what a seller of page views needs, since the buyer's visitors dial it.
     * Stated only when true.
     */
    reachable: z.literal(true).optional(),
    /** The machine's network: how many external interfaces it has and the fastest link speed reported. */
    network: z
      .object({ interfaces: z.number().int().nonnegative().max(256), linkSpeedMbps: whole.optional() })
      .strict()
      .optional(),
  })
  .strict()
export type ProfileRecord = z.infer<typeof ProfileRecordSchema>

/** A profile with the benchmark's figures: what a benchmark run supports and a seller advertises. */
export const MemberProfileSchema = ProfileRecordSchema.required({
  gflopsPerCore: true,
  cores: true,
  storageGb: true,
  benchmark: true,
  measuredAt: true,
})
export type MemberProfile = z.infer<typeof MemberProfileSchema>

export interface SignedProfile<Profile extends ProfileRecord = MemberProfile> {
  id: string
  profile: Profile
  body: Uint8Array
  signature: Uint8Array
}

/** The JSON form the API carries: the profile, its id, and the signature in base64. */
export const SignedProfileJsonSchema = z
  .object({ id: z.string(), profile: MemberProfileSchema, signature: z.string() })
  .strict()
export type SignedProfileJson = z.infer<typeof SignedProfileJsonSchema>
/** The same for any member's profile, figures or not. */
export const SignedProfileRecordJsonSchema = z
  .object({ id: z.string(), profile: ProfileRecordSchema, signature: z.string() })
  .strict()
export type SignedProfileRecordJson = z.infer<typeof SignedProfileRecordJsonSchema>

/** Largest canonical profile body; the envelope adds at most 96 bytes. */
export const maxProfileBodyBytes = 4096

function floorWhole(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0
}

/**
 * The profile a run supports. Every figure is rounded down, so the profile never claims more than
 * was measured; gflopsPerCore is the lower of one core alone and the all-cores rate per worker,
 * because a job shares the machine with the others a seller runs.
 */
export function profileFromRun(run: BenchmarkRun, owner: string, displayName: string): MemberProfile {
  const { cpu, storage, system, network } = run
  const perCoreUnderLoad = cpu.f64Multi.gflops / cpu.f64Multi.workers
  const profile: MemberProfile = {
    kind: 'profile',
    owner,
    displayName,
    gflopsPerCore: floorWhole(Math.min(cpu.f64Single.gflops, perCoreUnderLoad)),
    cores: cpu.logicalCores,
    storageGb: floorWhole(storage.freeBytes / 1e9),
    benchmark: {
      f64SingleMflops: floorWhole(cpu.f64Single.gflops * 1000),
      f64MultiMflops: floorWhole(cpu.f64Multi.gflops * 1000),
      f32SingleMflops: floorWhole(cpu.f32Single.gflops * 1000),
      f32MultiMflops: floorWhole(cpu.f32Multi.gflops * 1000),
      storageWriteMBps: floorWhole(storage.writeMBps),
      storageReadMBps: floorWhole(storage.readMBps),
      memoryMb: floorWhole(system.memory.totalBytes / 1e6),
      cpuModel: cpu.model.slice(0, 128),
    },
    measuredAt: run.measuredAt,
  }
  if (system.os.family !== null) {
    profile.os = { family: system.os.family }
    if (system.os.version !== null && dottedVersion.test(system.os.version)) profile.os.version = system.os.version
  }
  if (network.peers.length > 0) {
    profile.bandwidthMbps = floorWhole(
      Math.max(...network.peers.map((peer) => Math.min(peer.uploadMbps, peer.downloadMbps))),
    )
  }
  return parseProfile(profile)
}

/** What a new ask states, pre-filled from the profile (the market's Capabilities). */
export function capabilitiesOf(profile: MemberProfile): Capabilities {
  const capabilities: Capabilities = {
    storageGb: profile.storageGb,
    gflopsPerCore: profile.gflopsPerCore,
    cores: profile.cores,
  }
  if (profile.os) capabilities.os = { ...profile.os }
  if (profile.bandwidthMbps !== undefined) capabilities.bandwidthMbps = profile.bandwidthMbps
  if (profile.reachable === true) capabilities.reachable = true
  return capabilities
}

/** Check an untrusted profile; the result holds only known fields, so it re-encodes canonically. */
export function parseProfile(value: unknown): MemberProfile {
  return parseWith(MemberProfileSchema, value, 'profile')
}

/** The same for any member's profile, with or without the benchmark's figures. */
export function parseProfileRecord(value: unknown): ProfileRecord {
  return parseWith(ProfileRecordSchema, value, 'profile')
}

/** The system facts a minimal profile states, known without a benchmark run. */
export interface SystemFacts {
  os?: { family: OsFamily | null; version: string | null }
  cores?: number
  storageFreeBytes?: number
}

/** The profile of a node that has not run the benchmark yet: its name and what the system says. */
export function profileFromSystem(owner: string, displayName: string, system: SystemFacts): ProfileRecord {
  const profile: ProfileRecord = { kind: 'profile', owner, displayName }
  if (system.os?.family) {
    profile.os = { family: system.os.family }
    if (system.os.version !== null && dottedVersion.test(system.os.version)) profile.os.version = system.os.version
  }
  if (system.cores !== undefined && system.cores >= 1) profile.cores = Math.min(1024, Math.floor(system.cores))
  if (system.storageFreeBytes !== undefined) profile.storageGb = floorWhole(system.storageFreeBytes / 1e9)
  return parseProfileRecord(profile)
}

export function encodeProfileBody(profile: ProfileRecord): Uint8Array {
  return dagCbor.encode(profile)
}

/** Member profiles as signed records (src/shared/signed-record.ts). */
export const profileRecordKind: SignedRecordKind<ProfileRecord> = {
  noun: 'profile',
  maxBodyBytes: maxProfileBodyBytes,
  parse: parseProfileRecord,
}

export function signProfile<Profile extends ProfileRecord>(
  profile: Profile,
  signer: FactSigner,
  sha256?: Sha256,
): SignedProfile<Profile> {
  const { id, record, body, signature } = signRecord(profileRecordKind, profile, signer, sha256)
  return { id, profile: record as Profile, body, signature }
}

/** The bytes gossip will carry: dag-cbor { body, signature }, the same envelope as a signed fact. */
export function encodeSignedProfile(signed: Pick<SignedProfile, 'body' | 'signature'>): Uint8Array {
  return encodeSignedFact(signed)
}

/** Everything a received profile must pass: size, decoding, fields, canonical bytes, signature. */
export function decodeSignedProfile(
  bytes: Uint8Array,
  verifier: FactVerifier,
  sha256?: Sha256,
): SignedProfile<ProfileRecord> {
  const { id, record, body, signature } = decodeSignedRecord(profileRecordKind, bytes, verifier, sha256)
  return { id, profile: record, body, signature }
}

export function signedProfileToJson<Profile extends ProfileRecord = MemberProfile>(
  signed: SignedProfile<Profile>,
): { id: string; profile: Profile; signature: string } {
  return { id: signed.id, profile: signed.profile, signature: base64.baseEncode(signed.signature) }
}

/** A signed profile from its JSON form; the id must be the body's hash and the signature the owner's. */
export function signedProfileFromJson(value: unknown, verifier: FactVerifier, sha256?: Sha256): SignedProfile {
  const json = parseWith(SignedProfileJsonSchema, value, 'signed profile')
  const profile = parseProfile(json.profile)
  const { id, body, signature } = signedRecordFromJson(
    profileRecordKind,
    profile,
    json.id,
    json.signature,
    verifier,
    sha256,
  )
  return { id, profile, body, signature }
}
