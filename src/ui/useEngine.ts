import { useEffect, useReducer, useRef } from 'react';
import { interpolateLatents } from '../analysis/latent-stats';
import { ARCH_IDS, LATENT_DIM } from '../models/arch-spec';
import { KMEANS_WORKERS, WALK_STEPS } from '../state/latent-state';
import { INITIAL_STATE, reduce, type AppState, type UiAction } from '../state/app-state';
import { startAnalysis, startEngine, type AnalysisClient, type EngineClient } from '../worker/client';
import { GALLERY_COUNT, MNIST_INITIAL_JOB_ID, type BackendName } from '../worker/protocol';

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
  /** analysis workers: the first also runs t-SNE; KMeans restarts are shared among all */
  analysis: AnalysisClient[];
}

/**
 * Owns the two workers for the page's lifetime and turns state transitions into requests. Every request
 * is keyed by its run or job id and sent once, so re-renders never repeat one.
 */
export function useEngine(): [AppState, (action: UiAction) => void] {
  const [state, dispatch] = useReducer(reduce, INITIAL_STATE);
  const clientsRef = useRef<Clients | null>(null);
  const sentRef = useRef(new Set<string>());

  useEffect(() => {
    const engine = startEngine(
      (event) => {
        // A named mark lets the benchmark read "page open → data ready" from the Performance timeline.
        if (event.type === 'dataReady') performance.mark('data-ready');
        if (event.type === 'modelFile') download(event.blob, event.fileName);
        dispatch({ type: 'engine', event });
      },
      (message) => dispatch({ type: 'workerCrashed', worker: 'engine', message }),
    );
    // An analysis worker holds nothing but the job it runs: a crashed one is replaced at once.
    const startAnalysisWorker = (slot: number): AnalysisClient =>
      startAnalysis(
        (event) => dispatch({ type: 'analysis', event }),
        (message) => {
          const clients = clientsRef.current;
          if (!clients) return;
          clients.analysis[slot].terminate();
          clients.analysis[slot] = startAnalysisWorker(slot);
          dispatch({ type: 'workerCrashed', worker: 'analysis', message });
        },
      );
    const analysis = Array.from({ length: KMEANS_WORKERS }, (_, slot) => startAnalysisWorker(slot));
    clientsRef.current = { engine, analysis };
    engine.send({ type: 'init', baseUrl: document.baseURI, backend: requestedBackend(), wasmThreads: requestedWasmThreads() });
    return () => {
      engine.terminate();
      analysis.forEach((worker) => worker.terminate());
      clientsRef.current = null;
      sentRef.current = new Set();
    };
  }, []);

  const { runs, settings, summaries, space, gallery, trained, fileJob } = state;
  useEffect(() => {
    const clients = clientsRef.current;
    if (!clients) return;
    const { engine, analysis } = clients;
    const sent = sentRef.current;
    const once = (key: string, send: () => void) => {
      if (sent.has(key)) return;
      sent.add(key);
      send();
    };
    if (!summaries[settings.arch]) once(`summary:${settings.arch}`, () => engine.send({ type: 'summary', arch: settings.arch }));
    for (const run of runs) {
      if (run.status === 'queued' || run.status === 'stopping') {
        once(`train:${run.runId}`, () => engine.send({ type: 'train', runId: run.runId, arch: run.arch, epochs: run.epochs, trainSize: run.trainSize, learningRate: run.learningRate, seed: run.seed }));
      }
      if (run.status === 'stopping') once(`stop:${run.runId}`, () => engine.send({ type: 'stop', runId: run.runId }));
    }
    if (gallery?.status === 'running') {
      // Every trained model reconstructs; the page's toggles only hide rows, so toggling costs nothing.
      const archs = ARCH_IDS.filter((arch) => trained[arch]);
      once(`gallery:${gallery.jobId}`, () => engine.send({ type: 'gallery', jobId: gallery.jobId, archs, selection: gallery.selection, count: GALLERY_COUNT }));
    }

    if (fileJob?.status === 'running') {
      once(`file:${fileJob.jobId}`, () =>
        engine.send(fileJob.kind === 'export' ? { type: 'exportModel', jobId: fileJob.jobId, arch: fileJob.arch } : { type: 'importModel', jobId: fileJob.jobId, file: fileJob.file }),
      );
    }
    const { datasetJob, data } = state;
    // `init` starts the first MNIST download; later ones (after a cancel or failure) are asked for here.
    if (data.kind === 'loading' && data.jobId !== MNIST_INITIAL_JOB_ID) {
      once(`mnist:${data.jobId}`, () => engine.send({ type: 'loadMnist', jobId: data.jobId, baseUrl: document.baseURI }));
    }
    if (data.kind === 'cancelled') once(`cancel:${data.jobId}`, () => engine.send({ type: 'cancel', jobId: data.jobId }));
    if (datasetJob?.status === 'running') {
      once(`dataset:${datasetJob.jobId}`, () =>
        engine.send({ type: 'loadDataset', jobId: datasetJob.jobId, files: datasetJob.files.map((file) => ({ name: file.name, blob: file })) }),
      );
    }
    const { latent, kmeans, inspect } = space;
    if (latent?.status === 'running') {
      once(`latents:${latent.jobId}`, () => engine.send({ type: 'latents', jobId: latent.jobId, arch: latent.arch, split: latent.split }));
    }
    if (latent?.status === 'cancelling') once(`cancel:${latent.jobId}`, () => engine.send({ type: 'cancel', jobId: latent.jobId }));
    if (kmeans?.status === 'running' && latent?.latents && latent.labels) {
      const { latents, labels, count } = latent;
      once(`kmeans:${kmeans.jobId}`, () =>
        kmeans.shares.forEach((options, part) => {
          // Copies go to the workers (transferred); the page keeps its own latents for the charts.
          const data = latents.slice();
          const truth = labels.slice();
          analysis[part % analysis.length].send({ type: 'kmeans', jobId: kmeans.jobId, part, data, n: count, d: data.length / count, labels: truth, options }, [
            data.buffer,
            truth.buffer,
          ]);
        }),
      );
    }
    if (kmeans?.status === 'cancelling') once(`cancel:${kmeans.jobId}`, () => analysis.forEach((worker) => worker.send({ type: 'cancel', jobId: kmeans.jobId })));
    if (kmeans?.status === 'done' && kmeans.summary && latent) {
      const { summary } = kmeans;
      once(`decode:${kmeans.centresJobId}`, () =>
        engine.send({ type: 'decode', jobId: kmeans.centresJobId, arch: latent.arch, codes: summary.centroids.slice(), count: summary.k }),
      );
      const indices = kmeans.memberIndices?.filter((i) => i >= 0);
      if (indices) once(`images:${kmeans.membersJobId}`, () => engine.send({ type: 'images', jobId: kmeans.membersJobId, split: latent.split, indices }));
    }
    const { map, hover, walk } = space;
    if (map && latent?.latents && latent.labels) {
      const { latents, labels } = latent;
      if (map.status === 'running') {
        once(`tsne:${map.jobId}`, () => {
          const data = latents.slice(0, map.n * LATENT_DIM);
          const truth = labels.slice(0, map.n);
          analysis[0].send({ type: 'tsne', jobId: map.jobId, data, n: map.n, d: LATENT_DIM, labels: truth, options: map.options }, [data.buffer, truth.buffer]);
        });
      }
      if (map.status === 'cancelling') once(`cancel:${map.jobId}`, () => analysis[0].send({ type: 'cancel', jobId: map.jobId }));
      if (map.thumbIndices.length > 0) {
        once(`images:${map.thumbsJobId}`, () => engine.send({ type: 'images', jobId: map.thumbsJobId, split: latent.split, indices: map.thumbIndices }));
      }
      const code = (index: number) => latents.slice(index * LATENT_DIM, (index + 1) * LATENT_DIM);
      if (hover) {
        once(`images:${hover.imageJobId}`, () => engine.send({ type: 'images', jobId: hover.imageJobId, split: latent.split, indices: Int32Array.of(hover.index) }));
        once(`decode:${hover.reconJobId}`, () => engine.send({ type: 'decode', jobId: hover.reconJobId, arch: latent.arch, codes: code(hover.index), count: 1 }));
      }
      if (walk && walk.b !== null) {
        const b = walk.b;
        once(`decode:${walk.jobId}`, () =>
          engine.send({ type: 'decode', jobId: walk.jobId, arch: latent.arch, codes: interpolateLatents(code(walk.a), code(b), WALK_STEPS), count: WALK_STEPS }),
        );
      }
    }
    if (inspect && latent) {
      once(`images:${inspect.jobId}`, () => engine.send({ type: 'images', jobId: inspect.jobId, split: latent.split, indices: Int32Array.of(inspect.index) }));
    }
  }, [runs, settings.arch, summaries, space, gallery, trained, fileJob, state.datasetJob, state.data]);

  return [state, dispatch];
}
