// Members' latest profiles in level (the 'members' sublevel: the signed envelope in base64 and when
// the member was last heard of, under its peer ID), so the list of members survives a restart.
// Presence itself is not kept: after a restart every member is offline until it is heard again.
import { base64 } from 'multiformats/bases/base64'
import type { Logger } from '@libp2p/interface'
import type { ProfileRecord, SignedProfile } from '../../../shared/benchmark/profile'
import type { FactVerifier } from '../../../shared/market/encoding'
import type { Store } from '../store'
import { decodeMemberMessage, encodeMemberMessage } from './wire'

interface StoredMember {
  envelope: string
  lastSeen: number | null
}

export interface SavedMember {
  signed: SignedProfile<ProfileRecord>
  lastSeen: number | null
}

export interface MemberStore {
  /** Every stored profile that still decodes and verifies; a damaged record is skipped, not fatal. */
  load(): Promise<SavedMember[]>
  save(member: SavedMember): Promise<void>
  /** Write the last-seen times in one batch (at stop). */
  saveAll(members: readonly SavedMember[]): Promise<void>
  remove(peerId: string): Promise<void>
}

function toStored({ signed, lastSeen }: SavedMember): StoredMember {
  return { envelope: base64.baseEncode(encodeMemberMessage(signed)), lastSeen }
}

export function openMemberStore(store: Store, verifier: FactVerifier, log: Logger): MemberStore {
  const sublevel = store.jsonSublevel<StoredMember>('members')
  return {
    async load() {
      const members: SavedMember[] = []
      for await (const [peerId, stored] of sublevel.iterator()) {
        try {
          const message = decodeMemberMessage(base64.baseDecode(stored.envelope), verifier)
          if (message.kind !== 'profile' || message.signed.profile.owner !== peerId) continue
          members.push({
            signed: message.signed,
            lastSeen: typeof stored.lastSeen === 'number' ? stored.lastSeen : null,
          })
        } catch (error) {
          log.error('skipping the stored profile of %s - %s', peerId, (error as Error).message)
        }
      }
      return members
    },
    save: (member) => sublevel.put(member.signed.profile.owner, toStored(member)),
    async saveAll(members) {
      if (members.length === 0) return
      await sublevel.batch(
        members.map((member) => ({ type: 'put' as const, key: member.signed.profile.owner, value: toStored(member) })),
      )
    },
    remove: (peerId) => sublevel.del(peerId),
  }
}
