// The jobs this node bought or ran, both roles, as the Deals page lists them: kept in the
// 'delivery-jobs' sublevel so the history survives restarts (the latest maxKeptJobs, and only while
// their agreement is kept: forgetAgreements), and told to the page as `delivery.progress` events.
import type { Logger } from '@libp2p/interface'
import type { ApiEvent } from '../../../shared/api/contract'
import { JobViewSchema, type JobView } from '../../../shared/api/delivery'
import type { Store, Sublevel } from '../store'

const maxKeptJobs = 200

export class JobHistory {
  private readonly views = new Map<string, JobView>()
  private readonly db: Sublevel<JobView>
  /** Writes one after another, so the last view of a job is the one stored. */
  private writes: Promise<unknown> = Promise.resolve()

  constructor(
    store: Store,
    private readonly emit: (event: ApiEvent) => void,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {
    this.db = store.jsonSublevel('delivery-jobs')
  }

  has(job: string): boolean {
    return this.views.has(job)
  }

  get(job: string): JobView | undefined {
    return this.views.get(job)
  }

  /** Newest first. */
  list(): JobView[] {
    return [...this.views.values()].sort((a, b) => b.submittedAt - a.submittedAt)
  }

  /** A new job: kept, and the oldest ended one forgotten past maxKeptJobs. */
  remember(view: JobView): void {
    this.views.set(view.job, view)
    this.save(view)
    if (this.views.size > maxKeptJobs) {
      const oldest = [...this.views.values()]
        .filter((each) => each.endedAt !== null)
        .sort((a, b) => a.submittedAt - b.submittedAt)[0]
      if (oldest) {
        this.views.delete(oldest.job)
        this.writes = this.writes
          .then(() => this.db.del(oldest.job))
          .catch((error: unknown) => this.log.error('forgetting job %s failed - %e', oldest.job, error))
      }
    }
  }

  /**
   * The agreements left this node's history (their retention passed, kept-agreements.ts): their ended
   * jobs go with them. A job still running (none should be: delivery ends with the window) stays, and
   * the cap of maxKeptJobs forgets it later.
   */
  forgetAgreements(agreements: ReadonlySet<string>): number {
    const gone = [...this.views.values()].filter((view) => view.endedAt !== null && agreements.has(view.agreement))
    for (const view of gone) this.views.delete(view.job)
    if (gone.length > 0)
      this.writes = this.writes
        .then(() => this.db.batch(gone.map((view) => ({ type: 'del' as const, key: view.job }))))
        .catch((error: unknown) => this.log.error('forgetting the jobs of ended agreements failed - %e', error))
    return gone.length
  }

  /** Keep the job's view as it is now in the store. */
  save(view: JobView): void {
    const copy = { ...view }
    this.writes = this.writes
      .then(() => this.db.put(copy.job, copy))
      .catch((error: unknown) => this.log.error('storing job %s failed - %e', copy.job, error))
  }

  /** Tell the page how the job stands. */
  tell(view: JobView, stdoutBytes: number): void {
    this.emit({
      type: 'delivery.progress',
      data: {
        job: view.job,
        agreement: view.agreement,
        state: view.state,
        cpuMs: view.cpuMs,
        gflopDelivered: view.gflopDelivered,
        stdoutBytes,
        reason: view.reason,
      },
    })
  }

  /** The job history as stored; a job that was running when the node stopped ended with it. */
  async restore(): Promise<void> {
    const now = this.now()
    const kept: JobView[] = []
    for await (const [id, stored] of this.db.iterator()) {
      const view = JobViewSchema.safeParse(stored)
      if (!view.success || view.data.job !== id) {
        this.log.error('a stored job %s is damaged and was skipped', id)
        continue
      }
      kept.push(
        view.data.endedAt === null
          ? { ...view.data, state: 'failed', endedAt: now, reason: 'the node stopped while this job ran' }
          : view.data,
      )
    }
    kept.sort((a, b) => a.submittedAt - b.submittedAt)
    const forgotten = kept.slice(0, Math.max(0, kept.length - maxKeptJobs))
    for (const view of kept.slice(forgotten.length)) this.views.set(view.job, view)
    for (const view of forgotten) await this.db.del(view.job)
  }

  /** Every write asked for so far is done. */
  async flush(): Promise<void> {
    await this.writes
  }
}
