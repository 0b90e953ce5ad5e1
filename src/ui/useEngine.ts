import { useCallback, useEffect, useRef, useState } from 'react';
import { ARCH_IDS } from '../models/arch-spec';
import type { Command } from '../state/commands';
import { createInitialState, startupCommands, update, type AppState, type UiAction } from '../state/app-state';
import { ANALYSIS_WORKERS, AnalysisPool, startEngine, type EngineClient } from '../worker/client';
import type { BackendName } from '../worker/protocol';

const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** `?backend=wasm` in the page URL puts that backend first (for comparisons and the benchmark). */
function requestedBackend(): BackendName | undefined {
  const value = new URLSearchParams(window.location.search).get('backend');
  return BACKENDS.find((name) => name === value);
}

/** `?threads=1` sets the WASM backend's thread count (1–8), for comparisons and the benchmark. */
/** ?threads=N: the WASM backend's thread count; ?threads=1 also keeps t-SNE on one thread. */
function requestedWasmThreads(): number | undefined {
  const value = Number(new URLSearchParams(window.location.search).get('threads'));
  return Number.isInteger(value) && value >= 1 && value <= 8 ? value : undefined;
}

/** Saves a blob through a temporary link: the page's own download, no server involved. */
function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

interface Clients {
  engine: EngineClient;
  analysis: AnalysisPool;
}

/** A short random id for this page session (run ids are `<session>-<n>`). */
function newSessionId(): string {
  return `r${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
}

/**
 * Owns the workers for the page's lifetime and runs the commands each transition returns. It decides
 * nothing: which request to send, and when, comes from `update` (src/state/app-state.ts).
 */
export function useEngine(): [AppState, (action: UiAction) => void] {
  const clientsRef = useRef<Clients | null>(null);
  /**
   * The state lives here, outside React's reducer queue: React may run a reducer more than once for one action
   * (rebasing an urgent update over pending ones), which would send its commands twice — a second `train` of
   * the same run. Each action is applied exactly once, to the latest state, and its commands run once.
   */
  const stateRef = useRef<AppState | null>(null);
  const [state, setState] = useState<AppState>(() => {
    const initial = createInitialState(newSessionId(), document.baseURI, window.location.hash);
    stateRef.current = initial;
    return initial;
  });
  /** Commands of transitions that happened before the workers existed (the prestarted engine's early events). */
  const waitingRef = useRef<Command[]>([]);
  const dispatchRef = useRef<(action: UiAction) => void>(() => undefined);

  const run = useCallback((command: Command) => {
    const clients = clientsRef.current;
    if (!clients) {
      waitingRef.current.push(command);
      return;
    }
    switch (command.kind) {
      case 'engine':
        clients.engine.send(command.request);
        return;
      case 'kmeans':
        clients.analysis.kmeans(command.jobId, command.latents, command.labels, command.count, command.dim, command.options);
        return;
      case 'pca':
        clients.analysis.pca(command.jobId, command.latents, command.labels, command.n, command.dim);
        return;
      case 'tsne':
        clients.analysis.tsne(command.jobId, command.latents, command.labels, command.n, command.dim, command.options);
        return;
      case 'umap':
        clients.analysis.umap(command.jobId, command.latents, command.labels, command.n, command.dim, command.options);
        return;
      case 'cancelAnalysis':
        clients.analysis.cancel(command.jobId);
        return;
      case 'download':
        download(command.blob, command.fileName);
        return;
      case 'replaceUrl': {
        const url = new URL(window.location.href);
        url.hash = command.hash;
        window.history.replaceState(window.history.state, '', url.href);
        return;
      }
      case 'later':
        setTimeout(() => dispatchRef.current(command.action), command.afterMs);
        return;
      default: {
        const unreachable: never = command;
        return unreachable;
      }
    }
  }, []);

  const dispatch = useCallback(
    (action: UiAction) => {
      const current = stateRef.current;
      if (!current) return;
      const { state: next, commands } = update(current, action);
      stateRef.current = next;
      if (next !== current) setState(next);
      commands.forEach(run);
    },
    [run],
  );
  dispatchRef.current = dispatch;

  useEffect(() => {
    const engine = startEngine(
      (event) => {
        // A named mark lets the benchmark read "page open → data ready" from the Performance timeline.
        if (event.type === 'dataReady') performance.mark('data-ready');
        dispatchRef.current({ type: 'engine', event });
      },
      (message) => dispatchRef.current({ type: 'workerCrashed', worker: 'engine', message }),
    );
    const analysis = new AnalysisPool(
      (event) => dispatchRef.current({ type: 'analysis', event }),
      (message) => dispatchRef.current({ type: 'workerCrashed', worker: 'analysis', message }),
      ANALYSIS_WORKERS,
      // ?threads=1 keeps everything on one thread per worker (to compare); t-SNE otherwise uses a helper thread.
      requestedWasmThreads() === 1 ? 1 : 2,
    );
    clientsRef.current = { engine, analysis };
    engine.send({ type: 'init', baseUrl: document.baseURI, backend: requestedBackend(), wasmThreads: requestedWasmThreads() });
    startupCommands(ARCH_IDS).forEach(run);
    const waiting = waitingRef.current;
    waitingRef.current = [];
    waiting.forEach(run);
    return () => {
      engine.terminate();
      analysis.terminate();
      clientsRef.current = null;
    };
  }, [run]);

  return [state, dispatch];
}
