/**
 * The one contract of long work (training, latents, KMeans, t-SNE): progress leaves through `onProgress`,
 * a stop is asked for by `shouldStop`, polled at step boundaries — never by terminating a worker, which
 * would throw away what was computed.
 */
export interface JobHooks<Progress> {
  onProgress?(progress: Progress): void;
  /** Polled between steps; true ends the job there, keeping what it has. */
  shouldStop?(): boolean;
}

/** How a long job ended, as every job reports it to the page. */
export type JobOutcome = 'completed' | 'stopped' | 'diverged' | 'failed';
