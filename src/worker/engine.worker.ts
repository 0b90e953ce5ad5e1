/// <reference lib="webworker" />
/**
 * The engine worker: a thin dispatcher from page messages to `Engine`. Heavy work (data parsing,
 * training) happens here so the page never freezes.
 */
import { Engine } from './engine/engine';
import { transferablesOf, type EngineEvent, type EngineRequest } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

const engine = new Engine((event: EngineEvent) => self.postMessage(event, transferablesOf(event)));

self.onmessage = (message: MessageEvent<EngineRequest>) => {
  engine.handle(message.data).catch((error: unknown) => {
    self.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) } satisfies EngineEvent);
  });
};
