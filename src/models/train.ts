/**
 * Training loop for the autoencoders: MSE loss, Keras-form Adam, mini-batches of a per-epoch seeded shuffle.
 *
 * Pure tfjs, no DOM: it runs in Node (tests) and in the Web Worker. Progress leaves through callbacks, and
 * the loop yields to the event loop between batches so a worker can receive a Stop message; stopping keeps
 * the weights learned so far (the model's variables are updated in place).
 */
import type { JobHooks } from '../analysis/job';
import * as tf from '@tensorflow/tfjs';
import { mulberry32, type Rng, shuffleInPlace } from '../analysis/rng';
import { yieldToEventLoop } from '../analysis/yield';
import { IMAGE_PIXELS, inputShapeOf, type ArchId } from './architectures';
import { DEFAULT_ADAM_OPTIONS, KerasAdam, type AdamState } from './keras-adam';
import { asTensor, trainableVariables } from './tensors';
import { DEFAULT_TRAIN_SETTINGS, type InputNoise, type TrainSettings } from '../config/train-options';
import { isActiveNoise, noisyImages, NOISE_STREAM } from '../data/noise';
import { noisyBatch } from './noise';

/**
 * Options of one training run: the loop's part of the run's settings (`src/config/train-options.ts`).
 * `epochs` is the total; `seed` seeds the per-epoch shuffle (weights are seeded in `buildAutoencoder`) and the
 * input noise of a denoising run (`noise`; absent or none for a plain autoencoder).
 */
export type TrainOptions = Pick<TrainSettings, 'epochs' | 'batchSize' | 'learningRate' | 'seed'> & Partial<Pick<TrainSettings, 'noise'>>;

/**
 * The noise of a denoising run's test inputs: test image i gets the noise of its index, seeded by the run's
 * seed, so every evaluation of a run (each epoch, the final figures, the gallery) sees the same noisy inputs.
 */
export interface TestNoise {
  noise: InputNoise;
  seed: number;
}

/** 20 epochs, batch 256, lr 1e-3, seed 0 — the reference run. */
export const DEFAULT_TRAIN_OPTIONS: TrainOptions = Object.freeze({
  epochs: DEFAULT_TRAIN_SETTINGS.epochs,
  batchSize: DEFAULT_TRAIN_SETTINGS.batchSize,
  learningRate: DEFAULT_TRAIN_SETTINGS.learningRate,
  seed: DEFAULT_TRAIN_SETTINGS.seed,
});

/**
 * Where a run goes on from: after `epochsCompleted` whole epochs and `batch` batches of the next (the weights
 * are the model's own; the optimiser state and the shuffle are restored here, so the continued run is the
 * uninterrupted one). `partial` carries the loss sum and seconds of those `batch` batches, so the epoch's
 * train loss covers all of it. A null optimiser (a file from before runs kept it) starts Adam afresh.
 */
export interface TrainResume {
  epochsCompleted: number;
  batch?: number;
  partial?: { weightedLoss: number; seconds: number } | null;
  optimizer: AdamState | null;
}

/** `count` MNIST images, count × 784 row-major float32, pixels in [0, 1]. */
export interface ImageSet {
  images: Float32Array;
  count: number;
}

/** Reported after every optimiser step. */
export interface BatchInfo {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based batch within the epoch. */
  batch: number;
  batchesPerEpoch: number;
  /** This batch's MSE (mean over its pixels and images), computed before the update. */
  loss: number;
}

/** Reported after every completed epoch (not after an epoch cut short by a stop). */
export interface EpochInfo {
  /** 0-based epoch. */
  epoch: number;
  /** Mean of the epoch's batch losses weighted by batch size. */
  trainLoss: number;
  /** MSE over the whole test set after the epoch. */
  testMse: number;
  /** Wall-clock seconds of the epoch's batches (excluding the test evaluation). */
  trainSeconds: number;
  /** Training images per second over the epoch. */
  samplesPerSec: number;
  /** The optimiser's state now, copied to host memory (only when asked: it waits for the GPU). */
  readOptimizerState(): Promise<AdamState>;
}

/** Where training stands at a batch boundary inside an epoch (see TrainCallbacks.onBatchCheckpoint). */
export interface BatchCheckpoint {
  /** 0-based epoch under way. */
  epoch: number;
  /** Batches of it trained so far (≥ 1): the model's weights and the optimiser state are those after them. */
  batch: number;
  /** Loss sum (weighted by batch size) and seconds of those batches: what a resume carries on from. */
  partial: { weightedLoss: number; seconds: number };
  /** The optimiser's state now, copied to host memory (it waits for the GPU). */
  readOptimizerState(): Promise<AdamState>;
}

/** Progress and cancellation hooks; all optional. */
export interface TrainCallbacks extends Omit<JobHooks<never>, 'onProgress'> {
  /**
   * Called with each batch's loss, in order, once the next batch has been issued (losses are read one step late so
   * that a GPU never waits for the page); the last batch of an epoch or before a stop is reported before the epoch
   * ends or training returns. A promise it returns is awaited before the batch after next starts (other results are
   * ignored), so a stop it asks for ends training after the batch already issued.
   */
  onBatch?(info: BatchInfo): unknown;
  /** Awaited before the next epoch starts. */
  onEpochEnd?(info: EpochInfo): void | Promise<void>;
  /** Polled before every batch; when true, training ends there (once the issued batch's loss is in), keeping the weights learned so far. */
  shouldStop?(): boolean;
  /**
   * Polled before every batch after the first of an epoch; when true, the issued batch's loss is read in, then
   * `onBatchCheckpoint` is called (and awaited) with the state there, and training goes on.
   */
  checkpointDue?(): boolean;
  /** A resumable point inside an epoch, when `checkpointDue` asked for one (a run saved mid-epoch resumes there). */
  onBatchCheckpoint?(point: BatchCheckpoint): void | Promise<void>;
  /** Progress of the test-set evaluation after each epoch (seconds per epoch on a slow backend). */
  onTestProgress?: TestProgress;
  /**
   * Rejects to end training at once, e.g. when the GPU is lost: a lost WebGL context never answers the
   * asynchronous loss read, so every such wait races this promise. Its rejection is what trainAutoencoder throws.
   */
  interrupted?: Promise<never>;
}

/** How a training run ended. */
export interface TrainResult {
  /** True when `shouldStop` ended the run early. */
  stopped: boolean;
  /** Epochs run to completion (an epoch cut short by a stop is not counted). */
  epochsCompleted: number;
  /** Batches trained in the epoch a stop cut short (0 when it stopped at an epoch boundary). */
  batch: number;
  /** Loss sum (weighted by batch size) and seconds of those batches; null when batch is 0. */
  partial: { weightedLoss: number; seconds: number } | null;
  /** Adam's state at the end, in host memory: what a continued run starts from. */
  optimizer: AdamState;
}

/** A step whose loss is being read back (see trainAutoencoder's loop). */
interface InFlightLoss {
  batch: number;
  size: number;
  tensor: tf.Tensor;
  read: Promise<tf.TypedArray>;
}

/**
 * Starts reading a loss now, so that on a GPU the copy is queued before the next step. A read that is never
 * awaited (training failed first) must not surface as an unhandled rejection; the awaited one still rejects.
 */
function startRead(tensor: tf.Tensor): Promise<tf.TypedArray> {
  const read = tensor.data();
  read.catch(() => undefined);
  return read;
}

/** Images per forward pass when evaluating or reconstructing: large enough to keep matmuls efficient. */
const EVAL_BATCH = 1000;

function checkImageSet(set: ImageSet, what: string): void {
  if (!Number.isInteger(set.count) || set.count < 0 || set.images.length < set.count * IMAGE_PIXELS) {
    throw new Error(`${what}: ${set.images.length} floats cannot hold ${set.count} images of ${IMAGE_PIXELS} pixels`);
  }
}

function checkOptions(options: TrainOptions): void {
  const { epochs, batchSize, learningRate } = options;
  if (!Number.isInteger(epochs) || epochs < 0 || !Number.isInteger(batchSize) || batchSize < 1 || !(learningRate > 0)) {
    throw new Error(`Invalid training options ${JSON.stringify(options)}`);
  }
}

/** Mean squared error of the model's reconstruction of `input` against `target` (the same tensor unless denoising). */
function reconstructionLoss(model: tf.LayersModel, input: tf.Tensor, target: tf.Tensor, training: boolean): tf.Scalar {
  return tf.mean(tf.squaredDifference(asTensor(model.apply(input, { training })), target));
}

/**
 * Rows `rows` (int32 [batch]) of `images` ([N, ...] → [batch, ...]), on the backend. tfjs-wasm's GatherV2
 * walks per-element strides (≈10 ms for 256 MNIST rows, a fifth of a dense training step) while its
 * GatherNd copies whole rows (≈3 ms); on the cpu backend it is the other way round (13 ms vs 37 ms).
 */
function gatherRows(images: tf.Tensor, rows: tf.Tensor1D): tf.Tensor {
  return tf.getBackend() === 'wasm' ? tf.gatherND(images, tf.expandDims(rows, 1)) : tf.gather(images, rows);
}

/**
 * The image order of each epoch of a run: like Keras, each epoch reshuffles the previous epoch's order (Fisher–Yates
 * with mulberry32(seed)); batch b of an epoch is its images b·batchSize … (b + 1)·batchSize − 1. Also what
 * scripts/gpu-kit/start-state.ts hands to PyTorch, so both train on the same batches.
 */
export class EpochOrder {
  private readonly rng: Rng;
  private readonly order: Int32Array;

  constructor(count: number, seed: number) {
    this.rng = mulberry32(seed);
    this.order = Int32Array.from({ length: count }, (_, i) => i);
  }

  /** The next epoch's order (one array, reshuffled in place: copy it to keep an epoch's). */
  next(): Int32Array {
    shuffleInPlace(this.order, this.rng);
    return this.order;
  }
}

/**
 * Trains `model` in place for `options.epochs` epochs on `train`, evaluating on `test` after each epoch.
 * The training images are uploaded to the backend once; each batch is gathered there by index. Every call
 * starts a fresh optimiser (Adam moments at zero) unless `resume` continues an interrupted run, whose
 * `epochsCompleted` count towards `options.epochs`. Leaves no tensors behind, also when stopped or on error.
 */
export async function trainAutoencoder(
  model: tf.LayersModel,
  arch: ArchId,
  train: ImageSet,
  test: ImageSet,
  options: TrainOptions,
  callbacks: TrainCallbacks = {},
  resume?: TrainResume,
): Promise<TrainResult> {
  checkOptions(options);
  checkImageSet(train, 'train');
  checkImageSet(test, 'test');
  const { epochs, batchSize, learningRate, seed } = options;
  const noise = isActiveNoise(options.noise) ? options.noise : null;
  const testNoise = noise ? { noise, seed } : undefined;
  const count = train.count;
  const batchesPerEpoch = Math.ceil(count / batchSize);
  const variables = trainableVariables(model);
  const order = new EpochOrder(count, seed);

  const optimizer = new KerasAdam({ ...DEFAULT_ADAM_OPTIONS, learningRate });
  const firstEpoch = resume?.epochsCompleted ?? 0;
  const firstBatch = Math.min(resume?.batch ?? 0, batchesPerEpoch);
  // Replay the skipped epochs' shuffles so a resumed run sees the batches the uninterrupted one would.
  for (let epoch = 0; epoch < firstEpoch; epoch++) order.next();
  if (resume?.optimizer) optimizer.restoreState(variables, resume.optimizer);
  // A lost GPU context never answers asynchronous reads: every wait races `interrupted`.
  const guard = <T>(wait: T): Promise<Awaited<T>> => (callbacks.interrupted ? Promise.race([Promise.resolve(wait), callbacks.interrupted]) : Promise.resolve(wait));
  const images = tf.tensor(train.images.subarray(0, count * IMAGE_PIXELS), [count, ...inputShapeOf(arch)]);
  let stopped = false;
  let epochsCompleted = firstEpoch;
  let stoppedAt = { batch: 0, weightedLoss: 0, seconds: 0 };
  try {
    for (let epoch = firstEpoch; epoch < epochs && !stopped; epoch++) {
      const permutation = tf.tensor1d(order.next(), 'int32');
      const resumed = epoch === firstEpoch ? firstBatch : 0;
      const carried = resumed > 0 ? (resume?.partial ?? null) : null;
      const started = performance.now() - (carried ? carried.seconds * 1000 : 0);
      let weightedLoss = carried?.weightedLoss ?? 0;
      /**
       * The batch whose loss is still being read. Its read starts right after its step is issued, and is awaited
       * only once the next step has been issued too: on a GPU the next step is queued while the previous loss
       * comes back, instead of the GPU idling through every read and every dispatch (on wasm and cpu the read is
       * already done by then, so nothing changes). Each loss still reaches onBatch, in order, before the next
       * stop check but one.
       */
      let inFlight: InFlightLoss | null = null;
      /** Batches of this epoch whose loss is in. */
      let trained = resumed;
      const settle = async (step: InFlightLoss): Promise<void> => {
        let loss: number;
        try {
          loss = (await guard(step.read))[0];
        } finally {
          step.tensor.dispose();
        }
        weightedLoss += loss * step.size;
        trained = step.batch + 1;
        await guard(callbacks.onBatch?.({ epoch, batch: step.batch, batchesPerEpoch, loss }));
      };
      /** Reads in the loss of the step still in flight, if any (before a checkpoint, and at the epoch's end or a stop). */
      const settleInFlight = async (): Promise<void> => {
        const last = inFlight;
        inFlight = null;
        if (last) await settle(last);
      };
      try {
        for (let batch = resumed; batch < batchesPerEpoch; batch++) {
          if (callbacks.shouldStop?.() === true) {
            stopped = true;
            break;
          }
          if (batch > resumed && callbacks.checkpointDue?.() === true) {
            // The weights already hold the issued batch's update: its loss is read in first, as before a stop.
            await settleInFlight();
            const partial = { weightedLoss, seconds: (performance.now() - started) / 1000 };
            await guard(callbacks.onBatchCheckpoint?.({ epoch, batch: trained, partial, readOptimizerState: () => optimizer.readState(variables) }));
            // A stop asked for meanwhile is answered before the next batch.
            if (callbacks.shouldStop?.() === true) {
              stopped = true;
              break;
            }
          }
          const start = batch * batchSize;
          const size = Math.min(batchSize, count - start);
          const lossTensor = tf.tidy(() => {
            const x = gatherRows(images, tf.slice(permutation, start, size));
            // Denoising: noisy inputs (seeded by the batch's place in the schedule), the clean batch as target.
            const input = noise ? noisyBatch(x, noise, seed, epoch, batch) : x;
            const { value, grads } = tf.variableGrads(() => reconstructionLoss(model, input, x, true), variables);
            optimizer.applyGradients(variables, variables.map((v) => grads[v.name]));
            return value;
          });
          const issued: InFlightLoss = { batch, size, tensor: lossTensor, read: startRead(lossTensor) };
          const previous = inFlight;
          inFlight = issued;
          if (previous) await settle(previous);
          await yieldToEventLoop();
        }
        await settleInFlight();
        if (stopped) {
          stoppedAt = { batch: trained, weightedLoss, seconds: (performance.now() - started) / 1000 };
        }
      } finally {
        // Only after a failure is a step still in flight: its loss is no longer wanted.
        inFlight?.tensor.dispose();
        permutation.dispose();
      }
      if (stopped) break;
      const trainSeconds = (performance.now() - started) / 1000;
      const testMse = await guard(evaluateMse(model, arch, test, EVAL_BATCH, testNoise, callbacks.onTestProgress));
      epochsCompleted++;
      await guard(callbacks.onEpochEnd?.({
        epoch,
        trainLoss: count > 0 ? weightedLoss / count : Number.NaN,
        testMse,
        trainSeconds,
        samplesPerSec: count / trainSeconds,
        readOptimizerState: () => optimizer.readState(variables),
      }));
    }
    const state = await guard(optimizer.readState(variables));
    return {
      stopped,
      epochsCompleted,
      batch: stoppedAt.batch,
      partial: stoppedAt.batch > 0 ? { weightedLoss: stoppedAt.weightedLoss, seconds: stoppedAt.seconds } : null,
      optimizer: state,
    };
  } finally {
    images.dispose();
    optimizer.dispose();
  }
}

/**
 * Runs `fn` on consecutive chunks of at most `batchSize` images of `images` (count × 784), each uploaded
 * as a [size, ...inputShapeOf(arch)] tensor, and hands each chunk's result, read back asynchronously, to
 * `take`. Everything `fn` allocates is disposed. Async reads only: a synchronous read blocks a GPU
 * backend's worker, and tfjs-webgpu 4.22's `dataSync` (a copy through canvases) returns zeros on
 * software adapters and then loses the device.
 */
async function forEachChunk(
  arch: ArchId,
  images: Float32Array,
  count: number,
  batchSize: number,
  fn: (x: tf.Tensor, size: number, start: number) => tf.Tensor,
  take: (values: Float32Array, start: number) => void,
  onProgress?: TestProgress,
): Promise<void> {
  const shape = inputShapeOf(arch);
  onProgress?.(0, count);
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const result = tf.tidy(() => fn(tf.tensor(images.subarray(start * IMAGE_PIXELS, (start + size) * IMAGE_PIXELS), [size, ...shape]), size, start));
    try {
      take((await result.data()) as Float32Array, start);
    } finally {
      result.dispose();
    }
    if (onProgress) {
      // A pass that reports progress is a long one: let queued messages (a Stop) run before telling it.
      await yieldToEventLoop();
      onProgress(start + size, count);
    }
  }
}

/**
 * A chunk's noisy test inputs as a tensor shaped like `x`: image i of the chunk is test image `start + i`.
 * Call inside `tf.tidy`.
 */
function noisyChunk(x: tf.Tensor, images: Float32Array, size: number, start: number, testNoise: TestNoise | undefined): tf.Tensor {
  const noise = testNoise?.noise;
  if (!testNoise || !isActiveNoise(noise)) return x;
  const chunk = images.subarray(start * IMAGE_PIXELS, (start + size) * IMAGE_PIXELS);
  return tf.tensor(noisyImages(noise, chunk, size, testNoise.seed, NOISE_STREAM.test, (i) => start + i), x.shape);
}

/**
 * Told as a long evaluation starts and after each of its chunks: `done` of `total` images so far. It may throw
 * to end the evaluation (between chunks; nothing is left allocated).
 */
export type TestProgress = (done: number, total: number) => void;

/**
 * Mean squared reconstruction error over all pixels of all `data.count` images (NaN when there are none),
 * always against the clean images. With `testNoise` (a denoising run) the model is given the noisy test
 * images and scored on how close it gets to the clean ones.
 */
export async function evaluateMse(model: tf.LayersModel, arch: ArchId, data: ImageSet, batchSize = EVAL_BATCH, testNoise?: TestNoise, onProgress?: TestProgress): Promise<number> {
  checkImageSet(data, 'evaluateMse');
  let sumSquares = 0; // float64 across chunks: a float32 running sum would lose digits over 60,000 images
  await forEachChunk(
    arch,
    data.images,
    data.count,
    batchSize,
    (x, size, start) => tf.sum(tf.squaredDifference(asTensor(model.apply(noisyChunk(x, data.images, size, start, testNoise), { training: false })), x)),
    (values) => (sumSquares += values[0]),
    onProgress,
  );
  return data.count > 0 ? sumSquares / (data.count * IMAGE_PIXELS) : Number.NaN;
}

/** The model's reconstructions of `count` images (count × 784 in, count × 784 out, row-major). */
export async function reconstruct(model: tf.LayersModel, arch: ArchId, images: Float32Array, count: number): Promise<Float32Array> {
  checkImageSet({ images, count }, 'reconstruct');
  const out = new Float32Array(count * IMAGE_PIXELS);
  await forEachChunk(
    arch,
    images,
    count,
    EVAL_BATCH,
    (x) => asTensor(model.apply(x, { training: false })),
    (values, start) => out.set(values, start * IMAGE_PIXELS),
  );
  return out;
}

/**
 * Mean squared error of each image's reconstruction (count values) against the clean image, for finding the
 * worst-reconstructed digits and labelling the gallery. `inputs` (same layout as `images`) are what the model
 * is given instead, e.g. a denoising run's noisy test images; by default the images themselves.
 */
export async function perImageMse(model: tf.LayersModel, arch: ArchId, images: Float32Array, count: number, inputs?: Float32Array): Promise<Float32Array> {
  checkImageSet({ images, count }, 'perImageMse');
  if (inputs) checkImageSet({ images: inputs, count }, 'perImageMse inputs');
  const out = new Float32Array(count);
  await forEachChunk(
    arch,
    inputs ?? images,
    count,
    EVAL_BATCH,
    (given, size, start) => {
      const clean = inputs ? tf.tensor(images.subarray(start * IMAGE_PIXELS, (start + size) * IMAGE_PIXELS), given.shape) : given;
      return tf.mean(tf.reshape(tf.squaredDifference(asTensor(model.apply(given, { training: false })), clean), [size, IMAGE_PIXELS]), 1);
    },
    (values, start) => out.set(values, start),
  );
  return out;
}
