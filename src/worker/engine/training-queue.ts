import type { RunId } from '../protocol';
import { TrainingRun, type TrainingJob, type TrainingRunDeps } from './training-run';

/**
 * Trains queued runs one after another (one backend, one model at a time is fastest). Stopping a queued run
 * removes it (nothing was kept, so the page drops it); stopping the running one ends it after the current
 * batch and keeps its weights; the rest of the queue carries on either way.
 */
export class TrainingQueue {
  private readonly pending: TrainingJob[] = [];
  private current: TrainingRun | null = null;

  constructor(private readonly deps: TrainingRunDeps) {}

  enqueue(job: TrainingJob): void {
    this.pending.push(job);
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
  }

  private async drain(): Promise<void> {
    for (let job = this.pending.shift(); job; job = this.pending.shift()) {
      this.current = new TrainingRun(this.deps, job);
      try {
        await this.current.run();
      } finally {
        this.current = null;
      }
    }
  }
}
