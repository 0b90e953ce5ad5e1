import { useEffect, useState } from 'react';
import { IMAGE_PIXELS } from '../../data/mnist-shape';
import { createAtlas, fillAtlas, freeAtlas, type ThumbnailAtlas } from './digit-atlas';

/** What the map draws its thumbnails from, and how far building it has got. */
export interface AtlasState {
  atlas: ThumbnailAtlas | null;
  /** changes with every chunk written, so the map redraws as digits arrive */
  version: number;
  /** share of the current (re)tint done, 0–1 */
  fraction: number;
  /** true while building has taken longer than a moment: then the page shows its progress */
  slow: boolean;
}

/** Building that takes longer than this (ms) shows a progress bar; shorter builds just appear. */
const SLOW_MS = 300;

/**
 * The map's tinted thumbnail atlas, made from `pixels` (count × 784 bytes) in chunks so the page stays
 * responsive, tinted `palette[classes[indices[t]] % palette.length]` (0xRRGGBB) and tinted again in place
 * when the colouring changes. The atlas is freed once, when the pixels change or the map goes.
 */
export function useThumbnailAtlas(pixels: Uint8Array | null, indices: ArrayLike<number>, classes: ArrayLike<number> | null, palette: readonly number[]): AtlasState {
  const [atlas, setAtlas] = useState<ThumbnailAtlas | null>(null);
  const [progress, setProgress] = useState({ version: 0, fraction: 0, slow: false });
  const count = pixels ? Math.min(indices.length, Math.floor(pixels.length / IMAGE_PIXELS)) : 0;

  useEffect(() => {
    if (!pixels || count === 0) {
      setAtlas(null);
      return;
    }
    const made = createAtlas(count);
    setAtlas(made);
    return () => {
      if (made) freeAtlas(made);
    };
  }, [pixels, count]);

  useEffect(() => {
    if (!atlas || atlas.freed || !pixels || !classes) return;
    const abort = new AbortController();
    const started = performance.now();
    setProgress((p) => ({ version: p.version + 1, fraction: 0, slow: false }));
    const colourOf = (t: number) => palette[classes[indices[t]] % palette.length];
    void fillAtlas(atlas, pixels, colourOf, (fraction) => {
      if (!abort.signal.aborted) setProgress((p) => ({ version: p.version + 1, fraction, slow: fraction < 1 && performance.now() - started > SLOW_MS }));
    }, abort.signal);
    return () => abort.abort();
  }, [atlas, pixels, classes, indices, palette]);

  return { atlas: atlas && !atlas.freed ? atlas : null, ...progress };
}
