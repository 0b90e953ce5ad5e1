import { afterEach, describe, expect, it } from 'vitest';
import { wasmThreadCount, withWasmThreads } from '../../src/worker/engine/wasm-threads';

describe('WASM thread count', () => {
  it('uses every core on small machines and half on large ones, within the 8-worker pool', () => {
    expect([1, 2, 3, 4].map(wasmThreadCount)).toEqual([1, 2, 3, 4]);
    expect([6, 8, 12, 16, 32].map(wasmThreadCount)).toEqual([3, 4, 6, 8, 8]);
  });

  it('falls back to one thread when the core count is unknown', () => {
    expect(wasmThreadCount(Number.NaN)).toBe(1);
    expect(wasmThreadCount(0)).toBe(1);
  });
});

describe('withWasmThreads', () => {
  const original = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  afterEach(() => {
    if (original) Object.defineProperty(globalThis, 'navigator', original);
    else Reflect.deleteProperty(globalThis, 'navigator');
  });

  function fakeNavigator(cores: number): { hardwareConcurrency: number } {
    const nav = { hardwareConcurrency: cores };
    Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
    return nav;
  }

  it('shows the WASM module twice the wanted threads while it starts (tfjs halves it), then the truth', async () => {
    const nav = fakeNavigator(2);
    const seen = await withWasmThreads(async () => nav.hardwareConcurrency);
    expect(seen).toBe(4);
    expect(nav.hardwareConcurrency).toBe(2);
  });

  it('honours an explicit request, clamped to the pool, and restores the navigator when start fails', async () => {
    const nav = fakeNavigator(2);
    expect(await withWasmThreads(async () => nav.hardwareConcurrency, 1)).toBe(2);
    expect(await withWasmThreads(async () => nav.hardwareConcurrency, 64)).toBe(16);
    await expect(withWasmThreads(() => Promise.reject(new Error('no wasm')))).rejects.toThrow('no wasm');
    expect(nav.hardwareConcurrency).toBe(2);
  });
});
