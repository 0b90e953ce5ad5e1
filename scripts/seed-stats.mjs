/**
 * Statistics for comparing fidelity runs over seeds (bench/results.md). The CNNs' test MSE after the reference schedule
 * spreads widely from seed to seed (CNN · ReLU from 0.005 to 0.021), so a ratio of two medians over a few seeds says
 * little by itself. Two figures say how much: an exact rank test of our runs against PyTorch's, and how often two
 * medians of n runs drawn from one and the same spread of results land within a tolerance of each other.
 */

/** Median of a non-empty list of numbers. */
export function median(values) {
  if (values.length === 0) throw new Error('median of an empty list');
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Ranks 1…N of the values, tied values sharing the mean of their ranks (midranks). */
function midranks(values) {
  const order = values.map((v, i) => [v, i]).sort((x, y) => x[0] - y[0]);
  const ranks = new Array(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && order[end][0] === order[start][0]) end++;
    const rank = (start + 1 + end) / 2;
    for (let q = start; q < end; q++) ranks[order[q][1]] = rank;
    start = end;
  }
  return ranks;
}

/** The largest number of ways to split the pooled runs that {@link rankTestP} enumerates (C(24, 12)). */
const MAX_SPLITS = 2_704_156;

/**
 * Exact two-sided p-value of the Wilcoxon rank-sum (Mann–Whitney) test of `a` against `b`: the share of all
 * C(m + n, m) ways to split the pooled values into groups of their sizes whose rank sum lies at least as far from its
 * mean as `a`'s does. Enumerated rather than approximated, so it holds for small groups and for ties (midranks).
 */
export function rankTestP(a, b) {
  const m = a.length;
  const total = m + b.length;
  if (m === 0 || b.length === 0) throw new Error('rankTestP needs two non-empty groups');
  if (binomial(total, m) > MAX_SPLITS) throw new Error(`rankTestP: ${m} + ${b.length} values are more than it enumerates`);
  const ranks = midranks([...a, ...b]);
  const mean = (m * (total + 1)) / 2;
  const observed = Math.abs(ranks.slice(0, m).reduce((s, r) => s + r, 0) - mean);
  // A split counts when its distance is at least the observed one, less a hair for the rounding of half ranks.
  const atLeast = observed - 1e-9;
  let extreme = 0;
  let splits = 0;
  const walk = (next, chosen, sum) => {
    if (chosen === m) {
      splits++;
      if (Math.abs(sum - mean) >= atLeast) extreme++;
      return;
    }
    for (let i = next; i <= total - (m - chosen); i++) walk(i + 1, chosen + 1, sum + ranks[i]);
  };
  walk(0, 0, 0);
  return extreme / splits;
}

function binomial(n, k) {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

/**
 * The distribution of the median of n independent draws (n odd) from `pool`, each value as likely as every other:
 * pairs [value, probability] over the pool's distinct values. The median is at most v when at least (n + 1) / 2 draws
 * are, so its distribution function follows from the binomial one.
 */
export function medianOfDraws(pool, n) {
  if (!Number.isInteger(n) || n < 1 || n % 2 === 0) throw new Error('medianOfDraws needs an odd number of draws');
  if (pool.length === 0) throw new Error('medianOfDraws needs a non-empty pool');
  const values = [...new Set(pool)].sort((x, y) => x - y);
  const atMost = (v) => pool.filter((x) => x <= v).length / pool.length;
  const cdf = (f) => {
    let p = 0;
    for (let k = (n + 1) / 2; k <= n; k++) p += binomial(n, k) * f ** k * (1 - f) ** (n - k);
    return p;
  };
  let below = 0;
  return values.map((v) => {
    const upTo = cdf(atMost(v));
    const probability = upTo - below;
    below = upTo;
    return [v, probability];
  });
}

/**
 * The chance that two medians of n draws each (n odd) from the same `pool` are within `tolerance` of each other as a
 * ratio (|x / y − 1| ≤ tolerance): how often two identical processes would pass a "medians within ±10%" test.
 */
export function agreementChance(pool, n, tolerance) {
  const medians = medianOfDraws(pool, n);
  let chance = 0;
  for (const [x, px] of medians) for (const [y, py] of medians) if (Math.abs(x / y - 1) <= tolerance) chance += px * py;
  return chance;
}
