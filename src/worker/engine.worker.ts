/// <reference lib="webworker" />
/**
 * The engine worker: a thin dispatcher from page messages to `Engine`. Heavy work (data parsing,
 * training) happens here so the page never freezes. tfjs is a large bundle, so it loads in the background
 * while the MNIST download — which needs none of it — starts as soon as `init` arrives.
 */
import { startMnistLoad, type PendingData } from './engine/data-loading';
import { transferablesOf, type EngineEvent, type EngineRequest } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

const post = (event: EngineEvent) => self.postMessage(event, transferablesOf(event));
const fail = (error: unknown) => post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
const engine = import('./engine/engine').then(({ Engine }) => new Engine(post));

self.onmessage = (message: MessageEvent<EngineRequest>) => {
  const request = message.data;
  const pending: PendingData | undefined = request.type === 'init' ? startMnistLoad(request.baseUrl, post) : undefined;
  // Chained on one promise, requests reach the engine in the order they came.
  engine.then((e) => e.handle(request, pending)).catch(fail);
};
