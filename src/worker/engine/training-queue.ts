import { errorMessage } from '../../errors';
import type { RunId } from '../protocol';
import { holdRunLock } from './run-locks';
import { saveNotStarted, TrainingRun, type TrainingJob, type TrainingRunDeps } from './training-run';

/**
 * Trains queued runs one after another (one backend, one model at a time is fastest). Stopping a queued run
 * removes it (nothing was kept, so the page drops it); stopping the running one ends it after the current
 * batch and keeps its weights; the rest of the queue carries on either way.
 */
export class TrainingQueue {
  private readonly pending: TrainingJob[] = [];
  private current: TrainingRun | null = null;
  /** saves of new runs that wait their turn (see saveNotStarted), by run: awaited before the run starts */
  private readonly waiting = new Map<RunId, Promise<void>>();
  /** releases of the locks held for queued and training runs (see run-locks) */
  private readonly locks = new Map<RunId, () => void>();

  constructor(private readonly deps: TrainingRunDeps) {}

  enqueue(job: TrainingJob): void {
    this.locks.set(job.runId, holdRunLock(job.runId));
    this.pending.push(job);
    // A new run that has to wait is saved as not started, so a reload meanwhile does not lose it.
    if (this.current && job.kind === 'new') this.waiting.set(job.runId, saveNotStarted(this.deps, job));
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
    const saving = this.waiting.get(runId);
    this.waiting.delete(runId);
    if (saving) void saving.then(() => this.deps.remove(runId)).catch((error: unknown) => this.deps.post({ type: 'storageNotice', message: errorMessage(error) }));
    this.release(runId);
  }

  private release(runId: RunId): void {
    this.locks.get(runId)?.();
    this.locks.delete(runId);
  }

  private async drain(): Promise<void> {
    for (let job = this.pending.shift(); job; job = this.pending.shift()) {
      this.current = new TrainingRun(this.deps, job);
      try {
        // Its not-started save lands before anything the run itself saves.
        await this.waiting.get(job.runId);
        this.waiting.delete(job.runId);
        await this.current.run();
      } finally {
        this.current = null;
        this.release(job.runId);
      }
    }
  }
}
