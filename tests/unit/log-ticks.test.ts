import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTick, logAxis, logTicks, positiveExtent } from '../../src/ui/log-ticks';

describe('log-axis ticks', () => {
  it('labels a loss range with 1-2-5 values, as people write them', () => {
    expect(logTicks(0.004, 0.25)).toEqual({
      tickvals: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2],
      ticktext: ['0.005', '0.01', '0.02', '0.05', '0.1', '0.2'],
    });
  });

  it('uses denser round values over a narrow range, and evenly spaced ones when even those run out', () => {
    // Half a decade: 1-2-5 gives only two ticks, so 1.5, 3, 4 … join in.
    expect(logTicks(0.0045, 0.021).ticktext).toEqual(['0.005', '0.006', '0.008', '0.01', '0.015', '0.02']);
    // Late in training the test MSE may move within a few percent.
    expect(logTicks(0.0051, 0.0059).ticktext).toEqual(['0.0052', '0.0054', '0.0056', '0.0058']);
  });

  it('keeps only some powers of ten over many decades', () => {
    const { tickvals, ticktext } = logTicks(1e-9, 1e3);
    expect(tickvals.length).toBeLessThanOrEqual(8);
    expect(ticktext).toEqual(['1e-8', '1e-6', '0.0001', '0.01', '1', '100']);
  });

  it('gives no ticks for an empty chart (no data, zero, negative or non-finite values)', () => {
    expect(logTicks(Number.NaN, Number.NaN)).toEqual({ tickvals: [], ticktext: [] });
    expect(logTicks(0, 1)).toEqual({ tickvals: [], ticktext: [] });
    expect(logTicks(-1, 1)).toEqual({ tickvals: [], ticktext: [] });
    expect(logTicks(1, Number.POSITIVE_INFINITY)).toEqual({ tickvals: [], ticktext: [] });
    const empty = logAxis([[], []], 'MSE');
    expect(empty.tickvals).toEqual([]);
    expect(empty.showticklabels).toBe(false);
  });

  it('labels a single value with itself', () => {
    expect(logTicks(0.0123, 0.0123)).toEqual({ tickvals: [0.0123], ticktext: ['0.0123'] });
  });

  it('at every range: 2 to 8 ascending ticks inside it, each label a short plain number', () => {
    fc.assert(
      fc.property(fc.double({ min: -9, max: 5, noNaN: true }), fc.double({ min: 0.001, max: 12, noNaN: true }), (lowExp, decades) => {
        const min = 10 ** lowExp;
        const max = 10 ** (lowExp + decades);
        const { tickvals, ticktext } = logTicks(min, max);
        expect(tickvals.length).toBeGreaterThanOrEqual(2);
        expect(tickvals.length).toBeLessThanOrEqual(8);
        for (let i = 0; i < tickvals.length; i++) {
          expect(tickvals[i]).toBeGreaterThanOrEqual(min * (1 - 1e-9));
          expect(tickvals[i]).toBeLessThanOrEqual(max * (1 + 1e-9));
          if (i > 0) expect(tickvals[i]).toBeGreaterThan(tickvals[i - 1]);
          // The label reads back as the tick (to its shown digits) and has no float noise.
          expect(Math.abs(Number(ticktext[i]) - tickvals[i])).toBeLessThanOrEqual(tickvals[i] * 1e-3);
          expect(ticktext[i]).toMatch(/^(\d+(\.\d{1,10})?|\d(\.\d+)?e-?\d+)$/);
          expect(ticktext[i].replace(/e.*$/, '').replace(/^0\.0*/, '').replace('.', '').length).toBeLessThanOrEqual(8);
        }
        expect(new Set(ticktext).size).toBe(ticktext.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('formats numbers without float noise or exponents in the usual range', () => {
    expect(formatTick(0.1 + 0.2)).toBe('0.3');
    expect(formatTick(0.005)).toBe('0.005');
    expect(formatTick(3e-7)).toBe('3e-7');
    expect(formatTick(1500)).toBe('1500');
    expect(formatTick(2e6)).toBe('2e6');
  });

  it('finds the positive extent of several series, ignoring NaN, zero and infinity', () => {
    expect(positiveExtent([[0.2, Number.NaN, 0], [0.01, Number.POSITIVE_INFINITY]])).toEqual({ min: 0.01, max: 0.2 });
    expect(positiveExtent([[Number.NaN], []])).toBeNull();
  });

  it('builds a log axis whose ticks cover the data with plotly’s padding', () => {
    const axis = logAxis([[0.23, 0.05], [0.012, 0.0055]], 'MSE');
    expect(axis.type).toBe('log');
    expect(axis.tickmode).toBe('array');
    expect(axis.ticktext).toEqual(['0.005', '0.01', '0.02', '0.05', '0.1', '0.2']);
  });
});
