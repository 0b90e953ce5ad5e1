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

/** The hooks of a job that draws a map step by step (t-SNE, UMAP): frames of the map so far, and pacing. */
export interface MapJobHooks<Progress> extends JobHooks<Progress> {
  /** Receives a copy of the map (n × 2 row-major) every `frameEvery` steps and at the end. */
  onFrame?(embedding: Float32Array, step: number): void;
  /** Steps (iterations, epochs) between frames; each algorithm has its default. */
  frameEvery?: number;
  /** Milliseconds of work between yields to the event loop (default 30). */
  chunkMs?: number;
}

/** How a long job ended, as every job reports it to the page. */
export type JobOutcome = 'completed' | 'stopped' | 'diverged' | 'failed';
