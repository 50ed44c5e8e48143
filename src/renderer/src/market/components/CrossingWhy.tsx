// Under the ladder when prices cross: the crossing pairs the matcher will not trade, and why, in its
// own terms (pairObstacles). A book of orders with different windows, requirements or preferred
// counterparties can look crossed for good; this says so instead of promising a match.
import type { Crossing } from '../../../../shared/market'
import { PeerName } from '../../components/PeerName'
import type { ViewTerms } from '../crossing'
import { formatPrice } from '../market-format'
import { obstaclesWords } from '../pair-words'

const shownPairs = 5

export function CrossingWhy({ crossing }: { crossing: Crossing<ViewTerms> | undefined }) {
  if (crossing === undefined || crossing.blocked.length === 0) return null
  const hidden = crossing.pairs - crossing.tradable - Math.min(shownPairs, crossing.blocked.length)
  return (
    <div className="crossing-why" data-testid="crossing-why">
      <p className="hint">
        {crossing.tradable === 0
          ? 'These prices cross, but no crossing pair can trade:'
          : 'Crossing pairs that will not trade:'}
      </p>
      <ul>
        {crossing.blocked.slice(0, shownPairs).map(({ bid, ask, obstacles }) => (
          <li key={`${bid.id}|${ask.id}`} data-testid="crossing-blocked">
            Bid {formatPrice(bid.price)} (<PeerName peer={bid.owner} copy={false} />) and ask {formatPrice(ask.price)} (
            <PeerName peer={ask.owner} copy={false} />
            ): {obstaclesWords(obstacles)}
          </li>
        ))}
      </ul>
      {hidden > 0 && <p className="hint">and {hidden} more</p>}
    </div>
  )
}
