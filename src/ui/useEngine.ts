import { useCallback, useEffect, useReducer, useRef } from 'react';
import { ARCH_IDS } from '../models/arch-spec';
import type { Command } from '../state/commands';
import { createInitialState, startupCommands, update, type AppState, type UiAction } from '../state/app-state';
import { AnalysisPool, startEngine, type EngineClient } from '../worker/client';
import type { BackendName } from '../worker/protocol';

const BACKENDS: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** `?backend=wasm` in the page URL puts that backend first (for comparisons and the benchmark). */
function requestedBackend(): BackendName | undefined {
  const value = new URLSearchParams(window.location.search).get('backend');
  return BACKENDS.find((name) => name === value);
}

/** `?threads=1` sets the WASM backend's thread count (1–8), for comparisons and the benchmark. */
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
  /** Commands of transitions, run after React has applied them (a reducer must stay pure). */
  const queueRef = useRef<Command[]>([]);
  const [state, dispatchState] = useReducer(
    (current: AppState, action: UiAction) => {
      const { state: next, commands } = update(current, action);
      queueRef.current.push(...commands);
      return next;
    },
    undefined,
    () => createInitialState(newSessionId(), document.baseURI),
  );
  const dispatchRef = useRef<(action: UiAction) => void>(() => undefined);

  const run = useCallback((command: Command) => {
    const clients = clientsRef.current;
    if (!clients) return;
    switch (command.kind) {
      case 'engine':
        clients.engine.send(command.request);
        return;
      case 'kmeans':
        clients.analysis.kmeans(command.jobId, command.latents, command.labels, command.count, command.dim, command.options);
        return;
      case 'tsne':
        clients.analysis.tsne(command.jobId, command.latents, command.labels, command.n, command.dim, command.options);
        return;
      case 'cancelAnalysis':
        clients.analysis.cancel(command.jobId);
        return;
      case 'download':
        download(command.blob, command.fileName);
        return;
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
      dispatchState(action);
    },
    [dispatchState],
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
    );
    clientsRef.current = { engine, analysis };
    engine.send({ type: 'init', baseUrl: document.baseURI, backend: requestedBackend(), wasmThreads: requestedWasmThreads() });
    startupCommands(ARCH_IDS).forEach(run);
    return () => {
      engine.terminate();
      analysis.terminate();
      clientsRef.current = null;
    };
  }, [run]);

  // Runs the commands of every transition since the last render, once each.
  useEffect(() => {
    const pending = queueRef.current;
    if (pending.length === 0) return;
    queueRef.current = [];
    pending.forEach(run);
  });

  return [state, dispatch];
}
