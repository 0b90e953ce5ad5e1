/**
 * Latent vectors (the bottleneck: 64 numbers at the reference code size, `latentDim` in general) of many images, and images decoded from latent vectors —
 * through the encoder/decoder halves of a trained autoencoder (see `splitAutoencoder`).
 */
import type { JobHooks } from '../analysis/job';
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS, inputShapeOf, latentDimOf, type ArchId } from './architectures';
import { asTensor } from './tensors';
import { yieldToEventLoop } from '../analysis/yield';
import { encoderPlan, SparseEncoder } from './sparse-encoder';

/** Images per forward pass: large enough to keep the backend busy, small enough for any GPU. */
export const LATENT_BATCH = 2000;

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
}

/**
 * The sparse kernel where the model runs on the CPU (the wasm and cpu backends) and its layers are ones the
 * kernel knows; null on GPU backends, which multiply dense matrices faster than any CPU kernel.
 */
function sparseEncoderFor(encoder: tf.LayersModel, arch: ArchId): SparseEncoder | null {
  const backend = tf.getBackend();
  if (backend !== 'wasm' && backend !== 'cpu') return null;
  const plan = encoderPlan(encoder, arch);
  return plan ? SparseEncoder.create(plan, LATENT_BATCH) : null;
}

/**
 * Encodes `count` images in batches, yielding to the event loop between batches so a cancel can arrive.
 * @param images count × 784 row-major, pixels in [0, 1]
 * @returns the latents and how they were computed, or null when stopped
 */
export async function extractLatents(
  encoder: tf.LayersModel,
  arch: ArchId,
  images: Float32Array,
  count: number,
  callbacks: LatentCallbacks = {},
): Promise<EncodedLatents | null> {
  const dim = latentDimOf(encoder);
  const out = new Float32Array(count * dim);
  const shape = inputShapeOf(arch);
  const sparse = sparseEncoderFor(encoder, arch);
  for (let start = 0; start < count; start += LATENT_BATCH) {
    if (callbacks.shouldStop?.()) return null;
    const size = Math.min(LATENT_BATCH, count - start);
    const batch = images.subarray(start * IMAGE_PIXELS, (start + size) * IMAGE_PIXELS);
    if (sparse) {
      sparse.encode(batch, size, out.subarray(start * dim));
    } else {
      const codes = tf.tidy(() => asTensor(encoder.apply(tf.tensor(batch, [size, ...shape]), { training: false })));
      // Async read: on WebGL this lets the GPU finish without blocking the worker's event loop.
      out.set(await codes.data(), start * dim);
      codes.dispose();
    }
    callbacks.onProgress?.(start + size, count);
    await yieldToEventLoop();
  }
  return { latents: out, method: sparse ? 'sparse' : 'tfjs' };
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
