import type { EngineEvent, EngineRequest } from './protocol';

/**
 * The page's handle on the engine worker: typed `send`, one listener for every event, and worker
 * crashes reported as `error` events so the page can show them.
 */
export class EngineClient {
  private readonly worker: Worker;

  constructor(onEvent: (event: EngineEvent) => void) {
    this.worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'engine' });
    this.worker.onmessage = (message: MessageEvent<EngineEvent>) => onEvent(message.data);
    this.worker.onerror = (error: ErrorEvent) => {
      error.preventDefault();
      onEvent({ type: 'error', message: `The engine worker crashed: ${error.message || 'unknown error'}` });
    };
  }

  send(request: EngineRequest): void {
    this.worker.postMessage(request);
  }

  terminate(): void {
    this.worker.terminate();
  }
}
