/**
 * The one message contract between the page and the engine worker. Both sides import these types;
 * every message is a tagged union member, and both dispatchers end in an exhaustive `never` check.
 * Long runs carry a `runId`: the page drops events whose run is no longer current.
 */
import type { LayerRow, ArchId } from '../models/arch-spec';

/** A tfjs backend the engine can run on. */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Which backend runs, and why faster ones were passed over. */
export interface BackendReport {
  name: BackendName;
  /** e.g. "SwiftShader (software)" for WebGL without a GPU, or "SIMD + 2 threads" for WASM */
  detail: string;
  skipped: { name: BackendName; reason: string }[];
}

/** Page → worker. */
export type EngineRequest =
  | { type: 'init'; baseUrl: string; backend?: BackendName }
  | { type: 'summary'; arch: ArchId }
  | { type: 'train'; runId: number; arch: ArchId; epochs: number; trainSize: number }
  | { type: 'stop'; runId: number };

/** Per-epoch figures of one training run (epoch is 1-based). */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  testMse: number;
  trainSeconds: number;
  samplesPerSec: number;
}

/** Worker → page. Float32Array fields travel as transferred buffers. */
export type EngineEvent =
  | { type: 'backend'; backend: BackendReport }
  | { type: 'dataProgress'; loadedBytes: number; totalBytes: number }
  | {
      type: 'dataReady';
      trainCount: number;
      testCount: number;
      millis: number;
      /** the fixed test digits shown in the reconstruction grid: previewCount × 784 */
      previewImages: Float32Array;
      previewLabels: Uint8Array;
    }
  | { type: 'dataError'; code: string; message: string }
  | { type: 'summary'; arch: ArchId; layers: LayerRow[]; totalParams: number }
  | {
      type: 'trainStarted';
      runId: number;
      arch: ArchId;
      epochs: number;
      trainSize: number;
      batchesPerEpoch: number;
      /** test-set MSE of the freshly initialised model */
      initialTestMse: number;
    }
  | {
      type: 'trainProgress';
      runId: number;
      /** 0-based epoch and the number of batches finished in it */
      epoch: number;
      batch: number;
      /** losses of the batches finished since the previous progress message, in order */
      batchLosses: Float32Array;
      /** reconstructions of the preview digits, when due (throttled): previewCount × 784 */
      reconstructions?: Float32Array;
    }
  | { type: 'epochEnd'; runId: number; record: EpochRecord; reconstructions: Float32Array }
  | {
      type: 'trainEnd';
      runId: number;
      outcome: 'completed' | 'stopped' | 'failed';
      epochsCompleted: number;
      message?: string;
    }
  | { type: 'error'; message: string };

/** How many test digits the reconstruction grid shows. */
export const PREVIEW_COUNT = 16;

/** Minimum milliseconds between two progress messages: enough for a smooth bar, cheap for the thread. */
export const PROGRESS_INTERVAL_MS = 200;

/** Minimum milliseconds between two mid-epoch reconstruction previews. */
export const PREVIEW_INTERVAL_MS = 1500;

/** Buffers inside an event that can be transferred instead of copied. */
export function transferablesOf(event: EngineEvent): Transferable[] {
  switch (event.type) {
    case 'dataReady':
      return [event.previewImages.buffer, event.previewLabels.buffer];
    case 'trainProgress':
      return event.reconstructions ? [event.batchLosses.buffer, event.reconstructions.buffer] : [event.batchLosses.buffer];
    case 'epochEnd':
      return [event.reconstructions.buffer];
    default:
      return [];
  }
}
