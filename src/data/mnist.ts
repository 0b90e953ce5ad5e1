import { concat, maybeGunzip } from './gzip';
import { IdxError, parseLabelledImages, type LabelledImages } from './idx';

/** Where the data script puts the compressed MNIST files, relative to the page. */
export const MNIST_DIR = 'data/';

/** The four MNIST files, in the names the original distribution uses (gzip-compressed copies). */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

/** File name → compressed size in bytes; written by scripts/prepare-data.mjs so progress has a total. */
export type DataManifest = Record<string, number>;

/** The training and test sets. */
export interface MnistData {
  train: LabelledImages;
  test: LabelledImages;
}

/** Byte-level download progress over all files together. */
export interface DownloadProgress {
  loadedBytes: number;
  totalBytes: number;
}

/**
 * Fetches `url` and returns its body, reporting each chunk as it arrives.
 * @throws IdxError('fetch-failed') on an HTTP error or network failure
 */
export async function fetchBytes(
  url: string,
  onChunk: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new IdxError('fetch-failed', `Could not download ${url}: ${error instanceof Error ? error.message : String(error)}.`);
  }
  if (!response.ok || response.body === null) {
    throw new IdxError('fetch-failed', `Could not download ${url}: HTTP ${response.status}. Run "npm start" so the data script writes it.`);
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
    onChunk(value.length);
  }
  return concat(chunks, total);
}

/**
 * Downloads, gunzips and parses MNIST from the page's own origin.
 * @param baseUrl absolute URL of the folder holding MNIST_DIR (the page's base)
 */
export async function loadMnist(
  baseUrl: string,
  onProgress: (progress: DownloadProgress) => void,
  signal?: AbortSignal,
): Promise<MnistData> {
  const dir = new URL(MNIST_DIR, baseUrl);
  const manifest = await fetchManifest(new URL('manifest.json', dir).href, signal);
  const names = Object.values(MNIST_FILES);
  const totalBytes = names.reduce((sum, name) => sum + (manifest[name] ?? 0), 0);
  let loadedBytes = 0;
  const report = (bytes: number) => {
    loadedBytes += bytes;
    onProgress({ loadedBytes, totalBytes: Math.max(totalBytes, loadedBytes) });
  };
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    names.map(async (name) => maybeGunzip(await fetchBytes(new URL(name, dir).href, report, signal), name)),
  );
  return {
    train: parseLabelledImages(trainImages, trainLabels, 'training'),
    test: parseLabelledImages(testImages, testLabels, 'test'),
  };
}

async function fetchManifest(url: string, signal?: AbortSignal): Promise<DataManifest> {
  const bytes = await fetchBytes(url, () => undefined, signal);
  const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
  const manifest: DataManifest = {};
  if (typeof parsed === 'object' && parsed !== null) {
    for (const [key, value] of Object.entries(parsed)) if (typeof value === 'number') manifest[key] = value;
  }
  return manifest;
}
