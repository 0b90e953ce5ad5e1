/**
 * Moving the points of a map from one layout to another (t-SNE → PCA, PCA → UMAP, …) instead of jumping.
 * Two layouts of the same points live in unrelated coordinates (PCA in latent units, t-SNE in tens, UMAP
 * in units of ten), so each is first placed the way the map shows it — centred and scaled to fit the view
 * (`fitView`'s rule: the larger span relative to the view fills it) — and the points move between those
 * screen-normalised positions along an ease-in-out curve. Pure; the hook that drives it is
 * useLayoutTransition.ts.
 */

import { bounds } from './scatter-view';

/** How long the move between two layouts takes. */
export const LAYOUT_TRANSITION_MS = 700;

/** Cubic ease-in-out on [0, 1]: starts and ends at rest, so the move neither snaps away nor lands with a jolt. */
export function easeInOut(t: number): number {
  // NaN (e.g. a zero-length clock) counts as the start.
  const s = t >= 1 ? 1 : t > 0 ? t : 0;
  return s < 0.5 ? 4 * s * s * s : 1 - (-2 * s + 2) ** 3 / 2;
}

/**
 * `xy` (n × 2 row-major) as the view shows it: centred on its bounding box's centre and scaled so the box
 * just fits a view `aspect` wide and 1 high (the same placement `fitView` gives any layout, up to the
 * view's own scale and offset). Non-finite coordinates are kept at the centre.
 */
export function normaliseLayout(xy: ArrayLike<number>, n: number, aspect = 1): Float32Array {
  const out = new Float32Array(2 * n);
  const box = bounds(xy, n);
  if (!box) return out;
  const { minX, maxX, minY, maxY } = box;
  const ratio = Number.isFinite(aspect) && aspect > 0 ? aspect : 1;
  const scale = Math.min(ratio / Math.max(maxX - minX, 1e-12), 1 / Math.max(maxY - minY, 1e-12));
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  for (let i = 0; i < n; i++) {
    const x = xy[2 * i];
    const y = xy[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    out[2 * i] = (x - cx) * scale;
    out[2 * i + 1] = (y - cy) * scale;
  }
  return out;
}

/**
 * The points `progress` ∈ [0, 1] of the way from `from` to `to` (both n × 2, already normalised), eased:
 * (1 − e)·from + e·to with e = easeInOut(progress). At 0 it is `from`, at 1 it is `to`.
 */
export function blendLayouts(from: ArrayLike<number>, to: ArrayLike<number>, n: number, progress: number, out = new Float32Array(2 * n)): Float32Array {
  if (from.length < 2 * n || to.length < 2 * n || out.length < 2 * n) throw new Error(`blendLayouts needs two layouts of ${n} points`);
  const e = easeInOut(progress);
  for (let k = 0; k < 2 * n; k++) out[k] = from[k] + (to[k] - from[k]) * e;
  return out;
}
