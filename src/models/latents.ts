/**
 * Latent vectors (the bottleneck: 64 numbers at the reference code size, `latentDim` in general) of many images, and images decoded from latent vectors —
 * through the encoder/decoder halves of a trained autoencoder (see `splitAutoencoder`).
 */
import type { JobHooks } from '../analysis/job';
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS, inputShapeOf, latentDimOf, type ArchId } from './architectures';
import { asTensor } from './tensors';
import { yieldToEventLoop } from '../analysis/yield';
import { encoderPlan } from './encoder-plan';
import type { LatentHelper } from './latent-helper';
import { SparseEncoder } from './sparse-encoder';

/** Images per forward pass: large enough to keep the backend busy, small enough for any GPU. */
export const LATENT_BATCH = 2000;

/**
 * How long the helper thread may take for a batch before its batch is encoded here: this many times what the
 * same-sized local batch took, plus a grace for the first batch (the helper compiles its kernel then).
 */
const HELPER_PATIENCE = 20;
const HELPER_GRACE_MS = 5000;

/** Progress and cancellation hooks for {@link extractLatents}. */
export interface LatentCallbacks extends Omit<JobHooks<never>, 'onProgress'> {
  onProgress?(done: number, total: number): void;
  /** polled between batches; a stop returns null */
  shouldStop?(): boolean;
}

/**
 * How latent vectors were computed: 'sparse' by this project's zero-skipping CPU kernel (./sparse-encoder),
 * 'tfjs' by the model on the tfjs backend.
 */
export type LatentMethod = 'sparse' | 'tfjs';

/** What {@link extractLatents} computed. */
export interface EncodedLatents {
  /** count × d row-major (d: the encoder's code width, `latentDimOf`) */
  latents: Float32Array;
  method: LatentMethod;
  /** threads that encoded: 2 when a helper thread took batches (sparse method only) */
  threads: number;
}

/**
 * Below this share of zero pixels the sparse kernel loses to tfjs's dense product (Node, one thread each,
 * 10,000 images through the dense encoder: 413 vs 316 ms with no zeros, 221 vs 310 ms at half, 100 vs 338 ms
 * at MNIST's 81%), so images with fewer zeros (a person's own data) go through tfjs.
 */
export const SPARSE_MIN_ZERO_SHARE = 0.25;

/** Share of exactly-zero values among every 7th of the first `LATENT_BATCH` images' pixels. */
function zeroShare(images: Float32Array, count: number): number {
  const end = Math.min(count, LATENT_BATCH) * IMAGE_PIXELS;
  let zeros = 0;
  let seen = 0;
  for (let i = 0; i < end; i += 7, seen++) if (images[i] === 0) zeros++;
  return seen > 0 ? zeros / seen : 0;
}

/**
 * The sparse kernel where the model runs on the CPU (the wasm and cpu backends), its layers are ones the
 * kernel knows and the images have enough zeros to gain from it; null on GPU backends, which multiply dense
 * matrices faster than any CPU kernel.
 */
function sparseEncoderFor(encoder: tf.LayersModel, arch: ArchId, images: Float32Array, count: number): SparseEncoder | null {
  const backend = tf.getBackend();
  if (backend !== 'wasm' && backend !== 'cpu') return null;
  if (zeroShare(images, count) < SPARSE_MIN_ZERO_SHARE) return null;
  const plan = encoderPlan(encoder, arch);
  if (!plan) return null;
  // A finished job's runner, taken (so a job running meanwhile cannot load other weights into it) and reused
  // when the shapes match: its kernel memory is allocated and faulted in once.
  const idle = idleSparseEncoder;
  idleSparseEncoder = null;
  return SparseEncoder.reuse(idle, plan);
}

/** The runner of the last finished latents job on the CPU, kept for the next (see sparseEncoderFor). */
let idleSparseEncoder: SparseEncoder | null = null;

/**
 * Encodes `count` images in batches, yielding to the event loop between batches so a cancel can arrive.
 * With the sparse kernel and a `helper` thread, batches go in pairs: the helper encodes the second of each
 * pair while this thread encodes the first (the same codes as on one thread). A helper that fails is dropped
 * and its batch encoded here.
 * @param images count × 784 row-major, pixels in [0, 1]
 * @returns the latents and how they were computed, or null when stopped
 */
export async function extractLatents(
  encoder: tf.LayersModel,
  arch: ArchId,
  images: Float32Array,
  count: number,
  callbacks: LatentCallbacks = {},
  helper: LatentHelper | null = null,
): Promise<EncodedLatents | null> {
  const dim = latentDimOf(encoder);
  const out = new Float32Array(count * dim);
  const shape = inputShapeOf(arch);
  const sparse = sparseEncoderFor(encoder, arch, images, count);
  const batchOf = (start: number) => images.subarray(start * IMAGE_PIXELS, Math.min(count, start + LATENT_BATCH) * IMAGE_PIXELS);
  // The helper holds one plan at a time: a job running meanwhile (a run's figures) goes without it.
  let partner = sparse && count > LATENT_BATCH && helper?.acquire() ? helper : null;
  const loaded = partner;
  let helped = false;
  if (loaded && sparse) loaded.load(sparse.plan);
  try {
    for (let start = 0; start < count; ) {
      if (callbacks.shouldStop?.()) return null;
      const size = Math.min(LATENT_BATCH, count - start);
      const next = start + size;
      const nextSize = Math.min(LATENT_BATCH, count - next);
      const remote = partner && nextSize > 0 ? partner.encode(batchOf(next), nextSize) : null;
      const localStarted = performance.now();
      if (sparse) {
        sparse.encode(batchOf(start), size, out.subarray(start * dim));
      } else {
        const codes = tf.tidy(() => asTensor(encoder.apply(tf.tensor(batchOf(start), [size, ...shape]), { training: false })));
        // Async read: on WebGL this lets the GPU finish without blocking the worker's event loop.
        out.set(await codes.data(), start * dim);
        codes.dispose();
      }
      let done = next;
      if (remote && sparse) {
        // A helper that stops answering (a crashed thread sends nothing) costs one deadline, not the job.
        const deadline = HELPER_PATIENCE * (performance.now() - localStarted) + HELPER_GRACE_MS;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('the latents helper did not answer in time')), deadline);
        });
        try {
          out.set(await Promise.race([remote, late]), next * dim);
          helped = true;
        } catch (error) {
          partner?.giveUp(error instanceof Error ? error : new Error(String(error)));
          partner = null;
          sparse.encode(batchOf(next), nextSize, out.subarray(next * dim));
        } finally {
          clearTimeout(timer);
        }
        done = next + nextSize;
      }
      callbacks.onProgress?.(done, count);
      await yieldToEventLoop();
      start = done;
    }
  } finally {
    loaded?.release();
    if (sparse) idleSparseEncoder = sparse;
  }
  return { latents: out, method: sparse ? 'sparse' : 'tfjs', threads: helped ? 2 : 1 };
}

/**
 * Decodes latent vectors into images.
 * @param codes count × d row-major, d the decoder's input width (the run's code size)
 * @returns count × 784 row-major, pixels in [0, 1]
 */
export async function decodeLatents(decoder: tf.LayersModel, codes: Float32Array, count: number): Promise<Float32Array> {
  const dim = decoder.inputs[0].shape[1];
  if (typeof dim !== 'number') throw new Error(`Decoder '${decoder.name}' takes codes of unknown width`);
  if (codes.length !== count * dim) throw new Error(`${codes.length} numbers are not ${count} codes of ${dim}`);
  const images = tf.tidy(() => tf.reshape(asTensor(decoder.apply(tf.tensor2d(codes, [count, dim]), { training: false })), [count, IMAGE_PIXELS]));
  try {
    // Async: tfjs-webgpu's synchronous read returns zeros on software adapters and loses the device.
    return (await images.data()) as Float32Array;
  } finally {
    images.dispose();
  }
}
