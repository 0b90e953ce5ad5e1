import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAP_SETTINGS, TSNE_LIMITS } from '../../src/config/tsne-options';
import { EMPTY_URL_VIEW, MAX_URL_HASH, MAX_URL_SELECTION, parseUrlView, serialiseUrlView, URL_ZOOM_LIMITS, type UrlView } from '../../src/state/url-state';

describe('the view in the address', () => {
  it('reads a full view and writes it back the same', () => {
    const hash = '#map=tsne&points=2100&perplexity=20&iterations=300&colour=cluster&zoom=2.5&cx=1.25&cy=-3&thumbs=0&sel=3,17,42&focus=17';
    const { view, problems } = parseUrlView(hash);
    expect(problems).toEqual([]);
    expect(view).toEqual({
      map: { kind: 'tsne', settings: { ...DEFAULT_MAP_SETTINGS, points: 2100, perplexity: 20, iterations: 300 } },
      colour: 'cluster',
      view: { zoom: 2.5, cx: 1.25, cy: -3 },
      thumbs: false,
      selection: [3, 17, 42],
      focus: 17,
    });
    expect(serialiseUrlView(view)).toBe('map=tsne&points=2100&perplexity=20&iterations=300&colour=cluster&zoom=2.5&cx=1.25&cy=-3&thumbs=0&sel=3,17,42&focus=17');
    // A UMAP map carries its own settings and the seed.
    const umap = parseUrlView('map=umap&points=3000&seed=4&nNeighbors=30&minDist=0.25&perplexity=40');
    expect(umap.problems).toEqual([]);
    expect(umap.view.map).toEqual({ kind: 'umap', settings: { ...DEFAULT_MAP_SETTINGS, points: 3000, seed: 4, perplexity: 40 }, umap: { nNeighbors: 30, minDist: 0.25 } });
    // The t-SNE-only perplexity is not written back for a UMAP map.
    expect(serialiseUrlView(umap.view)).toBe('map=umap&points=3000&seed=4&nNeighbors=30&minDist=0.25');
    expect(parseUrlView('map=umap&minDist=7').problems.join(' ')).toMatch(/minDist=7/);
    expect(parseUrlView('')).toEqual({ view: EMPTY_URL_VIEW, problems: [] });
    expect(serialiseUrlView(EMPTY_URL_VIEW)).toBe('');
  });

  it('drops every bad or hostile value with a notice, keeping the good ones', () => {
    const cases: [string, RegExp][] = [
      ['map=<script>alert(1)</script>', /not a map kind/],
      ['map=tsne&perplexity=1e400', /perplexity=1e400/],
      ['map=tsne&perplexity=NaN', /perplexity=NaN/],
      ['map=tsne&points=0x10', /points=0x10/],
      ['map=tsne&points=10', /points=10: Points must be/],
      ['map=tsne&points=2.5e3&seed=-1', /seed=-1/],
      ['perplexity=5', /without map=/],
      ['colour=javascript:alert(1)', /not digit or cluster/],
      ['zoom=1e9&cx=0&cy=0', /zoom and centre/],
      ['zoom=2&cx=0', /zoom and centre/],
      ['zoom=2&cx=Infinity&cy=0', /zoom and centre/],
      ['thumbs=yes', /not 0 or 1/],
      ['sel=1,2,x', /selection was ignored/],
      ['sel=1,-2', /selection was ignored/],
      ['sel=70000', /selection was ignored/],
      [`sel=${Array.from({ length: MAX_URL_SELECTION + 1 }, (_, i) => i).join(',')}`, /at most 200/],
      ['focus=__proto__', /not a point number/],
      ['__proto__=1&constructor=2', /not a view setting/],
      ['focus=1&focus=2', /appears twice/],
      [`sel=${'1,'.repeat(MAX_URL_HASH)}`, /ignored/],
    ];
    for (const [hash, message] of cases) {
      const { view, problems } = parseUrlView(hash);
      expect(problems.join(' '), hash).toMatch(message);
      expect(problems.every((line) => line.length < 400), hash).toBe(true);
      // Nothing bad gets through: every value in the view is within its limits.
      if (view.map) for (const [field, value] of Object.entries(view.map.settings)) expect(Number.isFinite(value), `${hash} ${field}`).toBe(true);
    }
    // The good values next to a bad one stay.
    expect(parseUrlView('colour=cluster&thumbs=yes&focus=5').view).toMatchObject({ colour: 'cluster', thumbs: null, focus: 5 });
    expect(parseUrlView('map=tsne&points=2.5e3').view.map?.settings.points).toBe(2500);
    expect(parseUrlView('focus=1&focus=2').view.focus).toBe(1);
  });

  it('never throws and only yields values within limits, whatever the address (fuzzed)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.webQueryParameters(), fc.string({ unit: 'binary', maxLength: 100 })), (hash) => {
        const { view } = parseUrlView(hash);
        if (view.map) {
          for (const [field, limit] of Object.entries(TSNE_LIMITS)) {
            const value = view.map.settings[field as keyof typeof TSNE_LIMITS];
            expect(value >= limit.min && value <= limit.max).toBe(true);
          }
        }
        if (view.view) expect(view.view.zoom >= URL_ZOOM_LIMITS.min && view.view.zoom <= URL_ZOOM_LIMITS.max).toBe(true);
        if (view.selection) expect(view.selection.every((row) => Number.isInteger(row) && row >= 0 && row < 70_000)).toBe(true);
        if (view.focus !== null) expect(Number.isInteger(view.focus)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips any valid view (fuzzed)', () => {
    const settings = fc.record({
      points: fc.integer({ min: 50, max: 70_000 }),
      perplexity: fc.double({ min: 2, max: 100, noNaN: true }),
      learningRate: fc.double({ min: 1, max: 10_000, noNaN: true }),
      iterations: fc.integer({ min: 250, max: 5000 }),
      seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    });
    const view: fc.Arbitrary<UrlView> = fc.record({
      map: fc.option(fc.record({ kind: fc.constantFrom('tsne' as const), settings })),
      colour: fc.constantFrom(null, 'digit' as const, 'cluster' as const),
      view: fc.option(fc.record({ zoom: fc.double({ min: 0.2, max: 400, noNaN: true }), cx: fc.double({ min: -1e5, max: 1e5, noNaN: true }), cy: fc.double({ min: -1e5, max: 1e5, noNaN: true }) })),
      thumbs: fc.option(fc.boolean()),
      selection: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 69_999 }), { minLength: 1, maxLength: MAX_URL_SELECTION }).map((rows) => rows.sort((a, b) => a - b))),
      focus: fc.option(fc.integer({ min: 0, max: 69_999 })),
    });
    fc.assert(
      fc.property(view, (original) => {
        const { view: back, problems } = parseUrlView(serialiseUrlView(original));
        expect(problems).toEqual([]);
        expect(back.map).toEqual(original.map);
        expect(back.colour).toBe(original.colour);
        expect(back.thumbs).toBe(original.thumbs);
        expect(back.selection).toEqual(original.selection);
        expect(back.focus).toBe(original.focus);
        if (original.view && back.view) {
          expect(back.view.zoom).toBeCloseTo(original.view.zoom, -Math.log10(original.view.zoom) + 3);
          expect(Math.abs(back.view.cx - original.view.cx)).toBeLessThanOrEqual(Math.abs(original.view.cx) * 1e-5 + 1e-9);
          expect(Math.abs(back.view.cy - original.view.cy)).toBeLessThanOrEqual(Math.abs(original.view.cy) * 1e-5 + 1e-9);
        } else expect(back.view).toEqual(original.view);
      }),
      { numRuns: 300 },
    );
  });
});
