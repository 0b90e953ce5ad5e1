/**
 * Where a new code (one not in the data, e.g. a drawn digit's) belongs among known codes: its nearest
 * KMeans centre, its nearest data points, and a position on an existing 2-D map. t-SNE has no transform
 * for new points, so the map position is estimated out of sample from the code's latent neighbours: the
 * mean of their map positions weighted by the inverse of their latent (Euclidean) distance — nearer codes
 * pull harder, and a neighbour at distance 0 gives its own position exactly. Pure, no DOM or tfjs.
 */
import { knnOfQueries } from './knn';

/** Nearest of k centres (k × d row-major) to `code` (d values): its index and Euclidean distance. */
export function nearestCentroid(centroids: Float32Array, k: number, d: number, code: Float32Array): { index: number; distance: number } {
  if (k < 1 || centroids.length < k * d || code.length < d) throw new Error(`need k ≥ 1 centres of ${d} values and a code of ${d}`);
  let best = 0;
  let bestDistance = Infinity;
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let t = 0; t < d; t++) {
      const diff = code[t] - centroids[c * d + t];
      s += diff * diff;
    }
    if (s < bestDistance) {
      bestDistance = s;
      best = c;
    }
  }
  return { index: best, distance: Math.sqrt(bestDistance) };
}

/** The k data points nearest a code, nearest first. */
export interface Neighbours {
  /** indices into the data rows */
  indices: Int32Array;
  /** Euclidean distances in latent space, ascending */
  distances: Float32Array;
}

/** The k nearest of the first n codes (n × d row-major) to `code` (d values); k is capped at n. */
export function nearestCodes(codes: Float32Array, n: number, d: number, code: Float32Array, k: number): Neighbours {
  const graph = knnOfQueries(codes, n, d, code, 1, Math.min(k, n));
  return { indices: graph.indices, distances: graph.distances.map(Math.sqrt) };
}

/**
 * The inverse-distance-weighted mean of the neighbours' map positions: Σ wᵢ·pᵢ / Σ wᵢ with wᵢ = 1 / dᵢ.
 * A neighbour at distance 0 is where the code is: its position is returned (the first such, if several).
 * @param positions map positions, N × 2 row-major, indexed by `neighbours.indices`
 */
export function inverseDistancePosition(positions: Float32Array, neighbours: Neighbours): { x: number; y: number } {
  const { indices, distances } = neighbours;
  if (indices.length === 0) throw new Error('no neighbours to place by');
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < indices.length; i++) {
    const p = indices[i];
    if (distances[i] === 0) return { x: positions[2 * p], y: positions[2 * p + 1] };
    const w = 1 / distances[i];
    sw += w;
    sx += w * positions[2 * p];
    sy += w * positions[2 * p + 1];
  }
  return { x: sx / sw, y: sy / sw };
}

/** One line naming the placement method, for the page. */
export function placementMethod(k: number): string {
  return `Placed at the mean map position of its ${k} nearest codes among the mapped points, each weighted by 1 / its latent distance (t-SNE cannot place a new point itself).`;
}
