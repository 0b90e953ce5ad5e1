/**
 * Choosing which images to show: pure functions on label arrays and scores.
 */
import { shuffleInPlace, type Rng } from './rng';

/** `count` distinct random indices in [0, n), in random order. */
export function randomIndices(n: number, count: number, rng: Rng): Int32Array {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  shuffleInPlace(all, rng);
  return all.slice(0, Math.min(count, n));
}

/** `count` random indices of images whose label is `label` (fewer if there are not that many). */
export function indicesOfLabel(labels: ArrayLike<number>, label: number, count: number, rng: Rng): Int32Array {
  const matching: number[] = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] === label) matching.push(i);
  const picked = randomIndices(matching.length, count, rng);
  return picked.map((i) => matching[i]);
}

/** Indices of the `count` largest scores, largest first (ties: smaller index first). */
export function topIndices(scores: ArrayLike<number>, count: number): Int32Array {
  const order = Int32Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, Math.min(count, scores.length));
}
