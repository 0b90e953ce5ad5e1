/**
 * WebGPU in Node through Dawn (`dawn.node` from the npm package `webgpu`), registered as tfjs's `webgpu`
 * backend. tfjs-backend-webgpu registers itself only when `navigator.gpu` exists at import time, which it
 * never does in Node, so the kit asks Dawn for an adapter itself (reporting every attempt, for a machine
 * where none is found) and registers the backend with that adapter's device, with the limits and features
 * tfjs's own registration would ask for.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

/** The two exports of dawn.node. */
interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

function isDawnModule(value: unknown): value is DawnModule {
  return (
    typeof value === 'object' &&
    value !== null &&
    'create' in value &&
    typeof value.create === 'function' &&
    'globals' in value &&
    typeof value.globals === 'object'
  );
}

/** GPUAdapterInfo's fields as plain data (Dawn's object has getters that JSON.stringify skips). */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for a software adapter (SwiftShader, lavapipe): its speed says nothing about a GPU. */
  isFallbackAdapter: boolean | null;
  features: string[];
  limits: Record<string, number>;
}

/** One `create(flags)` + `requestAdapter(options)` attempt. */
export interface AdapterAttempt {
  flags: string[];
  powerPreference: 'high-performance' | null;
  result: 'adapter' | 'null' | 'error';
  error?: string;
}

/** Everything the kit learned while looking for an adapter. */
export interface DawnReport {
  dawnPath: string;
  attempts: AdapterAttempt[];
  adapter: AdapterReport | null;
  /** Dawn's list of adapters, from asking it for one that does not exist (it names the ones it has). */
  availableAdapters: string | null;
  env: Record<string, string | null>;
}

/** Limits tfjs-backend-webgpu raises to the adapter's maxima when it creates its device. */
const RAISED_LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
] as const;

const ENV_KEYS = ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES', 'VK_LOADER_DEBUG', 'LD_LIBRARY_PATH', 'DISPLAY', 'NVIDIA_VISIBLE_DEVICES'];

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function readInfo(adapter: GPUAdapter): AdapterReport {
  // Newer Dawn has `adapter.info`; the @webgpu/types tfjs ships predates it, hence the guard.
  const info: unknown = 'info' in adapter ? adapter.info : null;
  const field = (name: string): string => {
    if (typeof info !== 'object' || info === null || !(name in info)) return '';
    return String((info as Record<string, unknown>)[name]);
  };
  const fallback = typeof info === 'object' && info !== null && 'isFallbackAdapter' in info ? Boolean(info.isFallbackAdapter) : null;
  const limits: Record<string, number> = {};
  for (const key of RAISED_LIMITS) limits[key] = adapter.limits[key];
  return {
    vendor: field('vendor'),
    architecture: field('architecture'),
    device: field('device'),
    description: field('description'),
    isFallbackAdapter: fallback,
    features: [...adapter.features].map(String).sort(),
    limits,
  };
}

/**
 * Loads dawn.node from `dawnPath`, installs its globals (GPUBufferUsage etc., which tfjs reads as globals)
 * and looks for an adapter: first with `flags` and powerPreference 'high-performance' (what tfjs asks
 * for), then without a preference, then with backend=vulkan. Returns the adapter found (or null) and a
 * report of every attempt. The returned `gpu` must stay referenced while the adapter is in use.
 */
export async function findAdapter(
  dawnPath: string,
  flags: readonly string[],
): Promise<{ adapter: GPUAdapter | null; gpu: GPU | null; report: DawnReport }> {
  const env: Record<string, string | null> = {};
  for (const key of ENV_KEYS) env[key] = process.env[key] ?? null;
  const report: DawnReport = { dawnPath, attempts: [], adapter: null, availableAdapters: null, env };
  const loaded: unknown = createRequire(import.meta.url)(dawnPath);
  if (!isDawnModule(loaded)) throw new Error(`${dawnPath} does not export create() and globals`);
  Object.assign(globalThis, loaded.globals);

  const flagSets = [[...flags]];
  if (!flags.some((f) => f.startsWith('backend='))) flagSets.push([...flags, 'backend=vulkan']);
  for (const flagSet of flagSets) {
    for (const powerPreference of ['high-performance', null] as const) {
      const attempt: AdapterAttempt = { flags: flagSet, powerPreference, result: 'null' };
      report.attempts.push(attempt);
      try {
        const gpu = loaded.create(flagSet);
        const adapter = await gpu.requestAdapter(powerPreference === null ? undefined : { powerPreference });
        if (adapter !== null) {
          attempt.result = 'adapter';
          report.adapter = readInfo(adapter);
          return { adapter, gpu, report };
        }
      } catch (e) {
        attempt.result = 'error';
        attempt.error = errorText(e);
      }
    }
  }
  // Dawn answers a request for an adapter it lacks with the list of those it has.
  try {
    await loaded.create([...flags, 'adapter=kit-lists-adapters']).requestAdapter();
    report.availableAdapters = 'no error: Dawn did not list its adapters';
  } catch (e) {
    report.availableAdapters = errorText(e);
  }
  return { adapter: null, gpu: null, report };
}

/**
 * Makes `gpu` visible as `navigator.gpu`: WebGPUBackend's constructor refuses to run without it. Node 20 has
 * no `navigator`; Node 21+ has one without `gpu`.
 */
function exposeNavigatorGpu(gpu: GPU): void {
  const holder: unknown = Reflect.get(globalThis, 'navigator');
  if (typeof holder === 'object' && holder !== null) {
    Object.defineProperty(holder, 'gpu', { value: gpu, configurable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
}

/**
 * Registers tfjs's `webgpu` backend on `adapter` (as tfjs-backend-webgpu's own registration would: the
 * timestamp-query feature if offered, the adapter's maxima for the limits tfjs uses) and makes it current.
 * `gpu` is the Dawn instance the adapter came from.
 */
export async function useWebGpuBackend(adapter: GPUAdapter, gpu: GPU): Promise<void> {
  exposeNavigatorGpu(gpu);
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const requiredLimits: Record<string, number> = {};
  for (const key of RAISED_LIMITS) requiredLimits[key] = adapter.limits[key];
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  const info: unknown = 'info' in adapter ? adapter.info : undefined;
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, info as GPUAdapterInfo | undefined), 3);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not initialise the webgpu backend');
}
