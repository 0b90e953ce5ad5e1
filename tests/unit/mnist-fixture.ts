/**
 * Test doubles for loading MNIST in Node: a small MNIST look-alike, its manifest, a fake same-origin
 * server (byte-stream bodies, optionally gzipped as static hosts send them) and an in-memory cache.
 */
import { createHash } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, encodeIdx } from '../../src/data/idx';
import { MNIST_FILES, parseManifest, type DataManifest, type MnistFileName } from '../../src/data/mnist';
import { ResponseCache, type CacheLike } from '../../src/data/response-cache';

export const BASE = 'http://localhost:4173/app/';
export const DATA = `${BASE}data/`;

/** A small MNIST look-alike: 12 training and 5 test images with their labels. */
export function fixture(): Record<MnistFileName, Uint8Array> {
  const images = (count: number, seed: number) =>
    encodeIdx(IDX_IMAGES_MAGIC, [count, 28, 28], new Uint8Array(count * 784).map((_, i) => (i * seed + (i >> 5)) % 256));
  const labels = (count: number, seed: number) => encodeIdx(IDX_LABELS_MAGIC, [count], new Uint8Array(count).map((_, i) => (i * seed) % 10));
  return {
    [MNIST_FILES.trainImages]: images(12, 7),
    [MNIST_FILES.trainLabels]: labels(12, 3),
    [MNIST_FILES.testImages]: images(5, 13),
    [MNIST_FILES.testLabels]: labels(5, 7),
  };
}

/** The manifest scripts/prepare-data.mjs would write for `files` (Adler-32 from zlib, not our code). */
export function manifestOf(files: Record<MnistFileName, Uint8Array>): DataManifest {
  const entry = (bytes: Uint8Array) => {
    const zlib = deflateSync(bytes, { level: 0 });
    return { compressedBytes: gzipSync(bytes).length, bytes: bytes.length, md5: createHash('md5').update(bytes).digest('hex'), adler32: zlib.readUInt32BE(zlib.length - 4) };
  };
  return parseManifest(Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, entry(bytes)])));
}

/** A byte stream (like a fetch body: BYOB-readable) delivering `bytes` in `chunk`-sized pieces. */
export function byteStream(bytes: Uint8Array, chunk: number, onPull?: () => Promise<void>): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    type: 'bytes',
    async pull(controller) {
      await onPull?.();
      if (offset >= bytes.length) {
        controller.close();
        // A pending BYOB read ends (done) only once its request is answered with 0 bytes.
        controller.byobRequest?.respond(0);
        return;
      }
      const end = Math.min(bytes.length, offset + chunk);
      // A copy: enqueueing hands its buffer over, and Node's Buffer.slice would share the original's.
      controller.enqueue(new Uint8Array(bytes.subarray(offset, end)));
      offset = end;
    },
  });
}

export interface ServerOptions {
  /** send the .gz files as they are, without Content-Encoding (static hosts do): the page gunzips */
  gzipped?: boolean;
  /** replaces the served bytes of some files */
  serve?: Partial<Record<MnistFileName, Uint8Array>>;
  manifest?: unknown;
  /** awaited before every body chunk: lets a test hold a download mid-way */
  beforeChunk?: () => Promise<void>;
}

/** A fake same-origin server: records every request, serves the fixture (decoded, as with Content-Encoding). */
export function server(files: Record<MnistFileName, Uint8Array>, options: ServerOptions = {}) {
  const requests: { url: string; init: RequestInit | undefined }[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    requests.push({ url, init });
    init?.signal?.throwIfAborted();
    if (url === `${DATA}manifest.json`) return Response.json(options.manifest ?? manifestOf(files));
    const name = Object.values(MNIST_FILES).find((file) => url === `${DATA}${file}`);
    if (!name) return new Response('not found', { status: 404 });
    const raw = options.serve?.[name] ?? files[name];
    const body = byteStream(options.gzipped ? gzipSync(raw) : raw, 1000, options.beforeChunk);
    return new Response(body);
  };
  const fileRequests = () => requests.filter((r) => !r.url.endsWith('manifest.json')).length;
  return { fetchFn, requests, fileRequests };
}

/** An in-memory Cache Storage cache; `fail` makes every call reject (private mode, quota). */
export function memoryCache(fail = false) {
  const entries = new Map<string, { body: Uint8Array<ArrayBuffer>; headers: Headers }>();
  const failing = () => Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
  const cache: CacheLike = {
    async match(request) {
      if (fail) return failing();
      const entry = entries.get(String(request));
      return entry ? new Response(byteStream(entry.body, 4096), { headers: entry.headers }) : undefined;
    },
    async put(request, response) {
      if (fail) return failing();
      entries.set(String(request), { body: new Uint8Array(await response.arrayBuffer()), headers: response.headers });
    },
    async delete(request) {
      if (fail) return failing();
      return entries.delete(String(request));
    },
  };
  return { cache: new ResponseCache(async () => cache), entries };
}
