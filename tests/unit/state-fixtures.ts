/** Shared fixtures for the page-state tests: a fresh state, events, and a runner that collects commands. */
import { createInitialState, update, type AppState, type UiAction } from '../../src/state/app-state';
import type { Command } from '../../src/state/commands';
import type { DatasetInfo, EngineEvent, RunRecord } from '../../src/worker/protocol';

export const MNIST: DatasetInfo = { name: 'MNIST', fingerprint: '0123abcd', trainCount: 60_000, testCount: 10_000 };
export const OWN: DatasetInfo = { name: 'fashion-train.gz, fashion-test.gz', fingerprint: 'feedbeef', trainCount: 857, testCount: 100 };

export const initial = (): AppState => createInitialState('s', 'http://127.0.0.1/');
export const engineEvent = (event: EngineEvent): UiAction => ({ type: 'engine', event });
export const ready = (dataset: DatasetInfo = MNIST): UiAction =>
  engineEvent({ type: 'dataReady', dataset, millis: 900, previewImages: new Float32Array(16 * 784), previewLabels: new Uint8Array(16), sampleImages: new Float32Array(16 * 784), sampleLabels: new Uint8Array(16) });

/** Applies actions in order; returns the last state and every command, in order. */
export function run(state: AppState, ...actions: UiAction[]): { state: AppState; commands: Command[] } {
  const commands: Command[] = [];
  let current = state;
  for (const action of actions) {
    const next = update(current, action);
    current = next.state;
    commands.push(...next.commands);
  }
  return { state: current, commands };
}

/** Only the state after the actions. */
export const apply = (state: AppState, ...actions: UiAction[]): AppState => run(state, ...actions).state;

/** The engine requests among commands. */
export function requests(commands: Command[]) {
  return commands.flatMap((c) => (c.kind === 'engine' ? [c.request] : []));
}

/** A finished run's record, as the engine sends it. */
export function recordFor(id: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    name: 'Dense · seed 0 · lr 0.001',
    settings: { arch: 'dense', epochs: 2, trainSize: 512, learningRate: 0.001, seed: 0, batchSize: 256, latentDim: 64, noise: { kind: 'none' } },
    dataset: MNIST,
    backend: 'wasm',
    createdAt: '2026-12-04T10:00:00.000Z',
    endedAt: '2026-12-04T10:01:00.000Z',
    outcome: 'completed',
    position: { epochsCompleted: 2, batch: 0, batchesPerEpoch: 2 },
    history: [
      { epoch: 1, trainLoss: 0.1, testMse: 0.08, trainSeconds: 1, samplesPerSec: 512 },
      { epoch: 2, trainLoss: 0.07, testMse: 0.06, trainSeconds: 1, samplesPerSec: 512 },
    ],
    batchLosses: [0.2, 0.1, 0.08, 0.06],
    lossStride: 1,
    initialTestMse: 0.23,
    final: { testMse: 0.06, deadUnits: 5 },
    message: null,
    partial: null,
    resumable: true,
    ...overrides,
  };
}
