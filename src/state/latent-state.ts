/**
 * The latent-space part of the page state: latent extraction, KMeans, decoded centres, cluster members
 * and the inspected digit. Each long job carries a job id; events of any other id are dropped, so a
 * cancelled job's late messages cannot overwrite a newer one.
 */
import type { KMeansOptions, KMeansProgress } from '../analysis/kmeans';
import type { TsneProgress } from '../analysis/tsne';
import type { UmapProgress } from '../analysis/umap';
import type { ArchId } from '../models/arch-spec';
import type { LatentMethod } from '../models/latents';
import type { FocusState, SelectionState } from './explorer';
import type { ManifoldState } from './manifold';
import type { DatasetInfo, KMeansSummary, MapOptions, MapQuality, RunId, Split, UmapMapOptions } from '../worker/protocol';

/** Digits shown per cluster. */
export const MEMBERS_PER_CLUSTER = 8;

export type JobStatus = 'running' | 'cancelling' | 'done' | 'cancelled' | 'failed';

export interface LatentJob {
  jobId: number;
  /** the run whose encoder made the codes, and its name when they were made */
  runId: RunId;
  runName: string;
  arch: ArchId;
  split: Split;
  /** the data set the images came from, once known */
  dataset: DatasetInfo | null;
  status: JobStatus;
  done: number;
  total: number;
  /** count × dim row-major, once done */
  latents: Float32Array | null;
  labels: Uint8Array | null;
  count: number;
  /** numbers per code: the run's code size (`settings.latentDim`) */
  dim: number;
  seconds: number;
  /** how the codes were computed, once done (null before), and on how many threads */
  method: LatentMethod | null;
  threads: number;
  message: string | null;
}

export interface KMeansJob {
  jobId: number;
  /** the latents it clusters (a KMeans result belongs to one latent job) */
  latentJobId: number;
  options: KMeansOptions;
  status: JobStatus;
  /** all restarts together (the analysis client combines its workers' shares) */
  progress: KMeansProgress | null;
  summary: KMeansSummary | null;
  message: string | null;
  /** decoded cluster centres: k × 784, requested under `centresJobId` */
  centresJobId: number;
  centres: Float32Array | null;
  /** per cluster, up to MEMBERS_PER_CLUSTER member images: requested under `membersJobId` */
  membersJobId: number;
  memberIndices: Int32Array | null;
  members: Float32Array | null;
}

export interface InspectState {
  index: number;
  jobId: number;
  image: Float32Array | null;
}

/** Steps of a walk between two latent vectors (endpoints included): the default and the choices' bounds. */
export const WALK_STEPS = 10;
export const MIN_WALK_STEPS = 3;
export const MAX_WALK_STEPS = 30;

/** How a map places the codes in two dimensions. */
export type MapKind = 'tsne' | 'pca' | 'umap';

/** Where a live map (t-SNE or UMAP) is: its phase, steps done and the fraction of the phase. */
export type MapProgress = TsneProgress | UmapProgress;

export interface MapJob {
  jobId: number;
  kind: MapKind;
  /** UMAP only: the settings it runs with */
  umapOptions: UmapMapOptions | null;
  /**
   * The layout shown before this map (n × 2, the same latents and n), kept so the page can move the points
   * from it to this map's layout instead of jumping; null when there was none to move from.
   */
  previous: Float32Array | null;
  /** PCA only: each of the two components' share of the variance */
  explained: [number, number] | null;
  /** the first n latent vectors are mapped */
  n: number;
  /** the t-SNE settings (kept for PCA and UMAP maps too: the form's values, or the defaults, when it was asked for) */
  options: MapOptions;
  status: JobStatus;
  progress: MapProgress | null;
  iteration: number;
  /** latest frame, n × 2 row-major */
  embedding: Float32Array | null;
  seconds: number;
  /** threads that computed the map (t-SNE: 2 with its helper thread; the others 1) */
  threads: number;
  quality: MapQuality | null;
  message: string | null;
  /**
   * Points that can be drawn as digit thumbnails (by default all n) and their pixels once fetched, as bytes:
   * thumbIndices.length × 784 (55 MB for 70,000; as floats they would be 220 MB).
   */
  thumbsJobId: number;
  thumbIndices: Int32Array;
  thumbs: Uint8Array | null;
}

/** The point under the mouse: its image and its reconstruction, each fetched from the engine. */
export interface HoverState {
  index: number;
  imageJobId: number;
  image: Float32Array | null;
  reconJobId: number;
  recon: Float32Array | null;
}

/** Two points and the images decoded along the straight line between their codes. */
export interface WalkState {
  a: number;
  /** null while waiting for the end to be clicked */
  b: number | null;
  steps: number;
  jobId: number;
  /** steps × 784 once decoded */
  images: Float32Array | null;
  /** the two endpoints' original images (2 × 784) once fetched */
  endsJobId: number | null;
  ends: Float32Array | null;
}

export interface LatentSpaceState {
  latent: LatentJob | null;
  kmeans: KMeansJob | null;
  inspect: InspectState | null;
  map: MapJob | null;
  hover: HoverState | null;
  walk: WalkState | null;
  /** the code plane of a run with a 2-number code: its decoded grid and the image under the pointer */
  manifold: ManifoldState | null;
  /** the map's selection (lasso, shift-click, a digit) and the focused point with its latent neighbours */
  selection: SelectionState | null;
  focus: FocusState | null;
  /** last problem with a short job (decode, images), shown without losing anything */
  message: string | null;
}

export const INITIAL_LATENT_SPACE: LatentSpaceState = { latent: null, kmeans: null, inspect: null, map: null, hover: null, walk: null, manifold: null, selection: null, focus: null, message: null };

/** `count` indices spread evenly over [0, n), for the thumbnails drawn on the map. */
export function spreadIndices(n: number, count: number): Int32Array {
  const m = Math.min(n, count);
  return Int32Array.from({ length: m }, (_, i) => Math.floor((i * n) / m));
}

/**
 * The first `perCluster` members of each cluster, in data order, as one index list grouped by cluster
 * (cluster c's members at positions c·perCluster …; −1 where a cluster has fewer).
 */
export function pickMembers(assignments: Int32Array, k: number, perCluster: number): Int32Array {
  const picked = new Int32Array(k * perCluster).fill(-1);
  const filled = new Int32Array(k);
  for (let i = 0; i < assignments.length; i++) {
    const c = assignments[i];
    if (filled[c] < perCluster) picked[c * perCluster + filled[c]++] = i;
  }
  return picked;
}
