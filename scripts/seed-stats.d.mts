/** Types of scripts/seed-stats.mjs (plain JavaScript, so that bench.mjs can import it without a build). */
export function median(values: readonly number[]): number;
export function rankTestP(a: readonly number[], b: readonly number[]): number;
export function medianOfDraws(pool: readonly number[], n: number): [value: number, probability: number][];
export function agreementChance(pool: readonly number[], n: number, tolerance: number): number;
