/**
 * t-SNE map options in one place: the settings a person can change ({@link MapOptions}, a `Pick<>` of the
 * algorithm's own `TsneOptions`), their defaults (the reference run: scikit-learn's TSNE with perplexity
 * 15, learning rate 100, 1,000 iterations, seed 0, on the first 5,000 latents), the limits with a reason
 * per bound, and `validateMapSettings`, whose messages the map form shows. The worker protocol's
 * `MapOptions` is this type; nothing else restates it.
 *
 * Direction: `TsneOptions` and its defaults stay in src/analysis/tsne.ts and this module imports them, so
 * the numeric code holds no form limits or human messages.
 */
import { DEFAULT_TSNE_OPTIONS, neighboursWanted, type TsneOptions } from '../analysis/tsne';
import { asRecord, checkNumber, formatNumber, MAX_SEED, type FieldErrors, type NumberLimit, type Validation } from './limits';

/** The t-SNE settings a person can change; the other `TsneOptions` keep scikit-learn 1.2's defaults. */
export type MapOptions = Pick<TsneOptions, 'perplexity' | 'learningRate' | 'iterations' | 'seed'>;

/** What the map form asks for: the t-SNE settings plus how many latent vectors (the first `points`) to map. */
export interface MapSettings extends MapOptions {
  /** Points mapped: the first N latent vectors. */
  points: number;
}

/** The reference map: perplexity 15, learning rate 100, 1,000 iterations, seed 0, 5,000 points. */
export const DEFAULT_MAP_SETTINGS: Readonly<MapSettings> = Object.freeze({
  perplexity: DEFAULT_TSNE_OPTIONS.perplexity,
  learningRate: DEFAULT_TSNE_OPTIONS.learningRate,
  iterations: DEFAULT_TSNE_OPTIONS.iterations,
  seed: DEFAULT_TSNE_OPTIONS.seed,
  points: 5000,
});

/** The form's fields, in order. */
export const MAP_FORM_FIELDS: readonly (keyof MapSettings)[] = ['points', 'perplexity', 'learningRate', 'iterations', 'seed'];

/**
 * What may be chosen for each setting. Times quoted are the project's own bench (bench/results.md): 1,000
 * iterations took 3.9 s for 5,000 points and 75 s for all 70,000.
 */
export const TSNE_LIMITS: { readonly [K in keyof MapSettings]: NumberLimit } = {
  /**
   * 50 ≤ points ≤ 70,000, and never more than the latent vectors computed. Fewer than 50 show no structure
   * (and perplexity 15 alone asks for 46 neighbours); 70,000 is all of MNIST.
   */
  points: {
    label: 'Points',
    min: 50,
    max: 70_000,
    integer: true,
    belowMin: 'a map of fewer points has no structure to show, and the default perplexity 15 alone asks for 46 neighbours per point',
    aboveMax: 'that is all of MNIST (60,000 training and 10,000 test images)',
  },
  /**
   * 2 ≤ perplexity ≤ 100, and below (points − 1) / 3 so that each point has the ⌊3·perplexity + 1⌋
   * neighbours its Gaussian is calibrated over. Below 2 the map falls apart into pairs; above 100 the
   * neighbour search slows and local structure blurs (scikit-learn suggests 5–50).
   */
  perplexity: {
    label: 'Perplexity',
    min: 2,
    max: 100,
    integer: false,
    belowMin: 'it is the effective number of neighbours each point attends to, and below 2 the map falls apart into pairs',
    aboveMax: 'each point would need more than 300 neighbours (3 × perplexity + 1), which slows the neighbour search and blurs local structure (scikit-learn suggests 5 to 50)',
  },
  /**
   * 1 ≤ learning rate ≤ 10,000. Measured with this code (1,000 iterations, 10 Gaussian clusters in 10-D,
   * exact KL): on 1,000 points rate 0.1 ended at KL 1.65 and rate 1 at 1.14 against 0.91 at 100 (the map
   * unfinished); rates up to 3,000 matched 100, while 5,000 blew the map apart (KL 3.1, spread ~9,000). On
   * 5,000 points even 10,000 converged (KL 1.85 against 1.82): the safe step grows with n, as scikit-learn's
   * automatic rate max(n / 48, 50) does (about 1,460 for all 70,000 points).
   */
  learningRate: {
    label: 'The learning rate',
    min: 1,
    max: 10_000,
    integer: false,
    belowMin: 'smaller steps leave the map unfinished after the iterations allowed',
    aboveMax: 'larger steps make the points overshoot and the map fly apart (scikit-learn’s automatic rate for all 70,000 points is about 1,460)',
  },
  /**
   * 250 ≤ iterations ≤ 5,000. The first 250 are early exaggeration, which only gathers clusters; 5,000 is
   * five times the reference and would take over six minutes on 70,000 points.
   */
  iterations: {
    label: 'Iterations',
    min: DEFAULT_TSNE_OPTIONS.exaggerationIterations,
    max: 5000,
    integer: true,
    belowMin: `the first ${DEFAULT_TSNE_OPTIONS.exaggerationIterations} are early exaggeration, which only gathers clusters; the map takes its shape after them`,
    aboveMax: 'that is five times scikit-learn’s default, and 1,000 already take 75 s on all 70,000 points',
  },
  /** 0 ≤ seed ≤ 2³² − 1: the generator (mulberry32) takes a 32-bit unsigned seed. */
  seed: {
    label: 'The seed',
    min: 0,
    max: MAX_SEED,
    integer: true,
    belowMin: 'seeds are unsigned',
    aboveMax: 'the random generator takes 32-bit seeds, so larger ones would repeat smaller ones',
  },
};

/** What the settings are checked against besides their own limits. */
export interface MapContext {
  /** Latent vectors computed so far; `points` may not exceed it. */
  available?: number;
}

/** The perplexity `points` points cannot reach: each point's ⌊3·perplexity + 1⌋ neighbours must be ≤ points − 1, so perplexity < (points − 1) / 3. */
export function perplexityBound(points: number): number {
  return (points - 1) / 3;
}

/**
 * Checks map settings typed by a person or read from elsewhere. Missing (undefined) fields take
 * {@link DEFAULT_MAP_SETTINGS}; fields not in {@link MapSettings} are ignored and not copied; a value that
 * is not a number within {@link TSNE_LIMITS} (NaN, a string, a fraction where a whole number is needed,
 * out of range) fails with a message that names the field, the range and why. Never throws.
 * @param input the fields to check (anything that is not a plain object counts as no fields)
 * @param context the data the settings will meet (points ≤ available)
 */
export function validateMapSettings(input: unknown, context: MapContext = {}): Validation<MapSettings> {
  const record = asRecord(input);
  const errors: FieldErrors<MapSettings> = {};
  const value: MapSettings = { ...DEFAULT_MAP_SETTINGS };
  for (const field of MAP_FORM_FIELDS) {
    // Own fields only: a field inherited through a prototype is not something the caller set.
    const raw = Object.hasOwn(record, field) ? record[field] : undefined;
    if (raw === undefined) continue;
    const message = checkNumber(raw, TSNE_LIMITS[field]);
    if (message !== null) errors[field] = message;
    else if (typeof raw === 'number') value[field] = raw;
  }
  const { available } = context;
  if (errors.points === undefined && available !== undefined && value.points > available) {
    errors.points = `Points must be at most ${formatNumber(available)}: only ${formatNumber(available)} latent vectors have been computed.`;
  }
  const wanted = neighboursWanted(value.perplexity);
  // The same count the analysis code computes, so a map that passes is never cut short of neighbours.
  if (errors.points === undefined && errors.perplexity === undefined && wanted > value.points - 1) {
    errors.perplexity =
      `Perplexity must be below ${formatNumber(Math.floor(perplexityBound(value.points) * 100) / 100)} for ${formatNumber(value.points)} points: ` +
      `each point needs ${formatNumber(wanted)} neighbours (3 × perplexity + 1) and has only ${formatNumber(value.points - 1)}; lower it or map more points.`;
  }
  return Object.keys(errors).length === 0 ? { ok: true, value } : { ok: false, errors };
}

/** The t-SNE part of checked settings, as a map request carries it. */
export function mapOptionsOf(settings: MapSettings): MapOptions {
  return { perplexity: settings.perplexity, learningRate: settings.learningRate, iterations: settings.iterations, seed: settings.seed };
}
