/**
 * Reading response bodies chunk by chunk, cheaply. Where the platform allows (fetch and Cache Storage
 * bodies are byte streams), one scratch buffer is read into again and again: allocating a fresh buffer per
 * chunk cost about as much as the download itself on the 2-core test machine, where every newly touched
 * megabyte of memory is slow.
 */
import { errorMessage } from '../errors';
import { isGzip } from './gzip';
import { IdxError } from './idx';

/** Scratch buffer per stream: big enough that a read rarely waits on a full buffer, small enough to stay in cache. */
const SCRATCH_BYTES = 1 << 20;

/**
 * The most compressed bytes handed to the decompressor at once. Chromium's DecompressionStream turns each
 * chunk it is given into all of its output before the reader can look at any of it, and deflate expands by
 * up to about 1,032 : 1: measured in Chromium 156 on the 1 MB bomb of issue 19, a 1 MiB write grew the
 * renderer by 1,008 MB before the first 64 KiB of output could be read, a 16 KiB write by 18 MB. The
 * stream's backpressure holds the next piece back until the reader has taken the last one's output. For
 * ordinary files (MNIST compresses about 4.5 : 1) this is a few hundred more writes per file, each cheap.
 */
export const GUNZIP_PIECE_BYTES = 1 << 14;

/**
 * Yields the chunks of `stream` in order. With a byte stream the yielded view shares one scratch buffer:
 * it is valid only until the consumer asks for the next chunk, so consumers copy what they keep.
 * Stops with `signal`'s reason when it aborts, and cancels the stream when the consumer stops early.
 */
export async function* readChunks(stream: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
  signal?.throwIfAborted();
  const byob = byobReaderOf(stream);
  const reader = byob ?? stream.getReader();
  // A fetch body errors by itself on abort; a Cache Storage body does not, so cancel it from here.
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  let finished = false;
  try {
    if (byob) {
      let scratch: ArrayBuffer = new ArrayBuffer(SCRATCH_BYTES);
      for (;;) {
        const { done, value } = await byob.read(new Uint8Array(scratch));
        if (done || !value) break;
        yield value;
        // The read transferred the scratch buffer into `value`; take it back for the next read.
        scratch = value.buffer;
      }
    } else {
      const chunks = reader as ReadableStreamDefaultReader<Uint8Array>;
      for (;;) {
        const { done, value } = await chunks.read();
        if (done) break;
        yield value;
      }
    }
    finished = true;
    signal?.throwIfAborted();
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // The consumer stopped early (a bad header, a failure elsewhere): stop the transfer too.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** A BYOB reader when `stream` is a byte stream, else null (plain streams, e.g. DecompressionStream output). */
function byobReaderOf(stream: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | null {
  try {
    return stream.getReader({ mode: 'byob' });
  } catch {
    return null;
  }
}

/**
 * The bytes of an IDX body, gunzipped when they arrive compressed — when the server sent the .gz file as
 * it is, without `Content-Encoding: gzip` (the dev server and `vite preview` send that header, and then
 * the browser has already decompressed them). Decompressed data is checked by its gzip CRC.
 * @param what a name for messages
 * @throws IdxError('corrupt-gzip') for a damaged stream; the abort reason when `signal` aborts
 */
export async function* idxBodyChunks(stream: ReadableStream<Uint8Array>, what: string, signal?: AbortSignal): AsyncGenerator<Uint8Array, void, undefined> {
  const source = readChunks(stream, signal);
  // Gather two bytes to tell gzip from raw (a first chunk of one byte is legal, if unlikely).
  let prefix: Uint8Array = new Uint8Array(0);
  while (prefix.length < 2) {
    const next = await source.next();
    if (next.done) {
      if (prefix.length > 0) yield prefix;
      return;
    }
    if (prefix.length === 0 && next.value.length >= 2) {
      prefix = next.value;
      break;
    }
    const joined = new Uint8Array(prefix.length + next.value.length);
    joined.set(prefix);
    joined.set(next.value, prefix.length);
    prefix = joined;
  }
  if (!isGzip(prefix)) {
    yield prefix;
    yield* source;
    return;
  }
  yield* gunzipChunks(prefix, source, what, signal);
}

/** Decompresses `first` and the rest of `source` as they come. */
async function* gunzipChunks(
  first: Uint8Array,
  source: AsyncGenerator<Uint8Array, void, undefined>,
  what: string,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array, void, undefined> {
  const gunzip = new DecompressionStream('gzip');
  const writer = gunzip.writable.getWriter();
  /** set when reading the source failed (network, abort): that, not the decompressor, is then the cause */
  let sourceError: unknown = null;
  /**
   * Set once the reading side has stopped (done, failed, or its consumer refused the data). Feeding stops
   * too: cancelling the output should make the next write fail, but a bomb's remaining pieces must not be
   * inflated for nobody if some decompressor does not.
   */
  let stopped = false;
  // Copies go in: the decompressor may hold a chunk after `write` resolves, and the source reuses its buffer.
  // Each in pieces of GUNZIP_PIECE_BYTES, each awaited, so that little output is ever waiting to be read.
  const feed = async (chunk: Uint8Array): Promise<void> => {
    for (let at = 0; at < chunk.length && !stopped; at += GUNZIP_PIECE_BYTES) await writer.write(chunk.slice(at, at + GUNZIP_PIECE_BYTES));
  };
  // Never rejects: a failure aborts the writer, and the reading side below reports it.
  void (async (): Promise<void> => {
    try {
      await feed(first);
      while (!stopped) {
        const next = await source.next().catch((error: unknown) => {
          sourceError = error;
          throw error;
        });
        if (next.done) {
          await writer.close();
          return;
        }
        await feed(next.value);
      }
      await writer.abort(new DOMException('The reader stopped.', 'AbortError')).catch(() => undefined);
    } catch (error) {
      await writer.abort(error).catch(() => undefined);
    }
  })();
  try {
    yield* readChunks(gunzip.readable, signal);
  } catch (error) {
    if (signal?.aborted || error instanceof IdxError) throw error;
    if (sourceError !== null) throw sourceError;
    throw new IdxError('corrupt-gzip', `The ${what} file is not a valid gzip stream (${errorMessage(error).replace(/\.$/, '')}).`);
  } finally {
    stopped = true;
    // Not awaited: a source stopped mid-read ends when its download is aborted, which the caller does on
    // any failure.
    void source.return(undefined).catch(() => undefined);
  }
}
