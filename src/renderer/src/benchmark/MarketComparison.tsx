import { summarizeFigure } from '../../../shared/benchmark/market-figures'
import type { MachineFigures } from './peer-figures'

const figures = [
  { label: 'GFLOPS per core', of: (profile: MachineFigures) => profile.gflopsPerCore },
  { label: 'Cores', of: (profile: MachineFigures) => profile.cores },
  { label: 'Free storage, GB', of: (profile: MachineFigures) => profile.storageGb },
] as const

function round(value: number): string {
  return Number(value.toPrecision(3)).toString()
}

/**
 * This node beside the market: the median and interquartile spread of the figures peers have
 * published in their signed profiles. Peers' profiles arrive with gossip; until one has, the panel
 * says so instead of showing anything made up.
 */
export function MarketComparison({
  own,
  peers,
}: {
  own: MachineFigures | undefined
  peers: readonly MachineFigures[]
}) {
  return (
    <section className="panel" aria-labelledby="market-heading">
      <h2 id="market-heading">This node beside the market</h2>
      {peers.length === 0 ? (
        <p className="empty-state" data-testid="market-empty">
          No other member has published benchmark figures yet. When members benchmark their machines, the market’s
          median and spread show here beside this node’s figures.
        </p>
      ) : (
        <table className="peer-table" data-testid="market-table">
          <thead>
            <tr>
              <th scope="col">Figure</th>
              <th scope="col">This node</th>
              <th scope="col">Market median</th>
              <th scope="col">Middle half</th>
              <th scope="col">Profiles</th>
            </tr>
          </thead>
          <tbody>
            {figures.map((figure) => {
              const summary = summarizeFigure(peers.map(figure.of))
              return (
                <tr key={figure.label}>
                  <th scope="row">{figure.label}</th>
                  <td className="figure">{own ? figure.of(own) : '—'}</td>
                  <td className="figure">{summary ? round(summary.median) : '—'}</td>
                  <td className="figure">
                    {summary ? `${round(summary.lowerQuartile)} – ${round(summary.upperQuartile)}` : '—'}
                  </td>
                  <td className="figure">{summary?.count ?? 0}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
    </section>
  )
}
