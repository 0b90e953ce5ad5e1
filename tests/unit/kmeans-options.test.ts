import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KMEANS_OPTIONS as ANALYSIS_DEFAULTS } from '../../src/analysis/kmeans';
import { DEFAULT_KMEANS_OPTIONS, KMEANS_FORM_FIELDS, KMEANS_LIMITS, validateKMeansOptions, type KMeansOptions } from '../../src/config/kmeans-options';

const FIELDS = Object.keys(KMEANS_LIMITS) as (keyof KMeansOptions)[];

/** The errors of a failed validation; fails the test when it passed. */
function errorsOf(input: unknown, rows?: number): Partial<Record<keyof KMeansOptions, string>> {
  const result = validateKMeansOptions(input, { rows });
  if (result.ok) throw new Error(`expected ${JSON.stringify(input)} to fail`);
  return result.errors;
}

describe('KMeans options', () => {
  it('are the algorithm’s own interface and defaults (k 10, n_init 10), not a copy', () => {
    expect(DEFAULT_KMEANS_OPTIONS).toBe(ANALYSIS_DEFAULTS);
    expect(DEFAULT_KMEANS_OPTIONS).toMatchObject({ k: 10, nInit: 10 });
    expect(KMEANS_FORM_FIELDS).toEqual(['k', 'nInit', 'seed']);
  });

  it('accept the defaults, and fill missing fields from them', () => {
    expect(validateKMeansOptions(DEFAULT_KMEANS_OPTIONS)).toEqual({ ok: true, value: DEFAULT_KMEANS_OPTIONS });
    expect(validateKMeansOptions({})).toEqual({ ok: true, value: DEFAULT_KMEANS_OPTIONS });
    expect(validateKMeansOptions({ k: 3 })).toEqual({ ok: true, value: { ...DEFAULT_KMEANS_OPTIONS, k: 3 } });
    expect(validateKMeansOptions({ k: undefined, nInit: 2 })).toEqual({ ok: true, value: { ...DEFAULT_KMEANS_OPTIONS, nInit: 2 } });
  });

  it('ignore fields they do not know and do not copy them', () => {
    const result = validateKMeansOptions({ k: 4, colour: 'red', rng: () => 0.5, __proto__: { k: 99 } });
    expect(result).toEqual({ ok: true, value: { ...DEFAULT_KMEANS_OPTIONS, k: 4 } });
    if (result.ok) expect(Object.keys(result.value).sort()).toEqual([...FIELDS].sort());
    // Only the object's own fields count, not what its prototype carries.
    expect(validateKMeansOptions(Object.create({ k: 99 }))).toEqual({ ok: true, value: DEFAULT_KMEANS_OPTIONS });
  });

  it('refuse NaN, strings, null and other non-numbers with a message naming the field and range', () => {
    expect(errorsOf({ k: Number.NaN }).k).toBe('k is not a number: enter a whole number from 2 to 50.');
    expect(errorsOf({ k: '10' }).k).toMatch(/^k must be a number, not the text “10”; enter a whole number from 2 to 50\.$/);
    expect(errorsOf({ nInit: '' }).nInit).toBe('n_init is empty: enter a whole number from 1 to 50.');
    expect(errorsOf({ seed: null }).seed).toMatch(/^seed is not a number/);
    expect(errorsOf({ tol: true }).tol).toMatch(/^tol is not a number: enter between 0 and 1\.$/);
    expect(errorsOf({ maxIter: {} }).maxIter).toMatch(/^max_iter is not a number/);
    expect(errorsOf({ k: 'a very long piece of text indeed' }).k).toContain('“a very long piece of…”');
  });

  it('refuse negative, fractional and huge values, saying why', () => {
    expect(errorsOf({ nInit: -1 }).nInit).toBe('n_init must be a whole number from 1 to 50: at least one k-means++ start is needed.');
    expect(errorsOf({ k: 1 }).k).toMatch(/^k must be a whole number from 2 to 50: a single cluster holds every point/);
    expect(errorsOf({ k: 2.5 }).k).toBe('k must be a whole number; 2.5 is not.');
    expect(errorsOf({ k: 1e9 }).k).toMatch(/one row per cluster/);
    expect(errorsOf({ maxIter: Number.POSITIVE_INFINITY }).maxIter).toMatch(/^max_iter must be a whole number from 1 to 10,000: /);
    expect(errorsOf({ tol: -1e-9 }).tol).toMatch(/cannot be negative/);
    expect(errorsOf({ seed: 2 ** 32 }).seed).toBe(
      'seed must be a whole number from 0 to 4,294,967,295: the random generator takes 32-bit seeds, so larger ones would repeat smaller ones.',
    );
  });

  it('report every failing field at once', () => {
    expect(Object.keys(errorsOf({ k: 0, nInit: 0, maxIter: 0, tol: -1, seed: -1 })).sort()).toEqual([...FIELDS].sort());
  });

  it('accept each bound and refuse just past it', () => {
    for (const field of FIELDS) {
      const { min, max, integer } = KMEANS_LIMITS[field];
      const step = integer ? 1 : 1e-9;
      expect(validateKMeansOptions({ [field]: min }).ok, `${field} = min`).toBe(true);
      expect(validateKMeansOptions({ [field]: max }).ok, `${field} = max`).toBe(true);
      expect(errorsOf({ [field]: min - step })[field], `${field} below min`).toContain(KMEANS_LIMITS[field].belowMin);
      expect(errorsOf({ [field]: max + (integer ? 1 : 1e-6) })[field], `${field} above max`).toContain(KMEANS_LIMITS[field].aboveMax);
    }
  });

  it('refuse more clusters than points', () => {
    expect(validateKMeansOptions({ k: 10 }, { rows: 10 }).ok).toBe(true);
    expect(errorsOf({ k: 10 }, 9).k).toBe('k must be at most the number of points clustered: 10 clusters need at least 10 points, and there are 9.');
    // The default k meets the rows too.
    expect(errorsOf({}, 5).k).toMatch(/there are 5\./);
  });

  it('read anything that is not a plain object as no fields', () => {
    for (const input of [null, undefined, 42, 'k=3', [3, 10]]) expect(validateKMeansOptions(input)).toEqual({ ok: true, value: DEFAULT_KMEANS_OPTIONS });
  });

  const anyValue = fc.oneof(
    fc.double(),
    fc.integer({ min: -100, max: 2 ** 33 }),
    fc.string(),
    fc.constantFrom(undefined, null, true, '', Number.NaN, Number.POSITIVE_INFINITY, -0),
    fc.anything(),
  );

  it('never throw, and pass only values within every limit (fuzz)', () => {
    fc.assert(
      fc.property(fc.record({ k: anyValue, nInit: anyValue, maxIter: anyValue, tol: anyValue, seed: anyValue }, { requiredKeys: [] }), fc.option(fc.nat(100)), (input, rows) => {
        const result = validateKMeansOptions(input, { rows: rows ?? undefined });
        if (result.ok) {
          for (const field of FIELDS) {
            const { min, max, integer } = KMEANS_LIMITS[field];
            const v = result.value[field];
            expect(v >= min && v <= max && (!integer || Number.isInteger(v))).toBe(true);
            if (input[field] !== undefined) expect(v).toBe(input[field]);
          }
          if (rows !== null) expect(result.value.k).toBeLessThanOrEqual(rows);
        } else {
          const keys = Object.keys(result.errors);
          expect(keys.length).toBeGreaterThan(0);
          for (const key of keys) expect(FIELDS).toContain(key);
          for (const message of Object.values(result.errors)) expect(message).toMatch(/^\S.{10,}\.$/s);
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(fc.property(fc.anything(), (input) => void validateKMeansOptions(input)));
  });

  it('pass every in-range choice unchanged (fuzz)', () => {
    const inRange = (field: keyof KMeansOptions) => {
      const { min, max, integer } = KMEANS_LIMITS[field];
      return integer ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true });
    };
    fc.assert(
      fc.property(fc.record({ k: inRange('k'), nInit: inRange('nInit'), maxIter: inRange('maxIter'), tol: inRange('tol'), seed: inRange('seed') }), (input) => {
        expect(validateKMeansOptions(input, { rows: 60_000 })).toEqual({ ok: true, value: input });
      }),
    );
  });
});
