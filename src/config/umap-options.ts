/**
 * UMAP map options in one place: the settings a person can change ({@link UmapMapOptions}, a `Pick<>` of
 * the algorithm's own `UmapOptions`), their defaults (umap-learn's: n_neighbors 15, min_dist 0.1; seed 0;
 * the first 5,000 latents, as the t-SNE map), the limits with a reason per bound, and
 * `validateUmapSettings`, whose messages the map form shows. The worker protocol's `UmapMapOptions` is this
 * type; nothing else restates it.
 *
 * Direction: `UmapOptions` and its defaults stay in src/analysis/umap.ts and this module imports them, so
 * the numeric code holds no form limits or human messages. Points and seed share the t-SNE form's fields
 * and limits (`TSNE_LIMITS`).
 */
import { DEFAULT_UMAP_OPTIONS, type UmapOptions } from '../analysis/umap';
import { asRecord, checkNumber, formatNumber, type FieldErrors, type NumberLimit, type Validation } from './limits';
import { DEFAULT_MAP_SETTINGS, TSNE_LIMITS } from './tsne-options';

/** The UMAP settings a person can change; the other `UmapOptions` keep umap-learn's defaults. */
export type UmapMapOptions = Pick<UmapOptions, 'nNeighbors' | 'minDist' | 'seed'>;

/** What the map form asks for: the UMAP settings plus how many latent vectors (the first `points`) to map. */
export interface UmapSettings extends UmapMapOptions {
  /** Points mapped: the first N latent vectors. */
  points: number;
}

/** umap-learn's n_neighbors 15 and min_dist 0.1, seed 0, 5,000 points. */
export const DEFAULT_UMAP_SETTINGS: Readonly<UmapSettings> = Object.freeze({
  nNeighbors: DEFAULT_UMAP_OPTIONS.nNeighbors,
  minDist: DEFAULT_UMAP_OPTIONS.minDist,
  seed: DEFAULT_UMAP_OPTIONS.seed,
  points: DEFAULT_MAP_SETTINGS.points,
});

/** The settings checked, in order. */
export const UMAP_FORM_FIELDS: readonly (keyof UmapSettings)[] = ['points', 'nNeighbors', 'minDist', 'seed'];

/** What may be chosen for each setting. */
export const UMAP_LIMITS: { readonly [K in keyof UmapSettings]: NumberLimit } = {
  /** The t-SNE map's bounds: 50 to 70,000 (all of MNIST). */
  points: TSNE_LIMITS.points,
  /**
   * 2 ≤ n_neighbors ≤ 200, and below the points mapped. umap-learn refuses fewer than 2 (a point alone
   * is no neighbourhood); its documentation suggests 2–100 and the neighbour search's time grows with
   * it, so 200 (13 × the default) is generous.
   */
  nNeighbors: {
    label: 'n_neighbors',
    min: 2,
    max: 200,
    integer: true,
    belowMin: 'a neighbourhood needs the point and at least one other (umap-learn refuses fewer than 2)',
    aboveMax: 'the neighbour search slows with every neighbour and local structure blurs (umap-learn suggests 2 to 100)',
  },
  /**
   * 0 ≤ min_dist ≤ 1. umap-learn refuses a negative min_dist and one above spread, which is 1 here; 0
   * packs similar points on top of each other, 1 spreads them evenly.
   */
  minDist: {
    label: 'min_dist',
    min: 0,
    max: DEFAULT_UMAP_OPTIONS.spread,
    integer: false,
    belowMin: 'it is a distance in the map, so it cannot be negative',
    aboveMax: 'it may not exceed the map’s spread, which is 1 (umap-learn refuses min_dist > spread)',
  },
  /** The t-SNE map's seed bounds: the generator takes 32-bit unsigned seeds. */
  seed: TSNE_LIMITS.seed,
};

/** What the settings are checked against besides their own limits. */
export interface UmapContext {
  /** Latent vectors computed so far; `points` may not exceed it. */
  available?: number;
}

/**
 * Checks UMAP settings typed by a person or read from elsewhere. Missing (undefined) fields take
 * {@link DEFAULT_UMAP_SETTINGS}; fields not in {@link UmapSettings} are ignored and not copied; a value
 * that is not a number within {@link UMAP_LIMITS} (NaN, a string, a fraction where a whole number is
 * needed, out of range) fails with a message that names the field, the range and why; n_neighbors must
 * be below the points mapped. Never throws.
 * @param input the fields to check (anything that is not a plain object counts as no fields)
 * @param context the data the settings will meet (points ≤ available)
 */
export function validateUmapSettings(input: unknown, context: UmapContext = {}): Validation<UmapSettings> {
  const record = asRecord(input);
  const errors: FieldErrors<UmapSettings> = {};
  const value: UmapSettings = { ...DEFAULT_UMAP_SETTINGS };
  for (const field of UMAP_FORM_FIELDS) {
    // Own fields only: a field inherited through a prototype is not something the caller set.
    const raw = Object.hasOwn(record, field) ? record[field] : undefined;
    if (raw === undefined) continue;
    const message = checkNumber(raw, UMAP_LIMITS[field]);
    if (message !== null) errors[field] = message;
    else if (typeof raw === 'number') value[field] = raw;
  }
  const { available } = context;
  if (errors.points === undefined && available !== undefined && value.points > available) {
    errors.points = `Points must be at most ${formatNumber(available)}: only ${formatNumber(available)} latent vectors have been computed.`;
  }
  if (errors.points === undefined && errors.nNeighbors === undefined && value.nNeighbors > value.points - 1) {
    errors.nNeighbors =
      `n_neighbors must be at most ${formatNumber(value.points - 1)} for ${formatNumber(value.points)} points: ` +
      'the neighbourhood counts the point itself and others from the points mapped; lower it or map more points.';
  }
  return Object.keys(errors).length === 0 ? { ok: true, value } : { ok: false, errors };
}

/** The UMAP part of checked settings, as a map request carries it. */
export function umapOptionsOf(settings: UmapSettings): UmapMapOptions {
  return { nNeighbors: settings.nNeighbors, minDist: settings.minDist, seed: settings.seed };
}
