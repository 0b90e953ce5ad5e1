import { IMAGE_PIXELS } from '../../data/mnist-shape';
import { errorMessage } from '../../errors';
import * as tf from '@tensorflow/tfjs';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import '@tensorflow/tfjs-backend-webgpu';
import { mulberry32 } from '../../analysis/rng';
import { buildAutoencoder } from '../../models/architectures';
// Registers Identity without a copy on wasm: tfjs clones every tensor a gradient keeps (see the module).
import '../../models/wasm-identity';
// Registers Transpose by a block-copy kernel on wasm (tfjs-wasm's moves one element at a time; see the module).
import '../../models/wasm-transpose';
import { trainAutoencoder } from '../../models/train';
import { gradientControl, GradientSplitter } from '../../models/gradient-split';
import { gradientHelperTarget, hasGradientHelper, useGradientHelper } from '../../models/wasm-weight-gradient';
import type { BackendName, BackendReport, GradientHelperRequest } from '../protocol';
import { withWasmThreads } from './wasm-threads';

/** The order tried when one backend is asked for and fails; WASM (SIMD) beats plain JS everywhere. */
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** Backends worth a warm-up: plain JS is never the fastest where any of these starts. */
const PROBED: readonly BackendName[] = ['webgpu', 'webgl', 'wasm'];

/** Warm-up workload: dense autoencoder steps at this batch size, the first one untimed (compilation). */
const PROBE_BATCH = 128;
const PROBE_TIMED_STEPS = 3;

/** WEBGL_debug_renderer_info's enum: the real renderer name, e.g. "ANGLE (… SwiftShader …)". */
const UNMASKED_RENDERER_WEBGL = 0x9246;

let wasmPathsSet = false;
/** XNNPACK threads asked for by the page (`?threads=`); undefined: wasmThreadCount's default */
let wasmThreadsWanted: number | undefined;

/**
 * Starts the weight-gradient helper thread (models/gradient-split) for the wasm backend just started, where it
 * runs threaded (XNNPACK on two or more threads, so a second core is there) on shared memory. It sleeps in
 * Atomics.wait between a step's gradients, and stays for the worker's life (another backend never wakes it).
 */
function startGradientHelper(): void {
  const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? getThreadsCount() : 1;
  const target = gradientHelperTarget();
  if (threads < 2 || target === null || hasGradientHelper(target.memory)) return;
  const control = gradientControl();
  const worker = new Worker(new URL('../gradient.worker.ts', import.meta.url), { type: 'module', name: 'weight-gradients' });
  const message: GradientHelperRequest = { type: 'serveGradients', memory: target.memory, control, variant: target.variant };
  worker.postMessage(message);
  useGradientHelper(target.memory, new GradientSplitter(control));
}

/** Starts a backend; `tf.setBackend` resolves false instead of throwing when it cannot, so both are handled. */
async function tryBackend(name: BackendName): Promise<string | null> {
  try {
    const started = name === 'wasm' ? await withWasmThreads(() => tf.setBackend(name), wasmThreadsWanted) : await tf.setBackend(name);
    if (started) {
      await tf.ready();
      if (name === 'wasm') startGradientHelper();
      return null;
    }
  } catch (error) {
    return errorMessage(error);
  }
  if (name === 'webgl' && typeof OffscreenCanvas === 'undefined') return 'this browser has no OffscreenCanvas in workers';
  if (name === 'webgpu') return 'this browser offers no WebGPU adapter (no GPU, or WebGPU is off)';
  return 'failed to initialise';
}

/**
 * Training samples per second of a few dense-autoencoder steps on the active backend, after one
 * untimed step (shader compilation, kernel set-up). Disposes everything it makes.
 */
async function probeSamplesPerSecond(): Promise<number> {
  const rng = mulberry32(7);
  const count = PROBE_BATCH * (PROBE_TIMED_STEPS + 1);
  const images = Float32Array.from({ length: count * IMAGE_PIXELS }, () => rng());
  const model = buildAutoencoder('dense', 0);
  const stamps: number[] = [];
  try {
    await trainAutoencoder(
      model,
      'dense',
      { images, count },
      { images: images.subarray(0, IMAGE_PIXELS), count: 1 },
      { epochs: 1, batchSize: PROBE_BATCH, learningRate: 1e-3, seed: 0 },
      { onBatch: () => stamps.push(performance.now()) },
    );
  } finally {
    model.dispose();
  }
  const seconds = ((stamps.at(-1) ?? 0) - stamps[0]) / 1000;
  return seconds > 0 ? (PROBE_TIMED_STEPS * PROBE_BATCH) / seconds : 0;
}

/**
 * Chooses the backend. Without a preference, every backend that starts gets a short warm-up and the
 * fastest wins — a fixed order would put software WebGL (no GPU) ahead of WASM, which is several times
 * faster on such machines. With a preference (`?backend=` in the page URL), that one is tried first and
 * the rest follow `BACKEND_ORDER`. The report says why each other backend was not chosen.
 */
export async function selectBackend(preferred?: BackendName, wasmThreads?: number): Promise<BackendReport> {
  setWasmPathsOnce();
  wasmThreadsWanted = wasmThreads;
  if (preferred) return firstThatStarts([preferred, ...BACKEND_ORDER.filter((b) => b !== preferred)]);
  const measured: { name: BackendName; samplesPerSec: number }[] = [];
  const skipped: BackendReport['skipped'] = [];
  for (const name of PROBED) {
    const failure = await tryBackend(name);
    if (failure) {
      skipped.push({ name, reason: failure });
      continue;
    }
    if (name === 'webgl' && isSoftwareWebGL()) {
      // A software rasteriser runs shaders on the CPU: it cannot beat WASM SIMD, and warming it up
      // (compiling every shader) costs seconds. Measured here: 321 vs 3,493 samples/s.
      skipped.push({ name, reason: 'software renderer (no GPU): slower than WebAssembly, so not measured' });
      continue;
    }
    try {
      measured.push({ name, samplesPerSec: await probeSamplesPerSecond() });
    } catch (error) {
      skipped.push({ name, reason: `its warm-up failed: ${errorMessage(error)}` });
    }
  }
  if (measured.length === 0) return firstThatStarts(['cpu'], skipped);
  measured.sort((a, b) => b.samplesPerSec - a.samplesPerSec);
  const [best, ...slower] = measured;
  for (const other of slower) {
    skipped.push({ name: other.name, reason: `warm-up ${Math.round(other.samplesPerSec)} samples/s, slower than ${best.name} (${Math.round(best.samplesPerSec)})` });
  }
  skipped.push({ name: 'cpu', reason: `plain JavaScript is slower than ${best.name}` });
  await tf.setBackend(best.name);
  const speeds = measured.map((m) => `${m.name} ${Math.round(m.samplesPerSec).toLocaleString('en')}`).join(', ');
  return { name: best.name, detail: `${describeBackend(best.name)} · fastest in a warm-up (${speeds} samples/s)`, skipped, warmupSamplesPerSec: best.samplesPerSec };
}

async function firstThatStarts(order: readonly BackendName[], skipped: BackendReport['skipped'] = []): Promise<BackendReport> {
  for (const name of order) {
    const failure = await tryBackend(name);
    if (!failure) return { name, detail: describeBackend(name), skipped };
    skipped.push({ name, reason: failure });
  }
  throw new Error(`No TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

// WEBGL_USE_SHAPES_UNIFORMS stays off (tfjs 4.22's default), though it spares shader compiles: with it, WebGL
// programs take tensor shapes as uniforms, and 2 epochs on 2,000 images (a shorter last batch, the test set in
// batches of 1,000) compiled 76 programs instead of 166 for dense, 190 instead of 374 for CNN · ELU. But some
// of those programs compute wrong numbers. scripts/probes/webgl-flag.mjs runs each kernel with the flag on and
// off on the same inputs (SwiftShader WebGL 2, 2026-12-05): Step on [50176, 32] (the ReLU gradient's mask)
// flipped values by 1, Sum over [50176, 4] (a bias gradient) was off by 6e-3 of ~5e-2, the ELU-fused matmul
// [49000, 64] × [64, 128] by 7e-2 of 5e-2; CNN · ELU then ended at test MSE 0.220 instead of 0.086.

function setWasmPathsOnce(): void {
  if (!wasmPathsSet) {
    setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlainUrl,
      'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
    });
    wasmPathsSet = true;
  }
}

function webglRenderer(): string {
  const gl = (tf.backend() as MathBackendWebGL).gpgpu.gl;
  const debugInfo = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(debugInfo ? UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

/** True when the active WebGL backend renders in software (SwiftShader, llvmpipe): no GPU behind it. */
function isSoftwareWebGL(): boolean {
  return /swiftshader|llvmpipe|software/i.test(webglRenderer());
}

function describeBackend(name: BackendName): string {
  switch (name) {
    case 'webgl':
      return `WebGL ${tf.env().getNumber('WEBGL_VERSION')} · ${isSoftwareWebGL() ? 'software renderer (no GPU)' : webglRenderer()}`;
    case 'wasm': {
      const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
      const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? getThreadsCount() : 1;
      return `WebAssembly${simd ? ' · SIMD' : ''}${threads > 1 ? ` · ${threads} threads` : ''}`;
    }
    case 'webgpu':
      return 'WebGPU';
    case 'cpu':
      return 'plain JavaScript';
    default: {
      const unreachable: never = name;
      return unreachable;
    }
  }
}

/** Set once the WebGPU device reports itself lost (driver reset, GPU removed, tab backgrounded too long). */
let webgpuLost = false;
const watchedDevices = new WeakSet<object>();

/** The GPU handles of the active backend, read structurally: tfjs types them only on its backend classes. */
function activeGpu(): { gl?: WebGLRenderingContext | WebGL2RenderingContext; device?: { lost?: Promise<unknown> } } {
  const backend = tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext }; device?: { lost?: Promise<unknown> } };
  return { gl: backend.gpgpu?.gl, device: backend.device };
}

/**
 * True when the active backend's GPU is gone: a lost WebGL context (tfjs then computes garbage or throws
 * on its next draw) or a lost WebGPU device. Cheap enough to ask after every training batch.
 */
export function gpuLost(): boolean {
  const name = tf.getBackend();
  if (name === 'webgl') return activeGpu().gl?.isContextLost() ?? false;
  if (name === 'webgpu') {
    const device = activeGpu().device;
    if (device?.lost && !watchedDevices.has(device)) {
      watchedDevices.add(device);
      void device.lost.then(() => (webgpuLost = true));
    }
    return webgpuLost;
  }
  return false;
}

/**
 * After a lost GPU: moves tfjs to the next backend that starts (WASM, else plain JS). Every tensor of the
 * lost backend is unusable afterwards; callers rebuild what they need from host copies.
 */
export async function fallBackFromLostGpu(): Promise<BackendReport> {
  const lost = tf.getBackend();
  const order = BACKEND_ORDER.filter((name) => name === 'wasm' || name === 'cpu');
  // The lost backend stays registered: tensors still on it (the old models) must dispose through it.
  return firstThatStarts(order, [{ name: lost as BackendName, reason: 'its GPU context was lost during this session' }]);
}

/**
 * A promise that rejects when the active backend's GPU is lost (WebGL `webglcontextlost`, WebGPU
 * `device.lost`), for racing waits that a lost GPU would leave pending forever. Never settles on the CPU
 * backends. `release` removes the listener.
 */
export function whenGpuLost(): { lost: Promise<never>; release(): void } {
  const { gl, device } = tf.getBackend() === 'webgl' || tf.getBackend() === 'webgpu' ? activeGpu() : {};
  let release = () => {};
  const lost = new Promise<never>((_, reject) => {
    const fail = () => reject(new Error('The GPU context was lost.'));
    if (gl?.isContextLost() === true) return fail();
    // tfjs draws into an OffscreenCanvas here; the worker's DOM types leave `canvas` off the context.
    const canvas = (gl as unknown as { canvas?: EventTarget } | undefined)?.canvas;
    if (canvas) {
      canvas.addEventListener('webglcontextlost', fail);
      release = () => canvas.removeEventListener('webglcontextlost', fail);
    }
    void device?.lost?.then(fail);
  });
  // Nobody may be waiting at the moment it rejects; that is not an error.
  lost.catch(() => undefined);
  return { lost, release: () => release() };
}
