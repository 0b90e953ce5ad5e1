/**
 * The "draw a digit" slice: the drawn digit (already MNIST-style, 784 values, or null when nothing is
 * drawn), the runs it goes through, each run's answer (code, reconstruction, MSE) and the drawn digit's
 * nearest training digits in the latent space step's codes. Pure; each transition returns the commands it
 * implies and the job ids it registered.
 *
 * `reconcileDrawing` is what keeps the answers current: every selected run must have been asked about the
 * current drawing with its current weights; one that was not gets an `encode` request. Earlier answers stay
 * on show until the new ones arrive. It runs after every page transition, so a run that finishes, a changed
 * selection or new latents bring their requests without any other code having to know about drawings.
 */
import { nearestCodes } from '../analysis/placement';
import type { EngineEvent, RunId } from '../worker/protocol';
import { engine, type Command } from './commands';
import type { LatentJob } from './latent-state';

/** Which drawing job a job id is: a run's encoding of the drawing, or the neighbours' pixels. */
export type DrawingOwner = 'drawEncode' | 'drawNeighbours';

/** Training digits shown as the drawing's nearest neighbours in latent space. */
export const DRAW_NEIGHBOURS = 8;

/** One run's answer for one drawing. */
export interface DrawAnswer {
  /** the drawing and weights it answers (see `requestKey`) */
  key: string;
  jobId: number;
  /** the code: `dim` values */
  code: Float32Array;
  dim: number;
  /** 784 values */
  reconstruction: Float32Array;
  mse: number;
}

/** What the page knows of one run's encoding of the drawing. */
export interface DrawResult {
  runId: RunId;
  /** the drawing and weights last asked about */
  requestedKey: string;
  /** the job still to answer, or null */
  pendingJobId: number | null;
  /** the latest answer (perhaps for an earlier drawing, until the new one arrives) */
  answer: DrawAnswer | null;
  /** why the last request failed, if it did */
  message: string | null;
}

/** The drawing's nearest training digits among the latent space step's codes, of the run that made them. */
export interface DrawNeighbours {
  runId: RunId;
  /** the latent job whose codes were searched and the encode job whose code was looked for */
  latentJobId: number;
  encodeJobId: number;
  /** indices into the latent job's split, nearest first */
  indices: Int32Array;
  /** Euclidean distances in latent space */
  distances: Float32Array;
  labels: Uint8Array;
  imagesJobId: number;
  /** indices.length × 784 once fetched */
  images: Float32Array | null;
}

export interface DrawingState {
  /** the drawn digit, MNIST-style (784 values in [0, 1]); null when nothing is drawn */
  image: Float32Array | null;
  /** counts drawings, so an answer can be matched to the drawing it was for */
  version: number;
  /** runs a person ticked, or null for the default: every finished run trained on the loaded data set */
  chosen: RunId[] | null;
  results: Record<RunId, DrawResult>;
  neighbours: DrawNeighbours | null;
}

export const INITIAL_DRAWING: DrawingState = { image: null, version: 0, chosen: null, results: {}, neighbours: null };

/** A run as the drawing slice needs it: its id and what identifies its current weights. */
export interface DrawRun {
  id: RunId;
  weightsKey: string;
}

/** A drawing transition's result (the shape of the latent-space slice's). */
export interface DrawingResult {
  drawing: DrawingState;
  jobs: Record<number, DrawingOwner>;
  nextJobId: number;
  commands: Command[];
}

/** Identifies one drawing through one run's weights. */
export function requestKey(version: number, run: DrawRun): string {
  return `${version}|${run.weightsKey}`;
}

/**
 * A new drawing (or none). Answers for the earlier drawing stay until new ones arrive; with no drawing
 * they go, since there is nothing they would describe.
 */
export function drawingChanged(drawing: DrawingState, image: Float32Array | null): DrawingState {
  const version = drawing.version + 1;
  if (image === null) return { ...drawing, image: null, version, results: {}, neighbours: null };
  return { ...drawing, image, version };
}

/** Ticks or unticks a run; `effective` is the selection shown now (the default's runs when none was chosen). */
export function drawRunToggled(drawing: DrawingState, runId: RunId, effective: readonly RunId[]): DrawingState {
  const chosen = effective.includes(runId) ? effective.filter((id) => id !== runId) : [...effective, runId];
  return { ...drawing, chosen };
}

/**
 * Brings requests up to date: an `encode` of the drawing for each selected run not yet asked about this
 * drawing with its current weights, and the nearest training digits once the run whose codes the latent
 * space step holds has answered. Returns the same state object (and no commands) when all is current.
 * @param selected the runs the drawing goes through, in page order
 */
export function reconcileDrawing(drawing: DrawingState, selected: readonly DrawRun[], latent: LatentJob | null, nextJobId: number): DrawingResult {
  const jobs: Record<number, DrawingOwner> = {};
  const commands: Command[] = [];
  let next = nextJobId;
  let results = drawing.results;
  const image = drawing.image;
  if (image) {
    for (const run of selected) {
      const key = requestKey(drawing.version, run);
      const current = results[run.id];
      if (current?.requestedKey === key) continue;
      const jobId = next++;
      jobs[jobId] = 'drawEncode';
      results = { ...results, [run.id]: { runId: run.id, requestedKey: key, pendingJobId: jobId, answer: current?.answer ?? null, message: null } };
      // A copy per request: the image is transferred to the worker, and the page keeps showing its own.
      commands.push(engine({ type: 'encode', jobId, runId: run.id, images: image.slice(), count: 1 }));
    }
  }
  let neighbours = drawing.neighbours;
  const searchable = latent?.status === 'done' ? latent : null;
  const result = searchable ? results[searchable.runId] : undefined;
  const target = searchable && result ? searchTarget(searchable, result) : null;
  if (!target) {
    // Earlier neighbours stay while the run's answer for a new drawing is on its way; otherwise there are none.
    const waiting = searchable !== null && neighbours?.latentJobId === searchable.jobId && result?.pendingJobId != null;
    if (!waiting) neighbours = null;
  } else if (neighbours?.encodeJobId !== target.answer.jobId || neighbours.latentJobId !== target.latent.jobId) {
    const { latent: job, latents, labels, answer } = target;
    const found = nearestCodes(latents, job.count, answer.dim, answer.code, DRAW_NEIGHBOURS);
    const imagesJobId = next++;
    jobs[imagesJobId] = 'drawNeighbours';
    neighbours = {
      runId: job.runId,
      latentJobId: job.jobId,
      encodeJobId: answer.jobId,
      indices: found.indices,
      distances: found.distances,
      labels: Uint8Array.from(found.indices, (i) => labels[i]),
      imagesJobId,
      images: null,
    };
    commands.push(engine({ type: 'images', jobId: imagesJobId, split: job.split, indices: found.indices.slice() }));
  }
  if (results === drawing.results && neighbours === drawing.neighbours) return { drawing, jobs, nextJobId: next, commands };
  return { drawing: { ...drawing, results, neighbours }, jobs, nextJobId: next, commands };
}

/** The codes to search and the drawing's current code among them, when both are there and of one length. */
function searchTarget(latent: LatentJob, result: DrawResult): { latent: LatentJob; latents: Float32Array; labels: Uint8Array; answer: DrawAnswer } | null {
  const { latents, labels } = latent;
  const answer = result.answer;
  // An answer for an earlier drawing (or earlier weights) is not looked up: its neighbours would be wrong.
  if (!latents || !labels || latent.count < 1 || !answer || answer.key !== result.requestedKey) return null;
  if (latents.length !== latent.count * answer.dim) return null;
  return { latent, latents, labels, answer };
}

type JobEvent = Extract<EngineEvent, { type: 'encoded' | 'images' | 'jobEnded' }>;

/** An engine event for a drawing job (found through the job registry); an event of a job no longer awaited changes nothing. */
export function reduceDrawingJobEvent(drawing: DrawingState, owner: DrawingOwner, event: JobEvent): DrawingState {
  if (owner === 'drawNeighbours') {
    const neighbours = drawing.neighbours;
    if (!neighbours || neighbours.imagesJobId !== event.jobId || event.type !== 'images') return drawing;
    return { ...drawing, neighbours: { ...neighbours, images: event.images } };
  }
  const result = Object.values(drawing.results).find((r) => r.pendingJobId === event.jobId);
  if (!result) return drawing;
  if (event.type === 'encoded') {
    const answer: DrawAnswer = {
      key: result.requestedKey,
      jobId: event.jobId,
      code: event.codes.slice(0, event.dim),
      dim: event.dim,
      reconstruction: event.reconstructions,
      mse: event.mse[0],
    };
    return { ...drawing, results: { ...drawing.results, [result.runId]: { ...result, pendingJobId: null, answer, message: null } } };
  }
  if (event.type === 'jobEnded') {
    return { ...drawing, results: { ...drawing.results, [result.runId]: { ...result, pendingJobId: null, message: event.message } } };
  }
  return drawing;
}
