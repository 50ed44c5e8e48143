// The seeded synthetic book the benches share (docs/matcher.md, "The benchmark book").
//
// With seed 42: half bids, half asks; 4 in 5 in GFLOP, 1 in 5 page views; 5,000 owners; mid price
// 1,000 micro-credits, bids spread over [800, 1020], asks over [980, 1200] (so a thin band crosses);
// a fifth of orders with negotiating ranges; windows within one day (asks 4-12 h starting in the
// first 12 h, bids 15 min-4 h starting in the first 20 h); every ask states capabilities, a fifth of
// bids have requirements; a tenth of orders name preferred counterparties (three peers, or one of
// 50 groups of 20 members).
import { createNodeFactSigner } from '../src/main/core/market-crypto'
import { osFamilies, type FactSigner, type GroupFact, type OrderFact, type PeerId } from '../src/shared/market'
import { seededRandom } from '../test/helpers/seeded-random'

const minute = 60_000
const hour = 60 * minute

/** The Ed25519 seed of synthetic owner `index`. */
export function ownerSeed(index: number): Uint8Array {
  const seed = new Uint8Array(32)
  new DataView(seed.buffer).setUint32(0, index + 1)
  return seed
}

export interface SyntheticMarket {
  readonly owners: readonly PeerId[]
  /** The signer of each owner, by peer id. */
  readonly signers: ReadonlyMap<PeerId, FactSigner>
  readonly groups: readonly GroupFact[]
  /** The next order of the book; orders are created one millisecond apart, the first an hour before day0. */
  nextOrder(): OrderFact
}

export function syntheticMarket(options: { seed: number; day0: number; owners?: number }): SyntheticMarket {
  const { day0 } = options
  const generator = seededRandom(options.seed)
  const random = generator.next
  const between = generator.int
  const signerList = Array.from({ length: options.owners ?? 5000 }, (_, index) =>
    createNodeFactSigner(ownerSeed(index)),
  )
  const owners = signerList.map((signer) => signer.owner)
  const groups: GroupFact[] = Array.from({ length: 50 }, (_, index) => ({
    kind: 'group',
    owner: owners[index]!,
    name: `group-${index}`,
    seq: 0,
    members: [...new Set(Array.from({ length: 20 }, () => owners[between(0, owners.length - 1)]!))],
    createdAt: day0,
  }))

  let orderCounter = 0
  function nextOrder(): OrderFact {
    const side = random() < 0.5 ? 'bid' : 'ask'
    const owner = owners[between(0, owners.length - 1)]!
    const createdAt = day0 - hour + orderCounter++
    const order: OrderFact =
      side === 'ask'
        ? (() => {
            const start = day0 + between(0, 12 * 60) * minute
            return {
              kind: 'order',
              owner,
              side,
              unit: random() < 0.8 ? 'flop' : 'pageview',
              quantity: between(100, 10_000),
              price: between(980, 1200),
              window: { start, end: start + between(4 * 60, 12 * 60) * minute },
              createdAt,
              expiresAt: day0 + 24 * hour,
              capabilities: {
                storageGb: between(10, 2000),
                os: { family: osFamilies[between(0, 2)]!, version: `${between(10, 15)}.${between(0, 9)}` },
                gflopsPerCore: between(5, 80),
                cores: between(1, 64),
                bandwidthMbps: between(10, 10_000),
              },
            } satisfies OrderFact
          })()
        : (() => {
            const start = day0 + between(0, 20 * 60) * minute
            return {
              kind: 'order',
              owner,
              side,
              unit: random() < 0.8 ? 'flop' : 'pageview',
              quantity: between(10, 5000),
              price: between(800, 1020),
              window: { start, end: start + between(15, 4 * 60) * minute },
              createdAt,
              expiresAt: day0 + 24 * hour,
            } satisfies OrderFact
          })()
    if (random() < 0.2) order.range = side === 'bid' ? order.price + between(0, 100) : order.price - between(0, 100)
    if (side === 'bid' && random() < 0.2) {
      order.requirements =
        random() < 0.5
          ? { storageGb: between(10, 1000), cores: between(1, 16) }
          : {
              os: [{ family: 'linux', minVersion: '12' }],
              gflopsPerCore: between(5, 40),
              bandwidthMbps: between(10, 1000),
            }
    }
    if (random() < 0.1) {
      if (random() < 0.5) {
        order.counterparties = { peers: [...new Set([0, 1, 2].map(() => owners[between(0, owners.length - 1)]!))] }
      } else {
        const group = groups[between(0, groups.length - 1)]!
        order.counterparties = { groups: [`${group.owner}/${group.name}`] }
      }
    }
    return order
  }

  return { owners, signers: new Map(signerList.map((signer) => [signer.owner, signer])), groups, nextOrder }
}
