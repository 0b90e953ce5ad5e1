/// <reference lib="webworker" />
/**
 * The engine worker: a thin dispatcher from page messages to `Engine`. Heavy work (data parsing,
 * training) happens here so the page never freezes. MNIST downloads start, and are cancelled, the moment
 * their requests arrive; the large tfjs bundle loads after the first download (see TFJS_WAIT_LIMIT_MS).
 */
import { errorMessage } from '../errors';
import { MnistLoader } from './engine/data-loading';
import type { Engine } from './engine/engine';
import { MNIST_INITIAL_JOB_ID, transferablesOf, type EngineEvent, type EngineRequest } from './protocol';
import { LatentHelper } from '../models/latent-helper';

declare const self: DedicatedWorkerGlobalScope;

/**
 * How long tfjs waits for the first download. Its start-up and backend warm-up share this thread with the
 * download's reads and held them up by seconds, so it loads once the data is in — or after this long, by
 * when a slow network rather than this thread is what the download waits on.
 */
const TFJS_WAIT_LIMIT_MS = 3000;

const post = (event: EngineEvent) => self.postMessage(event, transferablesOf(event));
const fail = (error: unknown) => post({ type: 'error', message: errorMessage(error) });
const loader = new MnistLoader(post);
/** The latents helper thread (models/latent-helper.ts), started by the first latents job that can use it. */
const startLatentHelper = () => new LatentHelper(new Worker(new URL('./latents.worker.ts', import.meta.url), { type: 'module', name: 'latents' }));
let engine: Promise<Engine> | null = null;

/** The engine, loading tfjs once `firstDownload` settles (or the wait limit passes) if it has not yet. */
function engineAfter(firstDownload: Promise<unknown>): Promise<Engine> {
  if (engine) return engine;
  const waitLimit = new Promise((resolve) => setTimeout(resolve, TFJS_WAIT_LIMIT_MS));
  engine = Promise.race([firstDownload, waitLimit])
    .then(() => import('./engine/engine'))
    .then((module) => new module.Engine(post, loader, startLatentHelper));
  return engine;
}

self.onmessage = (message: MessageEvent<EngineRequest>) => {
  const request = message.data;
  // The engine repeats these when it gets the request; both calls are idempotent.
  let download: Promise<unknown> = Promise.resolve();
  if (request.type === 'init') download = loader.start(MNIST_INITIAL_JOB_ID, request.baseUrl).data;
  if (request.type === 'loadMnist') download = loader.start(request.jobId, request.baseUrl).data;
  if (request.type === 'cancel') loader.cancel(request.jobId);
  // Chained on one promise, requests reach the engine in the order they came.
  engineAfter(download)
    .then((e) => e.handle(request))
    .catch(fail);
};
