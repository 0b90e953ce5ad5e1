import { errorMessage } from '../errors';
import { idxBodyChunks } from './byte-stream';
import { adler32, ADLER32_INITIAL } from './checksum';
import { IdxStreamDecoder, type DecodedIdx, type IdxStreamKind } from './idx-stream';
import { checkPairCounts, IdxError, labelledImagesFromBytes, scalePixels, type LabelledImages } from './idx';
import { IMAGE_PIXELS } from './mnist-shape';
import type { ResponseCache } from './response-cache';

/** Where the data script puts the compressed MNIST files, relative to the page. */
export const MNIST_DIR = 'data/';

/** The four MNIST files, in the names the original distribution uses (gzip-compressed copies). */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

/** One of the four file names. */
export type MnistFileName = (typeof MNIST_FILES)[keyof typeof MNIST_FILES];

/** Cache Storage cache of verified MNIST files; the suffix changes only if the stored form does. */
export const MNIST_CACHE_NAME = 'mnist-idx-v1';

/** What the manifest (written by scripts/prepare-data.mjs) says of one file. */
export interface ManifestEntry {
  /** bytes of the .gz file on the server */
  compressedBytes: number;
  /** bytes of the IDX file inside it: what the page reads and counts progress in */
  bytes: number;
  /** md5 of the IDX file (the digests LeCun published): names the version; a cached copy of another is stale */
  md5: string;
  /** Adler-32 of the IDX file, checked as it streams in */
  adler32: number;
}

/** File name → what the page checks it against. */
export type DataManifest = Record<MnistFileName, ManifestEntry>;

/** The training and test sets. */
export interface MnistData {
  train: LabelledImages;
  test: LabelledImages;
}

/** Progress over all four files together, in bytes of the (decompressed) IDX files. */
export interface DownloadProgress {
  loadedBytes: number;
  totalBytes: number;
}

/** Loaded MNIST and where it came from. */
export interface MnistLoad {
  /** images as lazily made floats (see `labelledImagesFromBytes`) */
  data: MnistData;
  /** the first `previewCount` test images as floats (count × 784), made without converting the rest */
  preview: Float32Array;
  /** true when all four files came from this browser's cache, none from the network */
  fromCache: boolean;
  /**
   * Stores the downloaded files that match the manifest's Adler-32 in the cache, for the next visit. Left
   * to the caller, to run after it has shown the data: checksumming and copying 55 MB is work the page
   * need not wait for. Never rejects.
   */
  saveToCache: () => Promise<void>;
}

/** What `loadMnist` needs besides the page's address. */
export interface LoadMnistOptions {
  onProgress: (progress: DownloadProgress) => void;
  /** aborts the download; the returned promise then rejects with the signal's reason */
  signal?: AbortSignal;
  /** verified copies from earlier visits; without it every file is downloaded */
  cache?: ResponseCache;
  /** the network (tests pass a fake); only ever asked for same-origin URLs */
  fetch?: typeof fetch;
  /** how many test images to return as floats in `preview` (default 0) */
  previewCount?: number;
}

const FILE_KINDS: Record<MnistFileName, { kind: IdxStreamKind; what: string }> = {
  [MNIST_FILES.trainImages]: { kind: 'images', what: 'training images' },
  [MNIST_FILES.trainLabels]: { kind: 'labels', what: 'training labels' },
  [MNIST_FILES.testImages]: { kind: 'images', what: 'test images' },
  [MNIST_FILES.testLabels]: { kind: 'labels', what: 'test labels' },
};

/**
 * Loads MNIST from the page's own origin: each file from this browser's cache when a copy there is of the
 * manifest's version (md5) and matches its length and Adler-32, else downloaded — decompressed and checked
 * while it streams in — and stored for the next visit by `saveToCache`. A cache that fails in any way only
 * means a download. Downloads start before the manifest has arrived; it is needed only to check them.
 * @param baseUrl absolute URL of the folder holding MNIST_DIR (the page's base)
 * @throws IdxError for a missing, damaged or wrong file; the abort reason when `signal` aborts
 */
export async function loadMnist(baseUrl: string, options: LoadMnistOptions): Promise<MnistLoad> {
  const { onProgress, cache, signal, previewCount = 0 } = options;
  const fetchFn = options.fetch ?? fetch;
  const dir = new URL(MNIST_DIR, baseUrl);
  // One failing file stops the others: there is no partial data set.
  const stopAll = new AbortController();
  const stop = (reason: unknown) => {
    if (!stopAll.signal.aborted) stopAll.abort(reason);
  };
  const onAbort = () => stop(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    signal?.throwIfAborted();
    const names = Object.values(MNIST_FILES);
    const manifest = fetchManifest(fetchFn, new URL('manifest.json', dir).href, stopAll.signal);
    manifest.catch(stop);
    const progress = progressCounter(names, manifest, onProgress);
    const files = await Promise.all(
      names.map((name) =>
        loadFile({ name, url: new URL(name, dir).href, manifest, fetchFn, cache, signal: stopAll.signal, progress }).catch((error: unknown) => {
          stop(error);
          throw error;
        }),
      ),
    );
    const checked = await manifest;
    const decoded = new Map(names.map((name, i) => [name, files[i].decoded]));
    const train = pairUp(decoded, MNIST_FILES.trainImages, MNIST_FILES.trainLabels, 'training');
    const test = pairUp(decoded, MNIST_FILES.testImages, MNIST_FILES.testLabels, 'test');
    const preview = scalePixels(test.pixels.subarray(0, Math.min(previewCount, test.set.count) * IMAGE_PIXELS));
    const saveToCache = async () => {
      // One at a time: each copy is made just before it is handed over, and can go right after.
      for (const [i, name] of names.entries()) {
        const file = files[i];
        const entry = checked[name];
        // Only a file that is exactly the manifest's is kept (one that is not is still used this visit).
        if (!cache || file.fromCache || checksumOf(file.decoded) !== entry.adler32) continue;
        try {
          await cache.put(new URL(name, dir).href, asResponse(file.decoded, entry));
        } catch {
          // Out of memory for the copy: the next visit downloads this file again.
        }
      }
    };
    return { data: { train: train.set, test: test.set }, preview, fromCache: files.every((file) => file.fromCache), saveToCache };
  } catch (error) {
    // Report the person's abort as such, not as the failure it caused in whichever file noticed it first.
    if (signal?.aborted) throw signal.reason;
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Response header of a cached file: the md5 (manifest version) of the file it holds. */
export const CACHED_MD5_HEADER = 'X-Mnist-Md5';

/**
 * Sums progress over the files; reports nothing until the manifest gives the total. A file that starts
 * over (a bad cached copy, then the network) takes its bytes back.
 */
function progressCounter(
  names: readonly MnistFileName[],
  manifest: Promise<DataManifest>,
  onProgress: (progress: DownloadProgress) => void,
): (name: MnistFileName, bytes: number | 'restart') => void {
  const loaded = new Map<MnistFileName, number>(names.map((name) => [name, 0]));
  let loadedBytes = 0;
  let totalBytes: number | null = null;
  const report = () => {
    if (totalBytes !== null) onProgress({ loadedBytes, totalBytes: Math.max(totalBytes, loadedBytes) });
  };
  manifest.then(
    (entries) => {
      totalBytes = names.reduce((sum, name) => sum + entries[name].bytes, 0);
      report();
    },
    () => undefined,
  );
  return (name, bytes) => {
    const before = loaded.get(name) ?? 0;
    const after = bytes === 'restart' ? 0 : before + bytes;
    loaded.set(name, after);
    loadedBytes += after - before;
    report();
  };
}

interface FileRequest {
  name: MnistFileName;
  url: string;
  manifest: Promise<DataManifest>;
  fetchFn: typeof fetch;
  cache: ResponseCache | undefined;
  signal: AbortSignal;
  progress: (name: MnistFileName, bytes: number | 'restart') => void;
}

/** One file: from the cache if a copy there checks out, else from the network. */
async function loadFile(request: FileRequest): Promise<{ decoded: DecodedIdx; fromCache: boolean }> {
  const { name, url, fetchFn, cache, signal, progress } = request;
  const { kind, what } = FILE_KINDS[name];
  const onBytes = (bytes: number) => progress(name, bytes);
  const cached = await cache?.match(url);
  if (cached?.body) {
    // Outside the try: a manifest that fails fails the load, and says nothing against this copy.
    const entry = (await request.manifest)[name];
    try {
      const version = cached.headers.get(CACHED_MD5_HEADER);
      if (version !== entry.md5) throw new Error(`cached version ${String(version)}, current ${entry.md5}`);
      const read = await decodeBody(cached.body, kind, what, onBytes, signal, true);
      checkAgainstManifest(read, entry, what);
      return { decoded: read.decoded, fromCache: true };
    } catch (error) {
      if (signal.aborted) throw error;
      // An outdated, damaged or cut copy: forget it and download the file instead.
      await cached.body.cancel().catch(() => undefined);
      progress(name, 'restart');
      await cache?.delete(url);
    }
  }
  let response: Response;
  try {
    // 'same-origin': the data can only ever come from the page's own server.
    // 'no-store': this page's own cache keeps the file; a second copy in the HTTP cache is only work.
    response = await fetchFn(url, { signal, mode: 'same-origin', cache: 'no-store' });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new IdxError('fetch-failed', `Could not download ${url}: ${describe(error)}.`);
  }
  if (!response.ok || response.body === null) {
    throw new IdxError('fetch-failed', `Could not download ${url}: HTTP ${response.status}. Run "npm start" so the data script writes it.`);
  }
  let read: { decoded: DecodedIdx; bytes: number };
  try {
    read = await decodeBody(response.body, kind, what, onBytes, signal, false);
  } catch (error) {
    if (signal.aborted || error instanceof IdxError) throw error;
    throw new IdxError('fetch-failed', `The download of ${url} broke off: ${describe(error)}.`);
  }
  // The checksum of a download is taken later, off the critical path, before it is cached (`saveToCache`).
  checkAgainstManifest({ ...read, adler32: null }, (await request.manifest)[name], what);
  return { decoded: read.decoded, fromCache: false };
}

/**
 * Decodes one file's body, checked against its own header as it streams in.
 * @param withChecksum also take the Adler-32 of every byte (for cached copies, whose bytes nothing else vouches for)
 */
async function decodeBody(
  body: ReadableStream<Uint8Array>,
  kind: IdxStreamKind,
  what: string,
  onBytes: (bytes: number) => void,
  signal: AbortSignal,
  withChecksum: boolean,
): Promise<{ decoded: DecodedIdx; bytes: number; adler32: number | null }> {
  const decoder = new IdxStreamDecoder(kind, what);
  let sum = ADLER32_INITIAL;
  for await (const chunk of idxBodyChunks(body, what, signal)) {
    if (withChecksum) sum = adler32(chunk, sum);
    decoder.push(chunk);
    onBytes(chunk.length);
  }
  return { decoded: decoder.finish(), bytes: decoder.bytesSeen, adler32: withChecksum ? sum : null };
}

/**
 * Checks a decoded file's length (and checksum, when taken) against the manifest.
 * @throws IdxError('checksum-mismatch') when the file is not the one the manifest describes
 */
function checkAgainstManifest(read: { bytes: number; adler32: number | null }, entry: ManifestEntry, what: string): void {
  if (read.bytes !== entry.bytes) throw mismatch(what, entry, `${read.bytes} bytes, not ${entry.bytes}`);
  if (read.adler32 !== null && read.adler32 !== entry.adler32) throw mismatch(what, entry, `Adler-32 ${hex(read.adler32)}, not ${hex(entry.adler32)}`);
}

/** Adler-32 of a decoded file as it arrived: header, then payload. */
function checksumOf(decoded: DecodedIdx): number {
  return adler32(payloadOf(decoded), adler32(decoded.header));
}

function payloadOf(decoded: DecodedIdx): Uint8Array<ArrayBuffer> {
  return decoded.kind === 'images' ? decoded.pixels : decoded.labels;
}

function mismatch(what: string, entry: ManifestEntry, detail: string): IdxError {
  return new IdxError('checksum-mismatch', `The ${what} file does not match the data manifest (md5 ${entry.md5}): ${detail}. Run "npm run prepare-data" to rewrite both.`);
}

/** A decoded file as the IDX file it came from, marked with the manifest version it matched. */
function asResponse(decoded: DecodedIdx, entry: ManifestEntry): Response {
  return new Response(new Blob([decoded.header, payloadOf(decoded)]), {
    headers: { 'Content-Type': 'application/octet-stream', [CACHED_MD5_HEADER]: entry.md5 },
  });
}

/** Pairs a decoded image file with its labels; the set's floats are made on first use. */
function pairUp(
  decoded: Map<MnistFileName, DecodedIdx>,
  imagesName: MnistFileName,
  labelsName: MnistFileName,
  what: string,
): { set: LabelledImages; pixels: Uint8Array } {
  const images = decoded.get(imagesName);
  const labels = decoded.get(labelsName);
  if (images?.kind !== 'images' || labels?.kind !== 'labels') throw new Error(`loadMnist: ${imagesName} and ${labelsName} were not decoded`);
  checkPairCounts(images.count, labels.count, what);
  return { set: labelledImagesFromBytes(images.pixels, labels.labels, images.count), pixels: images.pixels };
}

async function fetchManifest(fetchFn: typeof fetch, url: string, signal: AbortSignal): Promise<DataManifest> {
  let response: Response;
  try {
    response = await fetchFn(url, { signal, mode: 'same-origin', cache: 'no-cache' });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new IdxError('fetch-failed', `Could not download ${url}: ${describe(error)}.`);
  }
  if (!response.ok) throw new IdxError('fetch-failed', `Could not download ${url}: HTTP ${response.status}. Run "npm start" so the data script writes it.`);
  let json: unknown;
  try {
    json = await response.json();
  } catch (error) {
    if (signal.aborted) throw error;
    throw new IdxError('bad-manifest', `The data manifest ${url} is not valid JSON (${describe(error)}). Run "npm run prepare-data" to rewrite it.`);
  }
  return parseManifest(json, url);
}

/**
 * Checks a parsed manifest.json: every MNIST file listed with whole sizes, an md5 and an Adler-32.
 * @throws IdxError('bad-manifest') naming what is missing
 */
export function parseManifest(json: unknown, source = 'manifest.json'): DataManifest {
  const problem = (detail: string) =>
    new IdxError('bad-manifest', `The data manifest ${source} ${detail}. Run "npm run prepare-data" to rewrite it.`);
  if (typeof json !== 'object' || json === null) throw problem('is not an object');
  const entries = new Map<string, unknown>(Object.entries(json));
  const entryOf = (name: MnistFileName): ManifestEntry => {
    const entry = entries.get(name);
    if (typeof entry !== 'object' || entry === null) throw problem(`has no entry for ${name} (an older data script wrote only sizes)`);
    const fields = new Map<string, unknown>(Object.entries(entry));
    const count = (field: string, max = Number.MAX_SAFE_INTEGER): number => {
      const value = fields.get(field);
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) throw problem(`gives ${name} no valid ${field}`);
      return value;
    };
    const md5 = fields.get('md5');
    if (typeof md5 !== 'string' || !/^[0-9a-f]{32}$/.test(md5)) throw problem(`gives ${name} no valid md5`);
    return { compressedBytes: count('compressedBytes'), bytes: count('bytes'), md5, adler32: count('adler32', 0xffffffff) };
  };
  const { trainImages, trainLabels, testImages, testLabels } = MNIST_FILES;
  return {
    [trainImages]: entryOf(trainImages),
    [trainLabels]: entryOf(trainLabels),
    [testImages]: entryOf(testImages),
    [testLabels]: entryOf(testLabels),
  };
}

/** An Adler-32 as 8 hex digits. */
function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}

function describe(error: unknown): string {
  return errorMessage(error);
}
