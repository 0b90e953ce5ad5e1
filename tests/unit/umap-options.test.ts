import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { DEFAULT_UMAP_OPTIONS } from '../../src/analysis/umap';
import { TSNE_LIMITS } from '../../src/config/tsne-options';
import { DEFAULT_UMAP_SETTINGS, UMAP_FORM_FIELDS, UMAP_LIMITS, umapOptionsOf, validateUmapSettings, type UmapMapOptions, type UmapSettings } from '../../src/config/umap-options';
import type { UmapMapOptions as ProtocolUmapOptions } from '../../src/worker/protocol';

const FIELDS = Object.keys(UMAP_LIMITS) as (keyof UmapSettings)[];

/** The errors of a failed validation; fails the test when it passed. */
function errorsOf(input: unknown, available?: number): Partial<Record<keyof UmapSettings, string>> {
  const result = validateUmapSettings(input, { available });
  if (result.ok) throw new Error(`expected ${JSON.stringify(input)} to fail`);
  return result.errors;
}

describe('UMAP map settings', () => {
  it('default to umap-learn’s n_neighbors 15 and min_dist 0.1, seed 0, 5,000 points', () => {
    expect(DEFAULT_UMAP_SETTINGS).toEqual({ nNeighbors: 15, minDist: 0.1, seed: 0, points: 5000 });
    for (const field of ['nNeighbors', 'minDist', 'seed'] as const) expect(DEFAULT_UMAP_SETTINGS[field]).toBe(DEFAULT_UMAP_OPTIONS[field]);
    expect([...UMAP_FORM_FIELDS].sort()).toEqual([...FIELDS].sort());
    // Points and seed are the t-SNE form's own fields, with the same limits.
    expect(UMAP_LIMITS.points).toBe(TSNE_LIMITS.points);
    expect(UMAP_LIMITS.seed).toBe(TSNE_LIMITS.seed);
  });

  it('are the type the worker protocol carries', () => {
    expectTypeOf<ProtocolUmapOptions>().toEqualTypeOf<UmapMapOptions>();
    expect(umapOptionsOf(DEFAULT_UMAP_SETTINGS)).toEqual({ nNeighbors: 15, minDist: 0.1, seed: 0 });
  });

  it('accept the defaults, fill missing fields from them, ignore unknown and inherited fields', () => {
    expect(validateUmapSettings(DEFAULT_UMAP_SETTINGS)).toEqual({ ok: true, value: DEFAULT_UMAP_SETTINGS });
    expect(validateUmapSettings({ minDist: 0.5, spread: 3, perplexity: 30 })).toEqual({ ok: true, value: { ...DEFAULT_UMAP_SETTINGS, minDist: 0.5 } });
    expect(validateUmapSettings(Object.create({ nNeighbors: 1 }))).toEqual({ ok: true, value: DEFAULT_UMAP_SETTINGS });
    for (const input of [null, undefined, 15, 'n_neighbors=15', [15]]) expect(validateUmapSettings(input)).toEqual({ ok: true, value: DEFAULT_UMAP_SETTINGS });
  });

  it('refuse hostile values with a message naming the field, range and reason', () => {
    expect(errorsOf({ nNeighbors: Number.NaN }).nNeighbors).toBe('n_neighbors is not a number: enter a whole number from 2 to 200.');
    expect(errorsOf({ nNeighbors: 1 }).nNeighbors).toBe(
      'n_neighbors must be a whole number from 2 to 200: a neighbourhood needs the point and at least one other (umap-learn refuses fewer than 2).',
    );
    expect(errorsOf({ nNeighbors: 15.5 }).nNeighbors).toBe('n_neighbors must be a whole number; 15.5 is not.');
    expect(errorsOf({ nNeighbors: 1e9 }).nNeighbors).toMatch(/suggests 2 to 100\)\.$/);
    expect(errorsOf({ minDist: -0.1 }).minDist).toBe('min_dist must be between 0 and 1: it is a distance in the map, so it cannot be negative.');
    expect(errorsOf({ minDist: Number.POSITIVE_INFINITY }).minDist).toMatch(/min_dist > spread/);
    expect(errorsOf({ minDist: '0.1' }).minDist).toBe('min_dist must be a number, not the text “0.1”; enter between 0 and 1.');
    expect(errorsOf({ minDist: '' }).minDist).toBe('min_dist is empty: enter between 0 and 1.');
    expect(errorsOf({ seed: -1 }).seed).toMatch(/seeds are unsigned\.$/);
    expect(errorsOf({ points: {} }).points).toMatch(/^Points is not a number/);
  });

  it('accept each bound and refuse just past it', () => {
    for (const field of FIELDS) {
      const { min, max, integer } = UMAP_LIMITS[field];
      const base = field === 'nNeighbors' ? { points: 70_000 } : field === 'points' ? { nNeighbors: 2 } : {};
      expect(validateUmapSettings({ ...base, [field]: min }).ok, `${field} = min`).toBe(true);
      expect(validateUmapSettings({ ...base, [field]: max }).ok, `${field} = max`).toBe(true);
      expect(errorsOf({ ...base, [field]: min - (integer ? 1 : 1e-9) })[field], `${field} below min`).toContain(UMAP_LIMITS[field].belowMin);
      expect(errorsOf({ ...base, [field]: max + (integer ? 1 : 1e-6) })[field], `${field} above max`).toContain(UMAP_LIMITS[field].aboveMax);
    }
  });

  it('refuse more neighbours than the points have, and more points than computed', () => {
    expect(validateUmapSettings({ points: 100, nNeighbors: 99 }).ok).toBe(true);
    expect(errorsOf({ points: 100, nNeighbors: 100 }).nNeighbors).toBe(
      'n_neighbors must be at most 99 for 100 points: the neighbourhood counts the point itself and others from the points mapped; lower it or map more points.',
    );
    expect(errorsOf({ points: 2001 }, 2000).points).toBe('Points must be at most 2,000: only 2,000 latent vectors have been computed.');
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
        fc.record({ points: anyValue, nNeighbors: anyValue, minDist: anyValue, seed: anyValue }, { requiredKeys: [] }),
        fc.option(fc.integer({ min: 0, max: 70_000 })),
        (input, available) => {
          const result = validateUmapSettings(input, { available: available ?? undefined });
          if (result.ok) {
            for (const field of FIELDS) {
              const { min, max, integer } = UMAP_LIMITS[field];
              const v = result.value[field];
              expect(v >= min && v <= max && (!integer || Number.isInteger(v))).toBe(true);
              if (input[field] !== undefined) expect(v).toBe(input[field]);
            }
            if (available !== null) expect(result.value.points).toBeLessThanOrEqual(available);
            expect(result.value.nNeighbors).toBeLessThan(result.value.points);
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
    fc.assert(fc.property(fc.anything(), (input) => void validateUmapSettings(input)));
  });
});
