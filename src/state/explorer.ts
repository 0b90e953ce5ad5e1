/**
 * The map as an explorer: a selection (lasso, shift-click, a digit, invert, clear) with its statistics,
 * mean images and exports, and a focused point with its nearest neighbours in the latent space (the codes,
 * not the map). Pure: the transitions return the commands they imply; the latent-space slice routes its
 * actions and job events here.
 */
import { pointsInPolygon } from '../analysis/polygon';
import { CLASS_COUNT } from '../data/mnist-shape';
import type { Split } from '../worker/protocol';
import { engine, type Command } from './commands';
import type { LatentJob, MapJob } from './latent-state';

/** Neighbours listed for a focused point (the Embedding Projector's default is larger; 10 fit one row). */
export const NEIGHBOUR_COUNT = 10;
/** Member thumbnails shown in the selection panel. */
export const SELECTION_PREVIEW = 24;

/**
 * Selected rows of the latents (the same rows on every map of them: a selection made on a t-SNE map is seen
 * again on the PCA or UMAP map), all below the current map's n.
 */
export interface SelectionState {
  /** selected rows, ascending, no repeats */
  indices: Int32Array;
  meansJobId: number | null;
  means: { image: Float32Array; reconstruction: Float32Array } | null;
  membersJobId: number | null;
  /** the first SELECTION_PREVIEW selected rows, and their images once fetched */
  memberIndices: Int32Array;
  members: Float32Array | null;
}

export interface FocusState {
  index: number;
  /** nearest rows in the latent space, nearest first, without the point itself */
  neighbours: Int32Array;
  /** Euclidean distances in the latent space, as `neighbours` */
  distances: Float32Array;
  imagesJobId: number;
  /** images of [the point, ...neighbours] once fetched */
  images: Float32Array | null;
}

/** Which explorer job a job id is. */
export type ExplorerOwner = 'selectionMeans' | 'selectionMembers' | 'focusImages';

export type ExplorerAction =
  /** a lasso drawn on the map, in the map's data coordinates; `add` keeps what was selected */
  | { type: 'lassoDrawn'; polygon: number[]; add: boolean }
  /** shift-click: adds a point to the selection, or takes it out */
  | { type: 'pointToggled'; index: number }
  | { type: 'selectionCleared' }
  | { type: 'selectionInverted' }
  /** selects every mapped point of one true digit */
  | { type: 'digitSelected'; digit: number }
  /** click or search: lists the point's nearest neighbours in the latent space */
  | { type: 'pointFocused'; index: number }
  | { type: 'focusCleared' }
  | { type: 'selectionExportRequested'; format: 'csv' | 'json' }
  /** a selection from the page address: point numbers (those past the map's n are left out) */
  | { type: 'selectionRestored'; rows: number[] }
  /** every code of the loaded latents as CSV */
  | { type: 'codesExportRequested' };

/** Hands out job ids for the explorer's jobs. */
export type TakeJobId = (owner: ExplorerOwner) => number;

/** A selection of `indices` on `map`, with the jobs that fetch its means and member images. */
function selectionOf(latent: LatentJob, indices: Int32Array, take: TakeJobId): { selection: SelectionState | null; commands: Command[] } {
  if (indices.length === 0) return { selection: null, commands: [] };
  const meansJobId = take('selectionMeans');
  const membersJobId = take('selectionMembers');
  const memberIndices = indices.slice(0, SELECTION_PREVIEW);
  return {
    selection: { indices, meansJobId, means: null, membersJobId, memberIndices, members: null },
    commands: [
      engine({ type: 'meanImages', jobId: meansJobId, runId: latent.runId, split: latent.split, indices: indices.slice() }),
      engine({ type: 'images', jobId: membersJobId, split: latent.split, indices: memberIndices.slice() }),
    ],
  };
}

/** Sorted union of two ascending index lists. */
export function unionSorted(a: Int32Array, b: Int32Array): Int32Array {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++];
    if (out.length === 0 || out[out.length - 1] !== next) out.push(next);
  }
  return Int32Array.from(out);
}

/** Rows of [0, n) not in the ascending list `indices`. */
export function complementSorted(indices: Int32Array, n: number): Int32Array {
  const out = new Int32Array(Math.max(0, n - indices.length));
  let next = 0;
  let k = 0;
  for (let row = 0; row < n; row++) {
    if (next < indices.length && indices[next] === row) next++;
    else if (k < out.length) out[k++] = row;
  }
  return out.subarray(0, k);
}

/** The k rows nearest to row `index` in the n × d codes (Euclidean, ties by lower row), without itself. */
export function latentNeighbours(latents: Float32Array, n: number, d: number, index: number, k: number): { indices: Int32Array; distances: Float32Array } {
  const m = Math.min(k, n - 1);
  const best = new Int32Array(m).fill(-1);
  const bestD = new Float64Array(m).fill(Infinity);
  const base = index * d;
  for (let row = 0; row < n; row++) {
    if (row === index) continue;
    let sum = 0;
    const offset = row * d;
    for (let j = 0; j < d; j++) {
      const diff = latents[offset + j] - latents[base + j];
      sum += diff * diff;
    }
    if (m === 0 || sum >= bestD[m - 1]) continue;
    let at = m - 1;
    while (at > 0 && bestD[at - 1] > sum) {
      bestD[at] = bestD[at - 1];
      best[at] = best[at - 1];
      at--;
    }
    bestD[at] = sum;
    best[at] = row;
  }
  return { indices: best, distances: Float32Array.from(bestD, Math.sqrt) };
}

/** Counts per true digit and, when clusters are given, per cluster, over the selected rows. */
export function selectionStats(indices: Int32Array, labels: ArrayLike<number>, clusters: { assignments: ArrayLike<number>; k: number } | null): { digits: number[]; clusters: number[] | null } {
  const digits = new Array<number>(CLASS_COUNT).fill(0);
  const perCluster = clusters ? new Array<number>(clusters.k).fill(0) : null;
  for (const row of indices) {
    digits[labels[row]] = (digits[labels[row]] ?? 0) + 1;
    if (clusters && perCluster) perCluster[clusters.assignments[row]]++;
  }
  return { digits, clusters: perCluster };
}

/** Where row `row` of a split's latents comes from: 'all' is the training set, then the test set. */
export function imageOf(row: number, split: Split, trainCount: number): { set: 'train' | 'test'; number: number } {
  if (split === 'all') return row < trainCount ? { set: 'train', number: row } : { set: 'test', number: row - trainCount };
  return { set: split, number: row };
}

/** The selection as a file: one line per image (set, image number in it, true digit, cluster when known). */
export function selectionFile(
  format: 'csv' | 'json',
  indices: Int32Array,
  context: { latent: LatentJob; labels: ArrayLike<number>; assignments: ArrayLike<number> | null; trainCount: number },
): { text: string; mime: string; extension: string } {
  const rows = Array.from(indices, (row) => {
    const { set, number } = imageOf(row, context.latent.split, context.trainCount);
    return { set, image: number, digit: context.labels[row], cluster: context.assignments ? context.assignments[row] : null };
  });
  if (format === 'json') {
    const text = JSON.stringify({ run: context.latent.runName, dataset: context.latent.dataset?.name ?? null, count: rows.length, images: rows }, null, 1);
    return { text: `${text}\n`, mime: 'application/json', extension: 'json' };
  }
  const lines = ['set,image,digit,cluster', ...rows.map((r) => `${r.set},${r.image},${r.digit},${r.cluster ?? ''}`)];
  return { text: `${lines.join('\n')}\n`, mime: 'text/csv', extension: 'csv' };
}

/**
 * The codes themselves as CSV: one line per image (set, image number, true digit, then the code's numbers at
 * float32 precision, 9 significant digits), for analysis elsewhere and for checking the neighbours listed here.
 */
export function codesFile(latent: LatentJob, trainCount: number): string | null {
  const { latents, labels, count } = latent;
  if (!latents || !labels || count === 0) return null;
  const d = latent.dim;
  const lines = [['set', 'image', 'digit', ...Array.from({ length: d }, (_, j) => `z${j}`)].join(',')];
  for (let row = 0; row < count; row++) {
    const { set, number } = imageOf(row, latent.split, trainCount);
    const code = Array.from(latents.subarray(row * d, (row + 1) * d), (value) => Number(value.toPrecision(9)));
    lines.push(`${set},${number},${labels[row]},${code.join(',')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The explorer's part of the latent space, and what a transition changes. */
export interface ExplorerSpace {
  latent: LatentJob | null;
  map: MapJob | null;
  selection: SelectionState | null;
  focus: FocusState | null;
  kmeansAssignments: { assignments: Int32Array; k: number } | null;
}

export interface ExplorerResult {
  selection: SelectionState | null;
  focus: FocusState | null;
  commands: Command[];
}

/**
 * The selection and focus carried onto a new map of `n` rows of the same latents: rows past n leave the
 * selection (whose means are then fetched again); a focus past n goes.
 */
export function carryOntoMap(space: ExplorerSpace, n: number, take: TakeJobId): ExplorerResult {
  const { latent, selection, focus } = space;
  const keptFocus = focus && focus.index < n && focus.neighbours.every((row) => row < n) ? focus : null;
  if (!selection || !latent) return { selection: null, focus: keptFocus, commands: [] };
  const kept = selection.indices.filter((row) => row < n);
  if (kept.length === selection.indices.length) return { selection, focus: keptFocus, commands: [] };
  return { ...selectionOf(latent, kept, take), focus: keptFocus };
}

/** Applies an explorer action; unchanged (and no commands) when there is no finished map to act on. */
export function reduceExplorerAction(space: ExplorerSpace, action: ExplorerAction, take: TakeJobId): ExplorerResult {
  const { latent, map, selection, focus } = space;
  const unchanged: ExplorerResult = { selection, focus, commands: [] };
  if (action.type === 'codesExportRequested') {
    const text = latent && latent.status === 'done' ? codesFile(latent, latent.dataset?.trainCount ?? latent.count) : null;
    if (!latent || text === null) return unchanged;
    const name = `codes-${latent.runName.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}-${latent.split}.csv`;
    return { ...unchanged, commands: [{ kind: 'download', blob: new Blob([text], { type: 'text/csv' }), fileName: name }] };
  }
  if (!latent || !latent.latents || !latent.labels || !map) return unchanged;
  const current = selection ? selection.indices : new Int32Array(0);
  const select = (indices: Int32Array): ExplorerResult => ({ ...selectionOf(latent, indices, take), focus });
  const inMap = (index: number) => Number.isInteger(index) && index >= 0 && index < map.n;
  switch (action.type) {
    case 'lassoDrawn': {
      if (!map.embedding) return unchanged;
      const inside = pointsInPolygon(map.embedding, map.n, action.polygon);
      return select(action.add ? unionSorted(current, inside) : inside);
    }
    case 'pointToggled': {
      if (!inMap(action.index)) return unchanged;
      const has = current.includes(action.index);
      return select(has ? current.filter((row) => row !== action.index) : unionSorted(current, Int32Array.of(action.index)));
    }
    case 'selectionCleared':
      return { selection: null, focus, commands: [] };
    case 'selectionInverted':
      return select(complementSorted(current, map.n));
    case 'selectionRestored':
      return select(Int32Array.from(new Set(action.rows.filter(inMap))).sort());
    case 'digitSelected': {
      if (!Number.isInteger(action.digit) || action.digit < 0 || action.digit >= CLASS_COUNT) return unchanged;
      const labels = latent.labels;
      const rows: number[] = [];
      for (let row = 0; row < map.n; row++) if (labels[row] === action.digit) rows.push(row);
      return select(Int32Array.from(rows));
    }
    case 'pointFocused': {
      if (!inMap(action.index)) return unchanged;
      const d = latent.dim;
      // Neighbours among the mapped points, so each one can be highlighted on the map.
      const found = latentNeighbours(latent.latents, map.n, d, action.index, NEIGHBOUR_COUNT);
      const imagesJobId = take('focusImages');
      const indices = Int32Array.of(action.index, ...found.indices);
      return {
        selection,
        focus: { index: action.index, neighbours: found.indices, distances: found.distances, imagesJobId, images: null },
        commands: [engine({ type: 'images', jobId: imagesJobId, split: latent.split, indices })],
      };
    }
    case 'focusCleared':
      return { selection, focus: null, commands: [] };
    case 'selectionExportRequested': {
      if (current.length === 0) return unchanged;
      const file = selectionFile(action.format, current, {
        latent,
        labels: latent.labels,
        assignments: space.kmeansAssignments?.assignments ?? null,
        trainCount: latent.dataset?.trainCount ?? latent.count,
      });
      const blob = new Blob([file.text], { type: file.mime });
      return { ...unchanged, commands: [{ kind: 'download', blob, fileName: `selection-${current.length}.${file.extension}` }] };
    }
    default: {
      const unreachable: never = action;
      return unreachable;
    }
  }
}

/** An engine answer for an explorer job (or its failure: `failed`). */
export function reduceExplorerEvent(
  selection: SelectionState | null,
  focus: FocusState | null,
  owner: ExplorerOwner,
  jobId: number,
  answer: { images?: Float32Array; means?: { image: Float32Array; reconstruction: Float32Array } },
): { selection: SelectionState | null; focus: FocusState | null } {
  switch (owner) {
    case 'selectionMeans':
      if (selection?.meansJobId === jobId && answer.means) return { selection: { ...selection, means: answer.means }, focus };
      return { selection, focus };
    case 'selectionMembers':
      if (selection?.membersJobId === jobId && answer.images) return { selection: { ...selection, members: answer.images }, focus };
      return { selection, focus };
    case 'focusImages':
      if (focus?.imagesJobId === jobId && answer.images) return { selection, focus: { ...focus, images: answer.images } };
      return { selection, focus };
    default: {
      const unreachable: never = owner;
      return unreachable;
    }
  }
}
