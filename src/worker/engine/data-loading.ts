import { loadMnist, type MnistData } from '../../data/mnist';
import { PROGRESS_INTERVAL_MS, type EngineEvent } from '../protocol';

/** MNIST being downloaded, with when it started (for the "ready in … s" figure). */
export interface PendingData {
  data: Promise<MnistData>;
  startedAt: number;
}

/**
 * Starts the MNIST download and parse, posting throttled byte progress. Free of tfjs on purpose: the worker
 * starts it the moment `init` arrives, while the much larger tfjs bundle is still loading.
 */
export function startMnistLoad(baseUrl: string, post: (event: EngineEvent) => void): PendingData {
  const startedAt = performance.now();
  let lastPost = 0;
  const data = loadMnist(baseUrl, (progress) => {
    const now = performance.now();
    if (now - lastPost < PROGRESS_INTERVAL_MS && progress.loadedBytes < progress.totalBytes) return;
    lastPost = now;
    post({ type: 'dataProgress', ...progress });
  });
  // Failures are reported when the engine awaits this; until then, keep them from counting as unhandled.
  data.catch(() => undefined);
  return { data, startedAt };
}
