/**
 * Access to tfjs-backend-wasm's memory for this project's own kernels (./wasm-weight-gradient, ./wasm-elementwise):
 * they are instantiated on the backend's WebAssembly.Memory (shared in its threaded build) and read and
 * write tensors where tfjs keeps them, with no copies. Uses parts of the backend object that are not in its
 * typed API, checked at run time.
 */
import type * as tf from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm's backend object used here. */
export interface WasmBackendInternals {
  wasm: { wasmMemory?: unknown; asm?: { memory?: unknown } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

function isWasmBackendInternals(backend: unknown): backend is WasmBackendInternals {
  if (typeof backend !== 'object' || backend === null) return false;
  const b = backend as Partial<WasmBackendInternals>;
  return typeof b.wasm === 'object' && b.wasm !== null && typeof b.dataIdMap?.get === 'function' && typeof b.makeOutput === 'function';
}

/** The backend's memory: `wasmMemory` in the threaded build, the module's exported memory otherwise. */
function memoryOf(backend: WasmBackendInternals): WebAssembly.Memory | null {
  const candidate = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  return candidate instanceof WebAssembly.Memory ? candidate : null;
}

/** The memory of tfjs-backend-wasm's backend object `backend`, or null for another backend. */
export function wasmBackendMemory(backend: unknown): WebAssembly.Memory | null {
  return isWasmBackendInternals(backend) ? memoryOf(backend) : null;
}

/**
 * One kind of kernels per backend instance (a page has one backend; tests may make several), instantiated on
 * its memory at first use; null where they cannot run (not the wasm backend, no WebAssembly SIMD).
 */
export class BackendKernels<E> {
  private readonly byBackend = new WeakMap<object, E | null>();

  constructor(private readonly instantiate: (memory: WebAssembly.Memory) => E | null) {}

  on(backend: unknown): { internals: WasmBackendInternals; kernels: E } | null {
    if (!isWasmBackendInternals(backend)) return null;
    let kernels = this.byBackend.get(backend);
    if (kernels === undefined) {
      const memory = memoryOf(backend);
      kernels = memory ? this.instantiate(memory) : null;
      this.byBackend.set(backend, kernels);
    }
    return kernels === null ? null : { internals: backend, kernels };
  }
}

/**
 * A tensor's byte address in the backend's memory. Take it after every allocation of the kernel call: an
 * allocation may grow the memory (addresses stay valid; views would not).
 */
export function offsetOf(internals: WasmBackendInternals, info: tf.TensorInfo, kernelName: string): number {
  const entry = internals.dataIdMap.get(info.dataId);
  if (entry === undefined) throw new Error(`${kernelName}: a tensor has no data on the wasm backend`);
  return entry.memoryOffset;
}
