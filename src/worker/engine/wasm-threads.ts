/**
 * XNNPACK thread count for tfjs-backend-wasm.
 *
 * tfjs-backend-wasm 4.22 caps its thread pool at `navigator.hardwareConcurrency / 2` whatever
 * `setThreadsCount` asks (backend.cc: `min(requested, num_cores)` with `num_cores = logical / 2`;
 * tensorflow/tfjs#8513). On a 2-core machine without SMT that is one thread: half the CPU idles while
 * training and encoding. Measured here (Chromium 156, 60,000 images through the dense encoder, batch
 * 2,000): 2.3 s on the capped single thread, 1.3 s on two.
 */
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/** tfjs-backend-wasm pre-creates 8 pthread workers; more threads than that would wait forever. */
const WASM_PTHREAD_POOL = 8;

/**
 * Threads for a machine with `logicalCores` logical cores: all of them on small machines (a 2- or 4-core
 * machine rarely has SMT siblings, and halving leaves real cores idle), half on larger ones (tfjs's own
 * guess that logical cores come in SMT pairs), never more than the pre-created pool.
 */
export function wasmThreadCount(logicalCores: number): number {
  const cores = Number.isFinite(logicalCores) && logicalCores >= 1 ? Math.floor(logicalCores) : 1;
  return Math.min(WASM_PTHREAD_POOL, cores <= 4 ? cores : Math.ceil(cores / 2));
}

/**
 * Runs `start` (the WASM backend's initialisation) so that XNNPACK gets `requested` threads (default
 * {@link wasmThreadCount}):
 * the module reads `navigator.hardwareConcurrency` once while it instantiates, so for that moment this
 * worker's navigator reports twice the wanted count; the real value comes back afterwards.
 */
export async function withWasmThreads<T>(start: () => Promise<T>, requested?: number): Promise<T> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency: number } }).navigator;
  if (!nav) return start();
  const threads = requested === undefined ? wasmThreadCount(nav.hardwareConcurrency) : Math.max(1, Math.min(WASM_PTHREAD_POOL, Math.floor(requested)));
  setThreadsCount(threads);
  const own = Object.getOwnPropertyDescriptor(nav, 'hardwareConcurrency');
  try {
    Object.defineProperty(nav, 'hardwareConcurrency', { get: () => threads * 2, configurable: true });
  } catch {
    return start(); // a navigator that refuses the override keeps tfjs's default
  }
  try {
    return await start();
  } finally {
    if (own) Object.defineProperty(nav, 'hardwareConcurrency', own);
    else Reflect.deleteProperty(nav, 'hardwareConcurrency');
  }
}
