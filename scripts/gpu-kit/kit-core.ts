/**
 * The backend-independent part of the GPU measurement kit: options, data, FLOP counts, the timed training
 * runs and the cpu cross-check. It trains through the project's own code (`buildAutoencoder`,
 * `trainAutoencoder`, `KerasAdam`), so what it times is the step the app runs, including the app's per-batch
 * loss read-back. Which backend runs it is set up by the caller (./kit.ts: `cpu`, or `webgpu` through Dawn).
 */
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../src/analysis/rng';
import { parseImages, scalePixels } from '../../src/data/idx';
import { ARCH_IDS, ARCHITECTURES, buildAutoencoder, isArchId, IMAGE_PIXELS, type ArchId } from '../../src/models/architectures';
import { DepthToSpaceConv2DTranspose, SpaceToDepthConv2D } from '../../src/models/conv-layers';
import { MatmulDense } from '../../src/models/dense-layer';
import { DEFAULT_TRAIN_OPTIONS, trainAutoencoder, type ImageSet } from '../../src/models/train';

/** What one kit run does; every field has a command-line flag (see {@link parseKitArgs}). */
export interface KitOptions {
  /** tfjs backend to measure: 'webgpu' (through Dawn) or 'cpu'. */
  backend: 'webgpu' | 'cpu';
  archs: ArchId[];
  /** Timed batches per architecture, after the warm-up ones. */
  batches: Partial<Record<ArchId, number>>;
  /** Default for architectures missing from `batches`. */
  defaultBatches: number;
  /** Untimed batches first (shader compilation, buffer pools). */
  warmup: number;
  batchSize: number;
  /** Seeds the weights (buildAutoencoder) and the shuffle (trainAutoencoder). */
  seed: number;
  /** Steps compared against tfjs's `cpu` backend from the same weights; 0 skips the check. */
  checkSteps: number;
  /** IDX images file (gzip or raw); null → synthetic images. */
  dataPath: string | null;
  /** Path of dawn.node; null → beside the kit script. */
  dawnPath: string | null;
  /** Flags passed to Dawn's `create()`, e.g. 'backend=vulkan'. */
  dawnFlags: string[];
  /** Also write the JSON report here. */
  outPath: string | null;
}

/** Defaults: the reference batch size, 5 warm-up and 50 timed batches, a 3-step cpu check. */
export const DEFAULT_KIT_OPTIONS: Readonly<KitOptions> = Object.freeze({
  backend: 'webgpu',
  archs: [...ARCH_IDS],
  batches: {},
  defaultBatches: 50,
  warmup: 5,
  batchSize: DEFAULT_TRAIN_OPTIONS.batchSize,
  seed: 0,
  checkSteps: 3,
  dataPath: null,
  dawnPath: null,
  dawnFlags: [],
  outPath: null,
});

const USAGE = `usage: node kit.mjs [--backend webgpu|cpu] [--archs dense,cnn_relu,cnn_elu]
  [--batches N | --batches dense=N,cnn_relu=N,...] [--warmup N] [--batch-size N] [--seed N]
  [--check-steps N] [--data IDX(.gz)] [--dawn path/to/dawn.node] [--dawn-flag FLAG]... [--out FILE]`;

/** A comma-separated list of architecture ids, in order. @throws naming an unknown one and the known ones */
export function parseArchList(value: string): ArchId[] {
  return value.split(',').map((a) => {
    if (!isArchId(a)) throw new Error(`unknown architecture '${a}' (${ARCH_IDS.join(', ')})`);
    return a;
  });
}

/** The value after the last `name` in `argv`, or `fallback` (the last wins, so appended flags override a default). */
export function flagValue(argv: readonly string[], name: string, fallback: string): string {
  const i = argv.lastIndexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
}

function parseCount(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} needs an integer ≥ ${min}, got '${value}'\n${USAGE}`);
  return n;
}

/** Parses the kit's command line (argv without node and the script). Throws with the usage on bad input. */
export function parseKitArgs(argv: readonly string[]): KitOptions {
  const options: KitOptions = { ...DEFAULT_KIT_OPTIONS, archs: [...DEFAULT_KIT_OPTIONS.archs], batches: {}, dawnFlags: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--help' || flag === '-h') throw new Error(USAGE);
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    i++;
    switch (flag) {
      case '--backend':
        if (value !== 'webgpu' && value !== 'cpu') throw new Error(`--backend must be webgpu or cpu\n${USAGE}`);
        options.backend = value;
        break;
      case '--archs':
        options.archs = parseArchList(value);
        break;
      case '--batches':
        // The last --batches wins, so flags appended to a default command line (KIT_ARGS) override it.
        options.batches = {};
        if (/^\d+$/.test(value)) options.defaultBatches = parseCount(flag, value, 1);
        else {
          for (const pair of value.split(',')) {
            const [arch, n] = pair.split('=');
            if (!isArchId(arch) || n === undefined) throw new Error(`--batches: bad entry '${pair}'\n${USAGE}`);
            options.batches[arch] = parseCount(flag, n, 1);
          }
        }
        break;
      case '--warmup':
        options.warmup = parseCount(flag, value, 0);
        break;
      case '--batch-size':
        options.batchSize = parseCount(flag, value, 1);
        break;
      case '--seed':
        options.seed = parseCount(flag, value, 0);
        break;
      case '--check-steps':
        options.checkSteps = parseCount(flag, value, 0);
        break;
      case '--data':
        options.dataPath = value;
        break;
      case '--dawn':
        options.dawnPath = value;
        break;
      case '--dawn-flag':
        options.dawnFlags.push(value);
        break;
      case '--out':
        options.outPath = value;
        break;
      default:
        throw new Error(`unknown flag ${flag}\n${USAGE}`);
    }
  }
  return options;
}

/** Where the images came from, for the report. */
export interface DataInfo {
  source: 'mnist-idx' | 'synthetic';
  path: string | null;
  /** Distinct images available (cycled when a run needs more). */
  images: number;
}

/** Reads an IDX images file (gzip-compressed or raw) into [0, 1] floats, count × 784 row-major. */
export function loadIdxImages(fileBytes: Uint8Array, path: string): { set: ImageSet; info: DataInfo } {
  const isGzip = fileBytes.length >= 2 && fileBytes[0] === 0x1f && fileBytes[1] === 0x8b;
  const { count, pixels } = parseImages(isGzip ? new Uint8Array(gunzipSync(fileBytes)) : fileBytes, path);
  return { set: { images: scalePixels(pixels), count }, info: { source: 'mnist-idx', path, images: count } };
}

/**
 * Seeded stand-in images when no MNIST file is given: blurry blobs in [0, 1], mostly dark like MNIST, so the
 * loss is in MNIST's range. Only for trying the kit out; speed does not depend on pixel values.
 */
export function syntheticImages(count: number, seed: number): { set: ImageSet; info: DataInfo } {
  const rng = mulberry32(seed);
  const images = new Float32Array(count * IMAGE_PIXELS);
  for (let n = 0; n < count; n++) {
    const cx = 8 + rng() * 12;
    const cy = 8 + rng() * 12;
    const r2 = 10 + rng() * 30;
    for (let p = 0; p < IMAGE_PIXELS; p++) {
      const dx = (p % 28) - cx;
      const dy = Math.floor(p / 28) - cy;
      images[n * IMAGE_PIXELS + p] = Math.exp(-(dx * dx + dy * dy) / r2);
    }
  }
  return { set: { images, count }, info: { source: 'synthetic', path: null, images: count } };
}

/** `count` images taken cyclically from `set` (the training loop wants one image per sample it trains on). */
export function cycleImages(set: ImageSet, count: number): ImageSet {
  if (set.count === 0) throw new Error('no images to train on');
  const images = new Float32Array(count * IMAGE_PIXELS);
  for (let start = 0; start < count; start += set.count) {
    const n = Math.min(set.count, count - start);
    images.set(set.images.subarray(0, n * IMAGE_PIXELS), start * IMAGE_PIXELS);
  }
  return { images, count };
}

/** Multiply-accumulates per sample of one forward pass through each trainable layer, by layer name. */
export function forwardMacsPerSample(model: tf.LayersModel): Record<string, number> {
  const macs: Record<string, number> = {};
  for (const layer of model.layers) {
    const kernel = layer.getWeights()[0];
    if (kernel === undefined) continue;
    const out = layer.outputShape;
    if (!Array.isArray(out) || out.some((d) => Array.isArray(d))) throw new Error(`layer ${layer.name}: unexpected output shape`);
    const dims = out.slice(1).map((d) => (typeof d === 'number' ? d : Number.NaN));
    // Rows of the layer's matmul per sample: one for a dense layer; one per output pixel of a k2/s2
    // convolution; one per input pixel (a quarter of the output pixels) of a k2/s2 transposed convolution.
    let rows: number;
    if (layer instanceof MatmulDense) rows = 1;
    else if (layer instanceof SpaceToDepthConv2D) rows = dims[0] * dims[1];
    else if (layer instanceof DepthToSpaceConv2DTranspose) rows = (dims[0] * dims[1]) / 4;
    else throw new Error(`layer ${layer.name} (${layer.getClassName()}): no FLOP rule`);
    macs[layer.name] = rows * kernel.size;
  }
  return macs;
}

/**
 * FLOPs of one training step per sample, by the usual convention: forward 2 FLOPs per multiply-accumulate,
 * backward twice the forward (input and weight gradients); elementwise work (activations, Adam) is left out.
 * Dense ≈ 4.29 MFLOP, the CNNs ≈ 7.53 MFLOP.
 */
export function trainingFlopsPerSample(model: tf.LayersModel): number {
  const macs = Object.values(forwardMacsPerSample(model)).reduce((a, b) => a + b, 0);
  return 3 * 2 * macs;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** One architecture's measurement. */
export interface ArchReport {
  arch: ArchId;
  params: number;
  /** Equal to ARCHITECTURES[arch].params (the Keras reference's count). */
  paramsMatchReference: boolean;
  batchSize: number;
  warmupBatches: number;
  timedBatches: number;
  /** batchSize / median timed batch time; each batch includes the app's loss read-back. */
  samplesPerSec: number;
  /** Timed samples / total timed seconds. */
  samplesPerSecMean: number;
  medianBatchMs: number;
  minBatchMs: number;
  maxBatchMs: number;
  /** Warm-up batches' times (the first includes shader compilation). */
  warmupBatchMs: number[];
  trainingFlopsPerSample: number;
  /** trainingFlopsPerSample × samplesPerSec. */
  gflopsPerSec: number;
  /** First batch's loss (before any update) and the last timed batch's. */
  lossStart: number;
  lossEnd: number;
  /** Mean of the last ten batch losses (less noisy than one batch). */
  lossEndMean10: number;
  check: CheckReport | null;
  error?: string;
}

/** The same first steps from the same weights and batches on `cpu`. */
export interface CheckReport {
  reference: 'cpu';
  steps: number;
  backendLosses: number[];
  cpuLosses: number[];
  /** |backend − cpu| / |cpu| per step. */
  relDiff: number[];
  maxRelDiff: number;
  cpuSecondsPerStep: number;
}

interface TrainTrace {
  losses: number[];
  /** Wall-clock ms of each batch: from the previous batch's report (or the start) to this one's. */
  batchMs: number[];
}

/**
 * Runs the app's training loop on the current backend for `steps` batches of `train`, which must hold more
 * than `steps` batches (see measureArch).
 */
async function traceTraining(
  model: tf.LayersModel,
  arch: ArchId,
  train: ImageSet,
  options: KitOptions,
  steps: number,
): Promise<TrainTrace> {
  const losses: number[] = [];
  const batchMs: number[] = [];
  let polls = 0;
  const test = { images: train.images.subarray(0, IMAGE_PIXELS), count: 1 };
  let last = performance.now();
  await trainAutoencoder(
    model,
    arch,
    train,
    test,
    { ...DEFAULT_TRAIN_OPTIONS, epochs: 1, batchSize: options.batchSize, seed: options.seed },
    {
      onBatch: ({ loss }) => {
        const now = performance.now();
        batchMs.push(now - last);
        last = now;
        losses.push(loss);
      },
      // Polled once before each batch: exactly `steps` batches (their losses arrive one step late, all before it returns).
      shouldStop: () => polls++ >= steps,
    },
  );
  return { losses, batchMs };
}

/**
 * Measures one architecture on the current backend: `warmup` + timed batches of the app's training loop from
 * seeded weights, then (if `checkSteps` > 0) the same first steps on `cpu` from the same initial weights and
 * batches. Switches the backend to `cpu` and back for the check.
 */
export async function measureArch(arch: ArchId, data: ImageSet, options: KitOptions): Promise<ArchReport> {
  const backend = tf.getBackend();
  const timed = options.batches[arch] ?? options.defaultBatches;
  const total = options.warmup + timed;
  // One batch more than is trained on, so that training ends by `shouldStop` before the epoch does: the
  // epoch-end test evaluation reads with dataSync, which tfjs-webgpu implements with OffscreenCanvas,
  // absent in Node.
  const train = cycleImages(data, (total + 1) * options.batchSize);
  const model = buildAutoencoder(arch, options.seed);
  let initial: { values: Float32Array; shape: number[] }[];
  let trace: TrainTrace;
  let flops: number;
  try {
    flops = trainingFlopsPerSample(model);
    initial = await Promise.all(
      model.getWeights().map(async (w) => ({ values: Float32Array.from(await w.data()), shape: [...w.shape] })),
    );
    trace = await traceTraining(model, arch, train, options, total);
  } finally {
    model.dispose();
  }
  const params = ARCHITECTURES[arch].params;
  const timedMs = trace.batchMs.slice(options.warmup);
  const med = median(timedMs);
  const sum = timedMs.reduce((a, b) => a + b, 0);
  const samplesPerSec = (options.batchSize * 1000) / med;
  const lastTen = trace.losses.slice(-10);

  let check: CheckReport | null = null;
  if (options.checkSteps > 0) {
    const steps = Math.min(options.checkSteps, total);
    await tf.setBackend('cpu');
    const reference = buildAutoencoder(arch, options.seed);
    try {
      // The same numbers, not just the same seed: a backend could in principle initialise differently.
      tf.tidy(() => reference.setWeights(initial.map(({ values, shape }) => tf.tensor(values, shape))));
      const started = performance.now();
      const cpuTrace = await traceTraining(reference, arch, train, options, steps);
      const cpuSecondsPerStep = (performance.now() - started) / 1000 / steps;
      const backendLosses = trace.losses.slice(0, steps);
      const relDiff = backendLosses.map((l, i) => Math.abs(l - cpuTrace.losses[i]) / Math.abs(cpuTrace.losses[i]));
      check = {
        reference: 'cpu',
        steps,
        backendLosses,
        cpuLosses: cpuTrace.losses,
        relDiff,
        maxRelDiff: Math.max(...relDiff),
        cpuSecondsPerStep,
      };
    } finally {
      reference.dispose();
      await tf.setBackend(backend);
    }
  }

  return {
    arch,
    params: initial.reduce((a, w) => a + w.values.length, 0),
    paramsMatchReference: initial.reduce((a, w) => a + w.values.length, 0) === params,
    batchSize: options.batchSize,
    warmupBatches: options.warmup,
    timedBatches: timedMs.length,
    samplesPerSec,
    samplesPerSecMean: (options.batchSize * timedMs.length * 1000) / sum,
    medianBatchMs: med,
    minBatchMs: Math.min(...timedMs),
    maxBatchMs: Math.max(...timedMs),
    warmupBatchMs: trace.batchMs.slice(0, options.warmup),
    trainingFlopsPerSample: flops,
    gflopsPerSec: (flops * samplesPerSec) / 1e9,
    lossStart: trace.losses[0],
    lossEnd: trace.losses[trace.losses.length - 1],
    lossEndMean10: lastTen.reduce((a, b) => a + b, 0) / lastTen.length,
    check,
  };
}
