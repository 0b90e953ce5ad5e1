/**
 * Comparing runs: the figures of each run's row and, grouped by architecture and code size, the mean and
 * spread over its runs (three seeds of CNN · ELU side by side is the typical use). Pure.
 */
import { LATENT_SIZES } from '../config/train-options';
import { ARCH_IDS, paramCount, type ArchId } from '../models/arch-spec';
import type { RunState } from './runs';

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** One run's row of the results table. */
export interface RunRow {
  runId: string;
  name: string;
  arch: ArchId;
  /** numbers per code (the run's `settings.latentDim`) */
  latentDim: number;
  params: number;
  /** test MSE of the kept weights (of the last epoch while training) */
  testMse: number;
  /** whole epochs trained */
  epochs: number;
  secondsPerEpoch: number;
  samplesPerSec: number;
  deadUnits: number;
  backend: string;
  status: RunState['status'];
}

export function runRow(run: RunState): RunRow {
  return {
    runId: run.id,
    name: run.name,
    arch: run.settings.arch,
    latentDim: run.settings.latentDim,
    params: paramCount(run.settings.arch, run.settings.latentDim),
    testMse: run.final?.testMse ?? run.history.at(-1)?.testMse ?? Number.NaN,
    epochs: run.position.epochsCompleted,
    secondsPerEpoch: median(run.history.map((r) => r.trainSeconds)),
    samplesPerSec: median(run.history.map((r) => r.samplesPerSec)),
    deadUnits: run.final?.deadUnits ?? Number.NaN,
    backend: run.backend,
    status: run.status,
  };
}

/** An architecture's runs with one code size summarised: test MSE mean, standard deviation (n − 1), median, min and max. */
export interface ArchGroup {
  arch: ArchId;
  /** a 2-d code and a 64-d one are different models: never averaged together */
  latentDim: number;
  runs: number;
  mean: number;
  sd: number;
  median: number;
  min: number;
  max: number;
  deadUnitsMedian: number;
}

/** Groups runs with a finite test MSE by architecture and code size, in architecture order, then by code size. */
export function groupByArch(runs: readonly RunState[]): ArchGroup[] {
  return ARCH_IDS.flatMap((arch) => LATENT_SIZES.map((latentDim) => ({ arch, latentDim }))).flatMap(({ arch, latentDim }): ArchGroup[] => {
    const rows = runs.filter((run) => run.settings.arch === arch && run.settings.latentDim === latentDim).map(runRow).filter((row) => Number.isFinite(row.testMse));
    if (rows.length === 0) return [];
    const values = rows.map((row) => row.testMse);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = values.length > 1 ? Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1)) : Number.NaN;
    const dead = rows.map((row) => row.deadUnits).filter(Number.isFinite);
    return [{ arch, latentDim, runs: rows.length, mean, sd, median: median(values), min: Math.min(...values), max: Math.max(...values), deadUnitsMedian: median(dead) }];
  });
}
