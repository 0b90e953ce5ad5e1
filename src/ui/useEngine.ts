import { useEffect, useReducer, useRef } from 'react';
import { INITIAL_STATE, reduce, type AppState, type UiAction } from '../state/app-state';
import { EngineClient } from '../worker/client';
import type { BackendName } from '../worker/protocol';

const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** `?backend=wasm` in the page URL puts that backend first (for comparisons and the benchmark). */
function requestedBackend(): BackendName | undefined {
  const value = new URLSearchParams(window.location.search).get('backend');
  return BACKENDS.find((name) => name === value);
}

/**
 * Owns the engine worker for the page's lifetime and turns state transitions into requests:
 * a run that enters 'starting' or 'stopping' is sent once, by run id.
 */
export function useEngine(): [AppState, (action: UiAction) => void] {
  const [state, dispatch] = useReducer(reduce, INITIAL_STATE);
  const clientRef = useRef<EngineClient | null>(null);
  const sentRef = useRef({ trainRunId: 0, stopRunId: 0, summaries: new Set<string>() });

  useEffect(() => {
    const client = new EngineClient((event) => {
      // A named mark lets the benchmark read "page open → data ready" from the Performance timeline.
      if (event.type === 'dataReady') performance.mark('data-ready');
      dispatch({ type: 'engine', event });
    });
    clientRef.current = client;
    client.send({ type: 'init', baseUrl: document.baseURI, backend: requestedBackend() });
    return () => {
      client.terminate();
      clientRef.current = null;
      sentRef.current = { trainRunId: 0, stopRunId: 0, summaries: new Set() };
    };
  }, []);

  const { run, settings, summaries } = state;
  useEffect(() => {
    const client = clientRef.current;
    if (!client) return;
    const sent = sentRef.current;
    if (!summaries[settings.arch] && !sent.summaries.has(settings.arch)) {
      sent.summaries.add(settings.arch);
      client.send({ type: 'summary', arch: settings.arch });
    }
    if (run && run.status === 'starting' && sent.trainRunId !== run.runId) {
      sent.trainRunId = run.runId;
      client.send({ type: 'train', runId: run.runId, arch: run.arch, epochs: run.epochs, trainSize: run.trainSize });
    }
    if (run && run.status === 'stopping' && sent.stopRunId !== run.runId) {
      sent.stopRunId = run.runId;
      client.send({ type: 'stop', runId: run.runId });
    }
  }, [run, settings.arch, summaries]);

  return [state, dispatch];
}
