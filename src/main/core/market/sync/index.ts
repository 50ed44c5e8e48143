// Anti-entropy for the market's facts: the /cyclex/sync/1.0.0 service (docs/protocol-sync.md).
export { factSync } from './fact-sync'
export type {
  FactSync,
  FactSyncComponents,
  FactSyncEvents,
  FactSyncInit,
  ServedOutcome,
  SyncOutcome,
  SyncOutcomeStatus,
  SyncStats,
} from './fact-sync'
export type { IngestResult } from './initiator'
export {
  SyncClosedError,
  SyncPreemptedError,
  SyncProtocolError,
  SyncRefusedError,
  SyncStoppedError,
  SyncTimeoutError,
} from './errors'
export type { Misbehaviour, MisbehaviourKind } from './errors'
export { syncProtocol } from './limits'
