import { errorMessage } from '../../errors';
import type { RunId } from '../protocol';
import { holdRunLock, tryHoldRunLock } from './run-locks';
import { saveNotStarted, TrainingRun, type TrainingJob, type TrainingRunDeps } from './training-run';

/** What the queue tells the engine about the page's other tabs (see run-locks). */
export interface TabEvents {
  /** this tab now holds run `runId`'s lock: other tabs can learn that it trains the run */
  taken(runId: RunId, name: string): void;
  /**
   * a Continue this tab was asked for was refused, as another tab of the page trains the run (or has it
   * queued): what this tab shows of the run is out of date
   */
  elsewhere(runId: RunId): void;
}

/**
 * Trains queued runs one after another (one backend, one model at a time is fastest). Stopping a queued run
 * removes it (nothing was kept, so the page drops it); stopping the running one ends it after the current
 * batch and keeps its weights; the rest of the queue carries on either way.
 */
export class TrainingQueue {
  private readonly pending: TrainingJob[] = [];
  private current: TrainingRun | null = null;
  /**
   * what must happen before a run starts, by run: a new run's not-started save (see saveNotStarted); a
   * continued run's lock, false when another tab has the run
   */
  private readonly ready = new Map<RunId, Promise<boolean>>();
  /** releases of the locks held for queued and training runs (see run-locks) */
  private readonly locks = new Map<RunId, () => void>();

  constructor(
    private readonly deps: TrainingRunDeps,
    private readonly tabs: TabEvents = { taken: () => undefined, elsewhere: () => undefined },
  ) {}

  enqueue(job: TrainingJob): void {
    this.pending.push(job);
    if (job.kind === 'new') {
      const { release, acquired } = holdRunLock(job.runId);
      this.locks.set(job.runId, release);
      void acquired.then(() => {
        if (this.has(job.runId)) this.tabs.taken(job.runId, job.name);
      });
      // Saved as not started before anything else, so a reload before its first checkpoint (or its turn) keeps it.
      this.ready.set(job.runId, saveNotStarted(this.deps, job, this.current === null).then(() => true));
    } else {
      this.ready.set(job.runId, this.lockContinued(job));
    }
    if (!this.current) void this.drain();
  }

  /** True while run `runId` is queued or training. */
  has(runId: RunId): boolean {
    return this.current?.runId === runId || this.pending.some((job) => job.runId === runId);
  }

  stop(runId: RunId): void {
    if (this.current?.runId === runId) {
      this.current.stop();
      return;
    }
    const at = this.pending.findIndex((job) => job.runId === runId);
    if (at < 0) return;
    const [job] = this.pending.splice(at, 1);
    const message = job.kind === 'new' ? 'Removed from the queue before it started.' : 'Removed from the queue; the run is as it was.';
    this.deps.post({ type: 'trainEnd', runId, outcome: 'stopped', message, run: null });
    const ready = this.ready.get(runId);
    this.ready.delete(runId);
    if (job.kind === 'new' && ready) void ready.then(() => this.deps.remove(runId)).catch((error: unknown) => this.deps.post({ type: 'storageNotice', message: errorMessage(error) }));
    this.release(runId);
  }

  private release(runId: RunId): void {
    this.locks.get(runId)?.();
    this.locks.delete(runId);
  }

  /** Takes a continued run's lock; a run another tab has is refused (at once when still queued here). */
  private async lockContinued(job: Extract<TrainingJob, { kind: 'continue' }>): Promise<boolean> {
    const release = await tryHoldRunLock(job.runId);
    if (release && this.has(job.runId)) {
      this.locks.set(job.runId, release);
      this.tabs.taken(job.runId, this.nameOf(job.runId));
      return true;
    }
    // Stopped here while the lock was asked for: let it go again.
    release?.();
    if (release) return false;
    const at = this.pending.indexOf(job);
    if (at >= 0) {
      this.pending.splice(at, 1);
      this.refuse(job);
    }
    return false;
  }

  /** Tells the page the Continue did not happen (the run is as it was) and why. */
  private refuse(job: TrainingJob): void {
    const message = `“${this.nameOf(job.runId)}” is training in another tab of this page; continue it there, or here once it has ended there.`;
    this.deps.post({ type: 'trainEnd', runId: job.runId, outcome: 'stopped', message, run: null });
    this.tabs.elsewhere(job.runId);
  }

  private nameOf(runId: RunId): string {
    return this.deps.store.findRecord(runId)?.name ?? 'This run';
  }

  private async drain(): Promise<void> {
    for (let job = this.pending.shift(); job; job = this.pending.shift()) {
      const ready = this.ready.get(job.runId) ?? Promise.resolve(true);
      this.ready.delete(job.runId);
      // A new run's not-started save goes on while the run measures its untrained test MSE (see TrainingRun).
      this.current = new TrainingRun(this.deps, job, job.kind === 'new' ? ready : undefined);
      try {
        // A continued run starts once it has its lock (not: another tab took it first).
        if (job.kind === 'new' || (await ready)) await this.current.run();
        else this.refuse(job);
      } finally {
        this.current = null;
        this.release(job.runId);
      }
    }
  }
}
