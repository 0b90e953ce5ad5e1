/**
 * Out-of-sample placement of a new code: nearest KMeans centre, nearest codes (against a sort-everything
 * reference) and the inverse-distance-weighted map position on a known layout.
 */
import { describe, expect, it } from 'vitest';
import { knnOfQueries } from '../../src/analysis/knn';
import { inverseDistancePosition, nearestCentroid, nearestCodes } from '../../src/analysis/placement';
import { mulberry32 } from '../../src/analysis/rng';

describe('placing a new code among known ones', () => {
  it('finds the nearest centre and its distance', () => {
    // Three centres in 2-D: (0, 0), (10, 0), (0, 10).
    const centroids = Float32Array.of(0, 0, 10, 0, 0, 10);
    expect(nearestCentroid(centroids, 3, 2, Float32Array.of(7, 1))).toEqual({ index: 1, distance: Math.hypot(3, 1) });
    expect(nearestCentroid(centroids, 3, 2, Float32Array.of(1, 6))).toEqual({ index: 2, distance: Math.hypot(1, 4) });
    expect(nearestCentroid(centroids, 3, 2, Float32Array.of(0, 0))).toEqual({ index: 0, distance: 0 });
  });

  it('the k nearest codes equal a sort of every distance (the slow reference)', () => {
    const rng = mulberry32(7);
    const n = 500;
    const d = 16;
    const codes = Float32Array.from({ length: n * d }, () => rng() * 2 - 1);
    const query = Float32Array.from({ length: d }, () => rng() * 2 - 1);
    const reference = Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let t = 0; t < d; t++) s += (query[t] - codes[j * d + t]) ** 2;
      return [j, Math.sqrt(s)] as const;
    }).sort((a, b) => a[1] - b[1]);
    const found = nearestCodes(codes, n, d, query, 8);
    expect(Array.from(found.indices)).toEqual(reference.slice(0, 8).map(([j]) => j));
    found.distances.forEach((dist, s) => expect(dist).toBeCloseTo(reference[s][1], 5));
  });

  it('out-of-sample k-NN includes an exact match at distance 0 and refuses a bad k', () => {
    const data = Float32Array.of(0, 0, 1, 1, 2, 2);
    const graph = knnOfQueries(data, 3, 2, Float32Array.of(1, 1, 2.1, 2), 2, 2);
    expect(Array.from(graph.indices)).toEqual([1, 0, 2, 1]);
    expect(graph.distances[0]).toBe(0);
    expect(() => knnOfQueries(data, 3, 2, Float32Array.of(0, 0), 1, 4)).toThrow(/k must be/);
  });

  it('places by the inverse-distance-weighted mean of the neighbours’ map positions', () => {
    // Neighbours at latent distances 1, 2 and 4 sit at map positions (0, 0), (6, 0) and (0, 12).
    const positions = Float32Array.of(0, 0, 6, 0, 0, 12);
    const at = inverseDistancePosition(positions, { indices: Int32Array.of(0, 1, 2), distances: Float32Array.of(1, 2, 4) });
    // Weights 1, 1/2, 1/4 (sum 7/4): x = (6/2) / (7/4) = 12/7, y = (12/4) / (7/4) = 12/7.
    expect(at.x).toBeCloseTo(12 / 7, 10);
    expect(at.y).toBeCloseTo(12 / 7, 10);
  });

  it('a neighbour at distance 0 gives its own position', () => {
    const positions = Float32Array.of(0, 0, 6, 0, 0, 12);
    expect(inverseDistancePosition(positions, { indices: Int32Array.of(1, 2, 0), distances: Float32Array.of(0, 2, 4) })).toEqual({ x: 6, y: 0 });
  });

  it('places a code on a map through its nearest mapped codes only', () => {
    // Codes on a line at 0, 1, 2, 3 (1-D); the map puts them at (i, 10·i). Only the first 3 are mapped.
    const codes = Float32Array.of(0, 1, 2, 3);
    const embedding = Float32Array.of(0, 0, 1, 10, 2, 20);
    const neighbours = nearestCodes(codes, 3, 1, Float32Array.of(2.5), 2);
    expect(Array.from(neighbours.indices)).toEqual([2, 1]);
    const placed = inverseDistancePosition(embedding, neighbours);
    // Distances 0.5 and 1.5: weights 2 and 2/3, so x = (2·2 + 1·2/3) / (8/3) = 1.75.
    expect(placed.x).toBeCloseTo(1.75, 6);
    expect(placed.y).toBeCloseTo(17.5, 5);
  });
});
