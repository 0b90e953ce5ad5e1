import { useEffect, useRef, useState } from 'react';
import { blendLayouts, LAYOUT_TRANSITION_MS, normaliseLayout } from './layout-transition';

/** Whether the person asked their system for less motion (then layouts switch at once). */
function prefersReducedMotion(): boolean {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
}

/**
 * The points to draw while a map replaces another of the same points: an input transformation for
 * `ScatterMap`'s `xy`, leaving its drawing alone. Until the new map has points the old layout stays on
 * screen; when the first ones arrive (PCA's only layout, or the first live frame of t-SNE or UMAP) the
 * points move from the old layout to the new over LAYOUT_TRANSITION_MS, both normalised to the view
 * (`aspect` = the canvas's width / height, read when the move starts). Live frames that arrive meanwhile
 * become the move's target. With `prefers-reduced-motion: reduce` there is no move.
 * @param previous the old layout (n × 2), or null when there is none to move from
 * @param current the new map's latest layout (n × 2), or null before its first points
 * @returns the layout to draw and whether a move is under way
 */
export function useLayoutTransition(
  previous: Float32Array | null,
  current: Float32Array | null,
  n: number,
  aspect: () => number,
): { xy: Float32Array | null; moving: boolean } {
  const [frame, setFrame] = useState<Float32Array | null>(null);
  /** the old layout whose move has ended (so its new layout is drawn as it is) */
  const [moved, setMoved] = useState<Float32Array | null>(null);
  // Read on every render (cheap), so a change of the system setting applies to the next switch.
  const reduced = prefersReducedMotion();
  const target = useRef(current);
  target.current = current;
  const aspectRef = useRef(aspect);
  aspectRef.current = aspect;
  const hasCurrent = current !== null;
  useEffect(() => {
    if (!previous || !hasCurrent || reduced || previous.length < 2 * n) return;
    const ratio = aspectRef.current();
    const from = normaliseLayout(previous, n, ratio);
    const started = performance.now();
    let request = 0;
    const tick = (now: number) => {
      const progress = Math.min(1, (now - started) / LAYOUT_TRANSITION_MS);
      const to = target.current;
      if (!to || to.length < 2 * n || progress >= 1) {
        setFrame(null);
        setMoved(previous);
        return;
      }
      // A new array per frame: the map redraws when its `xy` changes identity.
      setFrame(blendLayouts(from, normaliseLayout(to, n, ratio), n, progress));
      request = requestAnimationFrame(tick);
    };
    request = requestAnimationFrame(tick);
    return () => {
      cancelAnimationFrame(request);
      setFrame(null);
    };
  }, [previous, hasCurrent, n, reduced]);
  // Between the new layout's arrival and the move's first frame, the old layout stays: no one-frame flash.
  const pending = previous !== null && current !== null && !reduced && moved !== previous && previous.length >= 2 * n;
  return { xy: frame ?? (pending ? previous : (current ?? previous)), moving: frame !== null || pending };
}
