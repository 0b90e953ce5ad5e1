/**
 * KMeans options in one place: the interface and defaults (owned by the algorithm, re-exported here), the
 * limits a person may choose within — each bound with its reason — and `validateKMeansOptions`, whose
 * messages the cluster form shows. Forms, requests and state derive their shapes from these exports.
 *
 * Direction: the interface stays in src/analysis/kmeans.ts and this module imports it, so the numeric
 * code depends on nothing but itself (no form limits or human messages in src/analysis), while everything
 * a person touches is checked here before any job starts.
 */
import { DEFAULT_KMEANS_OPTIONS, type KMeansOptions } from '../analysis/kmeans';
import { asRecord, checkNumber, formatNumber, MAX_SEED, type FieldErrors, type NumberLimit, type Validation } from './limits';

export { DEFAULT_KMEANS_OPTIONS, type KMeansOptions };

/** The KMeans options the cluster form shows; `maxIter` and `tol` keep their defaults there. */
export type KMeansFormOptions = Pick<KMeansOptions, 'k' | 'nInit' | 'seed'>;

/** The form's fields, in order. */
export const KMEANS_FORM_FIELDS: readonly (keyof KMeansFormOptions)[] = ['k', 'nInit', 'seed'];

/**
 * What may be chosen for each option, labelled with scikit-learn's parameter names (as the form shows
 * them). Times quoted are the project's own bench (bench/results.md): KMeans with n_init 10 on the
 * 60,000 × 64 reference latents took 0.94–1.08 s in the analysis workers (2026-12-05, later the same day).
 */
export const KMEANS_LIMITS: { readonly [K in keyof KMeansOptions]: NumberLimit } = {
  /**
   * 2 ≤ k ≤ 50, and never more than the rows clustered. Below 2 one cluster holds everything; above 50 the
   * contingency heatmap and the decoded-centre gallery (one row per cluster) stop being readable.
   */
  k: {
    label: 'k',
    min: 2,
    max: 50,
    integer: true,
    belowMin: 'a single cluster holds every point and says nothing about the digits',
    aboveMax: 'the heatmap and the decoded centres show one row per cluster, and beyond 50 rows they stop being readable',
  },
  /** 1 ≤ n_init ≤ 50. At least one k-means++ start; each restart is a full fit, and 50 is five times scikit-learn's default. */
  nInit: {
    label: 'n_init',
    min: 1,
    max: 50,
    integer: true,
    belowMin: 'at least one k-means++ start is needed',
    aboveMax: 'each restart is a full fit (10 took about 1 s on the 60,000 reference latents), and 50 is already five times scikit-learn’s default',
  },
  /** 1 ≤ max_iter ≤ 10,000. Lloyd needs one iteration after seeding; the reference fit averages ~120 per restart (scikit-learn caps at 300). */
  maxIter: {
    label: 'max_iter',
    min: 1,
    max: 10_000,
    integer: true,
    belowMin: 'at least one Lloyd iteration must follow the k-means++ seeding',
    aboveMax: 'a fit on the reference latents averages about 120 iterations per restart (scikit-learn stops at 300), so a larger cap only lets a fit that never settles run for minutes',
  },
  /** 0 ≤ tol ≤ 1, relative to the data's mean per-feature variance. 0 runs until no label changes; at 1 a fit may stop while its centres still move by the data's whole spread. */
  tol: {
    label: 'tol',
    min: 0,
    max: 1,
    integer: false,
    belowMin: 'it bounds a sum of squared centre moves, which cannot be negative (0 runs until no label changes)',
    aboveMax: 'it is relative to the data’s variance, and at 1 a fit may already stop while its centres still move by the data’s whole spread (scikit-learn’s default is 0.0001)',
  },
  /** 0 ≤ seed ≤ 2³² − 1: the generator (mulberry32) takes a 32-bit unsigned seed. */
  seed: {
    label: 'seed',
    min: 0,
    max: MAX_SEED,
    integer: true,
    belowMin: 'seeds are unsigned',
    aboveMax: 'the random generator takes 32-bit seeds, so larger ones would repeat smaller ones',
  },
};

/** What the options are checked against besides their own limits. */
export interface KMeansContext {
  /** Rows that will be clustered; k may not exceed it. */
  rows?: number;
}

const FIELDS: readonly (keyof KMeansOptions)[] = ['k', 'nInit', 'maxIter', 'tol', 'seed'];

/**
 * Checks KMeans options typed by a person or read from elsewhere. Missing (undefined) fields take
 * {@link DEFAULT_KMEANS_OPTIONS}; fields not in {@link KMeansOptions} are ignored and not copied; a value
 * that is not a number within {@link KMEANS_LIMITS} (NaN, a string, a fraction where a whole number is
 * needed, out of range) fails with a message that names the field, the range and why. Never throws.
 * @param input the fields to check (anything that is not a plain object counts as no fields)
 * @param context the data the options will meet (k ≤ rows)
 */
export function validateKMeansOptions(input: unknown, context: KMeansContext = {}): Validation<KMeansOptions> {
  const record = asRecord(input);
  const errors: FieldErrors<KMeansOptions> = {};
  const value: KMeansOptions = { ...DEFAULT_KMEANS_OPTIONS };
  for (const field of FIELDS) {
    // Own fields only: a field inherited through a prototype is not something the caller set.
    const raw = Object.hasOwn(record, field) ? record[field] : undefined;
    if (raw === undefined) continue;
    const message = checkNumber(raw, KMEANS_LIMITS[field]);
    if (message !== null) errors[field] = message;
    else if (typeof raw === 'number') value[field] = raw;
  }
  const { rows } = context;
  if (errors.k === undefined && rows !== undefined && value.k > rows) {
    errors.k = `k must be at most the number of points clustered: ${formatNumber(value.k)} clusters need at least ${formatNumber(value.k)} points, and there are ${formatNumber(rows)}.`;
  }
  return Object.keys(errors).length === 0 ? { ok: true, value } : { ok: false, errors };
}
