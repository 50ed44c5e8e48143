// The node's log: libp2p's ComponentLogger, the host's own (`host.logger.forComponent('cyclex:...')`),
// so the node's lines and libp2p's go through one switch, the `debug` namespaces. A component writes
// its faults with `log.error` and what it does with `log`; `cyclex serve` and the desktop shell write
// every component's errors, and `--verbose` everything the node's components say and libp2p's errors.
import { enable } from '@libp2p/logger'

/** The namespaces written: errors only, or everything Cyclex says; DEBUG adds its own. */
export function enableNodeLog(options: { verbose: boolean }): void {
  const ours = options.verbose ? 'cyclex*,libp2p*:error' : 'cyclex*:error'
  const extra = process.env.DEBUG
  enable(extra ? `${extra},${ours}` : ours)
}
