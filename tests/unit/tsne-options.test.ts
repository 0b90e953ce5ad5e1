import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { DEFAULT_TSNE_OPTIONS, neighboursForPerplexity, neighboursWanted } from '../../src/analysis/tsne';
import {
  DEFAULT_MAP_SETTINGS,
  MAP_FORM_FIELDS,
  mapOptionsOf,
  perplexityBound,
  TSNE_LIMITS,
  validateMapSettings,
  type MapOptions,
  type MapSettings,
} from '../../src/config/tsne-options';
import type { MapOptions as ProtocolMapOptions } from '../../src/worker/protocol';

const FIELDS = Object.keys(TSNE_LIMITS) as (keyof MapSettings)[];

/** The errors of a failed validation; fails the test when it passed. */
function errorsOf(input: unknown, available?: number): Partial<Record<keyof MapSettings, string>> {
  const result = validateMapSettings(input, { available });
  if (result.ok) throw new Error(`expected ${JSON.stringify(input)} to fail`);
  return result.errors;
}

describe('t-SNE map settings', () => {
  it('default to the reference run: perplexity 15, learning rate 100, 1,000 iterations, seed 0, 5,000 points', () => {
    expect(DEFAULT_MAP_SETTINGS).toEqual({ perplexity: 15, learningRate: 100, iterations: 1000, seed: 0, points: 5000 });
    // …taken from the algorithm's defaults, not restated.
    for (const field of ['perplexity', 'learningRate', 'iterations', 'seed'] as const) expect(DEFAULT_MAP_SETTINGS[field]).toBe(DEFAULT_TSNE_OPTIONS[field]);
    expect(MAP_FORM_FIELDS).toEqual(FIELDS);
  });

  it('are the type the worker protocol carries', () => {
    expectTypeOf<ProtocolMapOptions>().toEqualTypeOf<MapOptions>();
    expect(mapOptionsOf(DEFAULT_MAP_SETTINGS)).toEqual({ perplexity: 15, learningRate: 100, iterations: 1000, seed: 0 });
  });

  it('accept the defaults, and fill missing fields from them', () => {
    expect(validateMapSettings(DEFAULT_MAP_SETTINGS)).toEqual({ ok: true, value: DEFAULT_MAP_SETTINGS });
    expect(validateMapSettings({})).toEqual({ ok: true, value: DEFAULT_MAP_SETTINGS });
    expect(validateMapSettings({ perplexity: 30 })).toEqual({ ok: true, value: { ...DEFAULT_MAP_SETTINGS, perplexity: 30 } });
  });

  it('ignore fields they do not know and do not copy them', () => {
    const result = validateMapSettings({ iterations: 300, thumbnails: 200, method: 'exact' });
    expect(result).toEqual({ ok: true, value: { ...DEFAULT_MAP_SETTINGS, iterations: 300 } });
    expect(validateMapSettings(Object.create({ points: 10 }))).toEqual({ ok: true, value: DEFAULT_MAP_SETTINGS });
  });

  it('refuse NaN, strings and other non-numbers with a message naming the field and range', () => {
    expect(errorsOf({ perplexity: Number.NaN }).perplexity).toBe('Perplexity is not a number: enter between 2 and 100.');
    expect(errorsOf({ learningRate: '100' }).learningRate).toBe('The learning rate must be a number, not the text “100”; enter between 1 and 10,000.');
    expect(errorsOf({ points: '' }).points).toBe('Points is empty: enter a whole number from 50 to 70,000.');
    expect(errorsOf({ seed: null }).seed).toMatch(/^The seed is not a number/);
    expect(errorsOf({ iterations: [1000] }).iterations).toMatch(/^Iterations is not a number/);
  });

  it('refuse negative, fractional and huge values, saying why', () => {
    expect(errorsOf({ perplexity: 1 }).perplexity).toBe(
      'Perplexity must be between 2 and 100: it is the effective number of neighbours each point attends to, and below 2 the map falls apart into pairs.',
    );
    expect(errorsOf({ perplexity: 1e6 }).perplexity).toMatch(/more than 300 neighbours/);
    expect(errorsOf({ learningRate: -100 }).learningRate).toBe('The learning rate must be between 1 and 10,000: smaller steps leave the map unfinished after the iterations allowed.');
    expect(errorsOf({ learningRate: 0 }).learningRate).toBeDefined();
    expect(errorsOf({ iterations: 100 }).iterations).toBe(
      'Iterations must be a whole number from 250 to 5,000: the first 250 are early exaggeration, which only gathers clusters; the map takes its shape after them.',
    );
    expect(errorsOf({ iterations: 1000.5 }).iterations).toBe('Iterations must be a whole number; 1000.5 is not.');
    expect(errorsOf({ points: Number.POSITIVE_INFINITY }).points).toMatch(/all of MNIST/);
    expect(errorsOf({ seed: -1 }).seed).toMatch(/seeds are unsigned\.$/);
  });

  it('accept each bound and refuse just past it', () => {
    for (const field of FIELDS) {
      const { min, max, integer } = TSNE_LIMITS[field];
      // Enough points for the largest perplexity, a small enough perplexity for the fewest points.
      const base = field === 'perplexity' ? { points: 70_000 } : field === 'points' ? { perplexity: 2 } : {};
      expect(validateMapSettings({ ...base, [field]: min }).ok, `${field} = min`).toBe(true);
      expect(validateMapSettings({ ...base, [field]: max }).ok, `${field} = max`).toBe(true);
      expect(errorsOf({ ...base, [field]: min - (integer ? 1 : 1e-9) })[field], `${field} below min`).toContain(TSNE_LIMITS[field].belowMin);
      expect(errorsOf({ ...base, [field]: max + (integer ? 1 : 1e-6) })[field], `${field} above max`).toContain(TSNE_LIMITS[field].aboveMax);
    }
  });

  it('refuse a perplexity the points cannot support, at exactly the neighbour count t-SNE would cut', () => {
    // 47 points give each 46 neighbours: exactly what perplexity 15 asks for (⌊3 · 15 + 1⌋).
    expect(validateMapSettings({ points: 47, perplexity: 15 }).ok).toBe(false); // below the 50-point floor
    expect(validateMapSettings({ points: 100, perplexity: 32.9 }).ok).toBe(true);
    expect(errorsOf({ points: 100, perplexity: 33 }).perplexity).toBe(
      'Perplexity must be below 33 for 100 points: each point needs 100 neighbours (3 × perplexity + 1) and has only 99; lower it or map more points.',
    );
    // Just inside the bound passes, for sizes where (points − 1) / 3 is and is not whole.
    for (const points of [50, 51, 52, 100, 301, 70_000]) {
      expect(validateMapSettings({ points, perplexity: Math.min(100, perplexityBound(points) - 1e-6) }).ok, `${points} points`).toBe(true);
      expect(validateMapSettings({ points, perplexity: perplexityBound(points) + 1e-6 }).ok, `${points} points`).toBe(false);
    }
  });

  it('refuse more points than latent vectors computed', () => {
    expect(validateMapSettings({ points: 2000 }, { available: 2000 }).ok).toBe(true);
    expect(errorsOf({ points: 2001 }, 2000).points).toBe('Points must be at most 2,000: only 2,000 latent vectors have been computed.');
    expect(errorsOf({}, 1000).points).toMatch(/only 1,000 latent vectors/);
  });

  it('read anything that is not a plain object as no fields', () => {
    for (const input of [null, undefined, 15, 'perplexity=15', [15]]) expect(validateMapSettings(input)).toEqual({ ok: true, value: DEFAULT_MAP_SETTINGS });
  });

  const anyValue = fc.oneof(
    fc.double(),
    fc.integer({ min: -100, max: 100_000 }),
    fc.string(),
    fc.constantFrom(undefined, null, false, '', Number.NaN, Number.NEGATIVE_INFINITY, -0),
    fc.anything(),
  );

  it('never throw, and pass only values within every limit (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.record({ points: anyValue, perplexity: anyValue, learningRate: anyValue, iterations: anyValue, seed: anyValue }, { requiredKeys: [] }),
        fc.option(fc.integer({ min: 0, max: 70_000 })),
        (input, available) => {
          const result = validateMapSettings(input, { available: available ?? undefined });
          if (result.ok) {
            for (const field of FIELDS) {
              const { min, max, integer } = TSNE_LIMITS[field];
              const v = result.value[field];
              expect(v >= min && v <= max && (!integer || Number.isInteger(v))).toBe(true);
              if (input[field] !== undefined) expect(v).toBe(input[field]);
            }
            if (available !== null) expect(result.value.points).toBeLessThanOrEqual(available);
            expect(neighboursForPerplexity(result.value.perplexity, result.value.points)).toBe(Math.floor(3 * result.value.perplexity + 1));
          } else {
            const keys = Object.keys(result.errors);
            expect(keys.length).toBeGreaterThan(0);
            for (const key of keys) expect(FIELDS).toContain(key);
            for (const message of Object.values(result.errors)) expect(message).toMatch(/^\S.{10,}\.$/s);
          }
        },
      ),
      { numRuns: 2000 },
    );
    fc.assert(fc.property(fc.anything(), (input) => void validateMapSettings(input)));
  });

  it('pass every in-range choice the points support unchanged (fuzz)', () => {
    const limit = (field: keyof MapSettings) => {
      const { min, max, integer } = TSNE_LIMITS[field];
      return integer ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true });
    };
    fc.assert(
      fc.property(fc.record({ points: limit('points'), perplexity: limit('perplexity'), learningRate: limit('learningRate'), iterations: limit('iterations'), seed: limit('seed') }), (input) => {
        fc.pre(neighboursWanted(input.perplexity) <= input.points - 1);
        expect(validateMapSettings(input, { available: 70_000 })).toEqual({ ok: true, value: input });
      }),
    );
  });
});
