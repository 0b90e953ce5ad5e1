/**
 * Tick marks for log-scale loss axes. Plotly's own log ticks print bare mantissas between powers of ten
 * ("9 8 7 6 5 4 3 2 10⁻¹"), which nobody can read as losses; these are whole values such as 0.005, 0.01, 0.02,
 * 0.05 at every range, as an explicit tick array.
 */

/** Tick positions and their labels, ready for plotly's `tickmode: 'array'`. */
export interface LogTicks {
  tickvals: number[];
  ticktext: string[];
}

/** Mantissa sets from sparse to dense: the densest one that stays within MAX_TICKS wins. */
const MANTISSAS: readonly (readonly number[])[] = [
  [1],
  [1, 2, 5],
  [1, 1.5, 2, 3, 4, 5, 6, 8],
  [1, 1.2, 1.4, 1.6, 1.8, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9],
];
/** Fewer ticks than this even from the densest set: evenly spaced round values instead. */
const MIN_TICKS = 2;
/** At most this many ticks; with more decades than this only every second (third, …) power of ten is labelled. */
const MAX_TICKS = 8;

/**
 * A number as people write it: 0.005, 0.02, 1.5, 200, 3e-7 — at most `significant` digits, no float noise
 * (0.1 + 0.2), plain decimals from 1e-5 up to 1e6 and exponent form outside.
 */
export function formatTick(value: number, significant = 3): string {
  if (value === 0) return '0';
  const rounded = Number(value.toPrecision(significant));
  const magnitude = Math.abs(rounded);
  if (magnitude >= 1e-5 && magnitude < 1e6) {
    // toFixed with just enough decimals: toString would switch to exponent form below 1e-6 only.
    const decimals = Math.max(0, -Math.floor(Math.log10(magnitude)) + significant - 1);
    return String(Number(rounded.toFixed(Math.min(decimals, 20))));
  }
  return rounded.toExponential().replace('e+', 'e');
}

/** Values m·10^e (m from `mantissas`) inside [min, max], ascending. */
function candidates(min: number, max: number, mantissas: readonly number[]): number[] {
  const out: number[] = [];
  for (let exponent = Math.floor(Math.log10(min)); exponent <= Math.ceil(Math.log10(max)); exponent++) {
    for (const m of mantissas) {
      // Built from the decimal string so 3·10⁻³ is the double nearest 0.003, not 0.0030000000000000005.
      const value = Number(`${m}e${exponent}`);
      if (value >= min * (1 - 1e-12) && value <= max * (1 + 1e-12)) out.push(value);
    }
  }
  return out;
}

/** Evenly spaced round values for a range too narrow for any mantissa set (within about 10% of one value). */
function linearTicks(min: number, max: number): number[] {
  const span = max - min;
  // A fifth of the span, rounded up to 1, 2 or 5 × 10^k (at most 2.5 times more): 2 to 6 ticks.
  const rough = span / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= rough) ?? 10 * power;
  const out: number[] = [];
  for (let k = Math.ceil(min / step); k * step <= max * (1 + 1e-12); k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/**
 * Labels with 3 significant digits, or as many more as it takes for each to read back as its tick: the ticks are
 * round numbers, so a few digits always suffice (1.005 between 1.004 and 1.006 needs four).
 */
function exactLabels(values: number[]): string[] {
  return values.map((value) => {
    for (let significant = 3; significant < 15; significant++) {
      const label = formatTick(value, significant);
      if (Math.abs(Number(label) - value) <= Math.abs(value) * 1e-9) return label;
    }
    return formatTick(value, 15);
  });
}

/**
 * Readable ticks for a log axis showing [min, max] (data units, both > 0): powers of ten and, where the range
 * allows, 2 and 5 (or denser) multiples — between 2 and 8 ticks. An empty, non-positive or non-finite range
 * gives no ticks at all, so an empty chart shows none rather than plotly's default mantissas.
 */
export function logTicks(min: number, max: number): LogTicks {
  if (!(Number.isFinite(min) && Number.isFinite(max) && min > 0 && max > 0)) return { tickvals: [], ticktext: [] };
  const lo = Math.min(min, max);
  const hi = Math.max(min, max);
  // A single value (one point): one tick at it, as no spacing can be chosen.
  if (hi - lo <= hi * 1e-9) return { tickvals: [lo], ticktext: [formatTick(lo)] };
  let tickvals = candidates(lo, hi, MANTISSAS[0]);
  if (tickvals.length > MAX_TICKS) {
    // Many decades: every n-th power of ten (the multiples of n), so no more than MAX_TICKS remain.
    const every = Math.ceil(tickvals.length / MAX_TICKS);
    tickvals = tickvals.filter((v) => Math.round(Math.log10(v)) % every === 0);
  } else {
    for (const mantissas of MANTISSAS.slice(1)) {
      const values = candidates(lo, hi, mantissas);
      if (values.length > MAX_TICKS) break;
      tickvals = values;
    }
  }
  if (tickvals.length < MIN_TICKS) tickvals = linearTicks(lo, hi);
  return { tickvals, ticktext: exactLabels(tickvals) };
}

/**
 * The smallest and largest positive finite values across `series` (the values a log axis can show), or null
 * when there are none.
 */
export function positiveExtent(series: readonly (readonly number[])[]): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  for (const values of series) {
    for (const v of values) {
      if (!(v > 0) || !Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min <= max ? { min, max } : null;
}

/**
 * A plotly log y-axis whose ticks come from `logTicks` over the data's extent, widened a little as plotly's
 * autorange pads it; with no data the axis has no ticks at all.
 */
export function logAxis(series: readonly (readonly number[])[], title: string) {
  const extent = positiveExtent(series);
  // Plotly pads an autoranged axis by about 5% of its span on each side (in log units here): cover that too.
  const pad = extent ? Math.max(0.05 * Math.log10(extent.max / extent.min), 0.02) : 0;
  const ticks = extent ? logTicks(extent.min / 10 ** pad, extent.max * 10 ** pad) : logTicks(Number.NaN, Number.NaN);
  return {
    title: { text: title },
    type: 'log' as const,
    tickmode: 'array' as const,
    tickvals: ticks.tickvals,
    ticktext: ticks.ticktext,
    showticklabels: ticks.tickvals.length > 0,
  };
}
