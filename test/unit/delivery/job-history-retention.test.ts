// The job history follows the agreements' retention: when agreements leave this node's history, their
// ended jobs leave the list and the store with them; other agreements' jobs, and a job still running,
// stay.
import { afterEach, describe, expect, it } from 'vitest'
import type { JobView } from '../../../src/shared/api/delivery'
import { JobHistory } from '../../../src/main/core/delivery/job-history'
import { openStore, type Store } from '../../../src/main/core/store'
import { recordingLogger } from '../../helpers/recording-logger'

const stores: Store[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
})

function job(id: string, agreement: string, endedAt: number | null): JobView {
  return {
    job: id,
    agreement,
    role: 'buyer',
    peer: '12D3KooWSeller',
    name: `${id}.wasm`,
    state: endedAt === null ? 'running' : 'completed',
    gflopBudget: 1,
    gflopDelivered: endedAt === null ? 0 : 1,
    cpuMs: 10,
    submittedAt: 1_000,
    endedAt,
    reason: null,
  }
}

describe('job history retention', () => {
  it('forgets the ended jobs of dropped agreements, in memory and in the store', async () => {
    const store = await openStore({ dataDir: '/nonexistent', inMemory: true })
    stores.push(store)
    const { logger } = recordingLogger()
    const log = logger.forComponent('cyclex:delivery')
    const history = new JobHistory(
      store,
      () => undefined,
      () => 5_000,
      log,
    )
    history.remember(job('old-1', 'agreement-old', 2_000))
    history.remember(job('old-2', 'agreement-old', 2_500))
    history.remember(job('old-running', 'agreement-old', null))
    history.remember(job('kept', 'agreement-kept', 3_000))

    expect(history.forgetAgreements(new Set(['agreement-old']))).toBe(2)
    expect(
      history
        .list()
        .map((view) => view.job)
        .sort(),
    ).toEqual(['kept', 'old-running'])
    await history.flush()

    const again = new JobHistory(
      store,
      () => undefined,
      () => 5_000,
      log,
    )
    await again.restore()
    expect(again.has('old-1')).toBe(false)
    expect(again.has('old-2')).toBe(false)
    expect(again.has('kept')).toBe(true)
  })
})
