/**
 * The code plane of a run whose code has 2 numbers: a grid of images decoded across the part of the plane
 * the data occupies (the "manifold" picture), and the image decoded live under the pointer.
 *
 * Live decoding is coalesced: at most one decode is in flight; positions that arrive meanwhile replace one
 * another, and only the latest is decoded when the running one returns. A fast pointer therefore never
 * queues up work in the engine, and what is shown always catches up with where the pointer is.
 */
import { gridCodes, MAX_GRID_SIDE, occupiedRange, planeToCode, type PlaneRange } from '../analysis/manifold-grid';
import type { RunId } from '../worker/protocol';
import { engine, type Command } from './commands';

/** Default grid side: 20 × 20 decoded digits, as in the classic manifold pictures. */
export const DEFAULT_GRID_SIDE = 20;

/** The decoded image under the pointer. */
export interface PlaneHover {
  /** the code last asked for (where the pointer is) */
  code: [number, number];
  /** the code of `image` */
  shownCode: [number, number] | null;
  image: Float32Array | null;
  /** the decode in flight, if any, and the code it decodes */
  inFlight: { jobId: number; code: [number, number] } | null;
  /** a code that arrived while `jobId` was in flight: decoded next */
  pending: [number, number] | null;
}

export interface ManifoldState {
  /** the latent job whose codes set the range */
  latentJobId: number;
  runId: RunId;
  range: PlaneRange;
  side: number;
  gridJobId: number;
  /** side² × 784 once decoded, row by row from the top */
  grid: Float32Array | null;
  hover: PlaneHover | null;
}

/** The latents a manifold is made from: a finished latent job. */
export interface PlaneSource {
  jobId: number;
  runId: RunId;
  latents: Float32Array;
  count: number;
}

/** True when the latents are 2-d codes (only then is the code plane the whole latent space). */
export function isPlane(latents: Float32Array, count: number): boolean {
  return count > 0 && latents.length === count * 2;
}

/** Smallest grid side offered: fewer than 2 × 2 images show no manifold. */
export const MIN_GRID_SIDE = 2;

/** True for a grid side the page accepts (a whole number from MIN_GRID_SIDE to MAX_GRID_SIDE). */
export function isGridSide(side: number): boolean {
  return Number.isInteger(side) && side >= MIN_GRID_SIDE && side <= MAX_GRID_SIDE;
}

/** Starts decoding a side × side grid over the range the codes occupy. */
export function requestManifold(source: PlaneSource, side: number, take: () => number): { manifold: ManifoldState; commands: Command[] } | null {
  if (!isPlane(source.latents, source.count) || !isGridSide(side)) return null;
  const range = occupiedRange(source.latents, source.count);
  const gridJobId = take();
  const codes = gridCodes(range, side);
  return {
    manifold: { latentJobId: source.jobId, runId: source.runId, range, side, gridJobId, grid: null, hover: null },
    commands: [engine({ type: 'decode', jobId: gridJobId, runId: source.runId, codes, count: side * side })],
  };
}

/** The pointer moved to picture position (u, v) ∈ [0, 1]²; decodes there now or after the decode in flight. */
export function hoverPlane(manifold: ManifoldState, u: number, v: number, take: () => number): { manifold: ManifoldState; commands: Command[] } {
  if (!Number.isFinite(u) || !Number.isFinite(v) || u < 0 || u > 1 || v < 0 || v > 1) return { manifold, commands: [] };
  const code = planeToCode(manifold.range, u, v);
  const hover = manifold.hover;
  if (hover?.inFlight) return { manifold: { ...manifold, hover: { ...hover, code, pending: code } }, commands: [] };
  return decodeAt(manifold, code, hover, take);
}

function decodeAt(manifold: ManifoldState, code: [number, number], hover: PlaneHover | null, take: () => number): { manifold: ManifoldState; commands: Command[] } {
  const jobId = take();
  return {
    manifold: { ...manifold, hover: { code, shownCode: hover?.shownCode ?? null, image: hover?.image ?? null, inFlight: { jobId, code }, pending: null } },
    commands: [engine({ type: 'decode', jobId, runId: manifold.runId, codes: Float32Array.from(code), count: 1 })],
  };
}

/** A decode of the grid or of the pointer's code came back (or failed: `images` null). */
export function manifoldDecoded(manifold: ManifoldState, jobId: number, images: Float32Array | null, take: () => number): { manifold: ManifoldState; commands: Command[] } {
  if (jobId === manifold.gridJobId) return { manifold: { ...manifold, grid: images ?? manifold.grid }, commands: [] };
  const hover = manifold.hover;
  if (!hover || hover.inFlight?.jobId !== jobId) return { manifold, commands: [] };
  const settled: PlaneHover = {
    ...hover,
    inFlight: null,
    image: images ?? hover.image,
    shownCode: images ? hover.inFlight.code : hover.shownCode,
  };
  if (hover.pending) return decodeAt(manifold, hover.pending, settled, take);
  return { manifold: { ...manifold, hover: settled }, commands: [] };
}
