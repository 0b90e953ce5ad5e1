import * as tf from '@tensorflow/tfjs';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendName, BackendReport } from '../protocol';

/** Fastest first where a GPU exists; WASM (SIMD) beats plain JS everywhere. */
export const BACKEND_ORDER: readonly BackendName[] = ['webgl', 'wasm', 'cpu'];

/** WEBGL_debug_renderer_info's enum: the real renderer name, e.g. "ANGLE (… SwiftShader …)". */
const UNMASKED_RENDERER_WEBGL = 0x9246;

let wasmPathsSet = false;

/**
 * Activates the first backend of `BACKEND_ORDER` (or `preferred`, tried first) that initialises,
 * and says why each one before it was skipped. `tf.setBackend` resolves `false` instead of throwing
 * when a backend cannot start, so both outcomes are handled.
 */
export async function selectBackend(preferred?: BackendName): Promise<BackendReport> {
  if (!wasmPathsSet) {
    setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlainUrl,
      'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
    });
    wasmPathsSet = true;
  }
  const order = preferred ? [preferred, ...BACKEND_ORDER.filter((b) => b !== preferred)] : [...BACKEND_ORDER];
  const skipped: BackendReport['skipped'] = [];
  for (const name of order) {
    let ok = false;
    let reason = 'failed to initialise';
    try {
      ok = await tf.setBackend(name);
      if (ok) await tf.ready();
    } catch (error) {
      ok = false;
      reason = error instanceof Error ? error.message : String(error);
    }
    if (ok) return { name, detail: describeBackend(name), skipped };
    if (name === 'webgl' && typeof OffscreenCanvas === 'undefined') reason = 'this browser has no OffscreenCanvas in workers';
    skipped.push({ name, reason });
  }
  throw new Error(`No TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

function describeBackend(name: BackendName): string {
  switch (name) {
    case 'webgl': {
      const backend = tf.backend() as MathBackendWebGL;
      const gl = backend.gpgpu.gl;
      const debugInfo = gl.getExtension('WEBGL_debug_renderer_info');
      const renderer = String(gl.getParameter(debugInfo ? UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      const software = /swiftshader|llvmpipe|software/i.test(renderer);
      return `WebGL ${tf.env().getNumber('WEBGL_VERSION')} · ${software ? 'software renderer (no GPU)' : renderer}`;
    }
    case 'wasm': {
      const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
      const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
      return `WebAssembly${simd ? ' · SIMD' : ''}${threads ? ' · threads' : ''}`;
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
