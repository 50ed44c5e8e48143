// Why a crossing bid and ask do not trade, in the page's words. The reasons themselves are the
// matcher's (pairObstacles in src/shared/market/pair-obstacles.ts); this only says them.
import type { PairObstacle, RequirementName } from '../../../shared/market'
import { formatTime } from './market-format'

const requirementWords: Record<RequirementName, string> = {
  storageGb: 'storage',
  gflopsPerCore: 'GFLOPS per core',
  cores: 'cores',
  bandwidthMbps: 'bandwidth',
  reachable: 'reachable from the internet',
  os: 'operating system',
}

function windowWords(bid: { start: number; end: number }, ask: { start: number; end: number }): string {
  if (bid.end > ask.end)
    return `the bid's window ends after the ask's (${formatTime(bid.end)}, the ask's ${formatTime(ask.end)})`
  return `the bid's window starts before the ask's (${formatTime(bid.start)}, the ask's ${formatTime(ask.start)})`
}

/** One reason: "the bid's window ends after the ask's (Dec 7, 13:00, the ask's Dec 7, 12:00)". */
export function obstacleWords(obstacle: PairObstacle): string {
  switch (obstacle.kind) {
    case 'same-owner':
      return 'both orders are one owner’s, and an owner never trades with itself'
    case 'unit':
      return 'they trade different units'
    case 'window':
      return windowWords(obstacle.bid, obstacle.ask)
    case 'requirements':
      return `the ask does not meet the bid's requirements (${obstacle.unmet.map((name) => requirementWords[name]).join(', ')})`
    case 'ask-counterparties':
      return 'the ask trades only with its preferred buyers or groups, and this buyer is not among them'
    case 'bid-counterparties':
      return 'the bid trades only with its preferred sellers or groups, and this seller is not among them'
    case 'declined':
      return 'the pair was declined'
  }
}

/** Every reason, joined: "the bid's window …; the ask does not meet …". */
export function obstaclesWords(obstacles: readonly PairObstacle[]): string {
  return obstacles.map(obstacleWords).join('; ')
}
