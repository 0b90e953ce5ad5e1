/**
 * The limits on dropped (own) data: sizes checked before reading, counts from the header, gzip bombs refused
 * after a bounded number of bytes, truncated and unreadable files, the same file dropped twice. Bounds are
 * asserted on bytes consumed, not on time.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { GUNZIP_PIECE_BYTES } from '../../src/data/byte-stream';
import {
  MAX_OWN_FILE_BYTES,
  MAX_OWN_IMAGES,
  MAX_OWN_RAW_BYTES,
  decodeDroppedStream,
  loadDatasetFiles,
  type DroppedFile,
} from '../../src/data/dataset';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, IdxError, encodeIdx } from '../../src/data/idx';
import { endlessGzipBomb, gzipBomb, imagesHeader } from './gzip-bomb';

const MiB = 1 << 20;
const images = (count: number, fill = (i: number) => (i * 7) % 256) =>
  encodeIdx(IDX_IMAGES_MAGIC, [count, 28, 28], new Uint8Array(count * 784).map((_, i) => fill(i)));
const labels = (count: number, fill = (i: number) => i % 10) => encodeIdx(IDX_LABELS_MAGIC, [count], Uint8Array.from({ length: count }, (_, i) => fill(i)));

/** A Blob that records whether anything asked for its bytes. */
class WatchedBlob extends Blob {
  read = false;
  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    this.read = true;
    return super.stream();
  }
  override arrayBuffer(): Promise<ArrayBuffer> {
    this.read = true;
    return super.arrayBuffer();
  }
}

const file = (name: string, bytes: Uint8Array): DroppedFile => ({ name, blob: new Blob([new Uint8Array(bytes)]) });

/** The IdxError `promise` rejects with (fails the test if it resolves or rejects with something else). */
async function idxErrorOf(promise: Promise<unknown>): Promise<IdxError> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (reason: unknown) => reason,
  );
  if (!(error instanceof IdxError)) throw error;
  return error;
}

/**
 * The most decompressed bytes that can reach the decoder before it has seen a header, or after it has
 * seen its last valid byte: one output chunk of a decompressor (Node's zlib gives at most 16 KiB; allow a
 * 64 KiB chunk).
 */
const ONE_OUTPUT_CHUNK = 64 * 1024;
/**
 * The most compressed bytes taken from an endless bomb before the reader stops: the piece being inflated
 * and what the decompressor queues before it pushes back (Node's takes up to its 16 KiB high-water mark of
 * input; measured: 16.6 KB, 16 pulls of 1 MiB of zeros each). At this bomb's 1,000 : 1 that is still at
 * most about 32 MiB inflated, never the gigabytes it would run to.
 */
const COMPRESSED_BOUND = 2 * GUNZIP_PIECE_BYTES;

describe('gzip bombs', () => {
  it('refuses a bomb whose valid header announces 1,275,000 images from its first bytes, stating the limit', async () => {
    const bomb = endlessGzipBomb(imagesHeader(1_275_000));
    let decompressed = 0;
    const error = await idxErrorOf(
      decodeDroppedStream(bomb.stream, 'bomb.gz', { limits: { countLimit: { maxCount: MAX_OWN_IMAGES, reason: '(why)' } }, onBytes: (n) => (decompressed += n) }),
    );
    expect(error.code).toBe('too-large');
    expect(error.message).toBe("The bomb.gz file's header announces 1,275,000 images; this page takes at most 300,000 (why).");
    expect(decompressed).toBeLessThanOrEqual(ONE_OUTPUT_CHUNK);
    // The endless source was read for its first chunk (gzip header + IDX header + 1 MiB of zeros, ~1 KB)
    // and what the decompressor queued.
    expect(bomb.pulled()).toBeLessThanOrEqual(COMPRESSED_BOUND);
  });

  it('stops decompressing at the first byte past the size the header announces', async () => {
    // 1,000 images announced (784,016 bytes), then zeros for ever: a header that passes every check.
    const bomb = endlessGzipBomb(imagesHeader(1_000));
    let decompressed = 0;
    const error = await idxErrorOf(decodeDroppedStream(bomb.stream, 'long.gz', { onBytes: (n) => (decompressed += n) }));
    expect(error.code).toBe('length-mismatch');
    expect(error.message).toMatch(/The long\.gz file is longer than its header says: header 1000 × 28 × 28 needs 784016 bytes/);
    expect(decompressed).toBeGreaterThan(784_016);
    expect(decompressed).toBeLessThanOrEqual(784_016 + ONE_OUTPUT_CHUNK);
    // Each pull is 1 MiB of zeros: the first one already holds more than the header announced.
    expect(bomb.pulled()).toBeLessThanOrEqual(COMPRESSED_BOUND);
  });

  it('refuses the 1 MB header-valid bomb of issue 19 dropped as a file, reading a few KB of it', async () => {
    const bytes = gzipBomb(imagesHeader(1_275_000), 1_275_000 * 784);
    expect(bytes.length).toBeGreaterThan(900_000);
    expect(bytes.length).toBeLessThan(1_100_000);
    let decompressed = 0;
    const error = await idxErrorOf(
      decodeDroppedStream(new Blob([bytes]).stream(), 'bomb.gz', { limits: { countLimit: { maxCount: MAX_OWN_IMAGES, reason: '' } }, onBytes: (n) => (decompressed += n) }),
    );
    expect(error.code).toBe('too-large');
    // (Node's Blob stream hands over the whole megabyte at once; what enters the decompressor is bounded by
    // the pieces it is fed in, shown with the endless bombs above.)
    expect(decompressed).toBeLessThanOrEqual(ONE_OUTPUT_CHUNK);
    await expect(loadDatasetFiles([file('bomb.gz', bytes), file('labels', labels(10))])).rejects.toThrow(/header announces 1,275,000 images; this page takes at most 300,000/);
  });

  it('feeds the decompressor small pieces, so a bomb read in one big chunk is not inflated whole', async () => {
    // Some decompressors (Chromium's) inflate each chunk they are given completely before the reader sees
    // any of it: record what goes into the real one.
    const written: number[] = [];
    const Real = globalThis.DecompressionStream;
    class RecordingDecompressionStream {
      readonly readable: ReadableStream<Uint8Array>;
      readonly writable: WritableStream<Uint8Array<ArrayBuffer>>;
      constructor(format: CompressionFormat) {
        const inner = new Real(format);
        const writer = inner.writable.getWriter();
        this.readable = inner.readable;
        // Passes each chunk on only once the last was taken, as a writer that awaits its writes does.
        this.writable = new WritableStream<Uint8Array<ArrayBuffer>>({
          write(chunk) {
            written.push(chunk.length);
            return writer.write(chunk);
          },
          close: () => writer.close(),
          abort: (reason: unknown) => writer.abort(reason),
        });
      }
    }
    vi.stubGlobal('DecompressionStream', RecordingDecompressionStream);
    try {
      const bytes = gzipBomb(imagesHeader(1_275_000), 1_275_000 * 784);
      // The whole megabyte as one chunk, as a BYOB read of a Blob can give it.
      const oneChunk = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      });
      await expect(decodeDroppedStream(oneChunk, 'bomb.gz', { limits: { countLimit: { maxCount: MAX_OWN_IMAGES, reason: '' } } })).rejects.toMatchObject({ code: 'too-large' });
    } finally {
      vi.unstubAllGlobals();
    }
    expect(Math.max(...written)).toBeLessThanOrEqual(GUNZIP_PIECE_BYTES);
    // A few pieces at most went in before the refusal (of about 60 in the file); at deflate's 1,032 : 1
    // each piece can inflate to at most about 17 MB.
    expect(written.reduce((sum, n) => sum + n, 0)).toBeLessThanOrEqual(COMPRESSED_BOUND + GUNZIP_PIECE_BYTES);
    expect(GUNZIP_PIECE_BYTES * 1032).toBeLessThan(20 * 1024 * 1024);
  });
});

describe('sizes and counts', () => {
  it('refuses an oversized file from its size alone, before reading any file', async () => {
    const chunk = new Blob([new Uint8Array(MiB)]);
    // 2.5 GB of references to one 1 MiB blob: nothing that large exists in memory.
    const huge = new WatchedBlob(new Array<Blob>(2_400).fill(chunk));
    const small = new WatchedBlob([new Uint8Array(labels(5))]);
    expect(huge.size).toBe(2_400 * MiB);
    const error = await idxErrorOf(loadDatasetFiles([{ name: 'labels', blob: small }, { name: 'huge.gz', blob: huge }]));
    expect(error.code).toBe('too-large');
    expect(error.message).toBe('huge.gz is 2.5 GB, larger than any data set this page takes: at most 240.0 MB per file (300,000 images of 28×28). Nothing was read.');
    expect(error.message).not.toMatch(/permission/);
    expect([huge.read, small.read]).toEqual([false, false]);
  });

  it('takes any file a valid data set can need, gzip overhead included', () => {
    // Incompressible bytes gzip to at most 5 bytes more per 65,535 plus 18 of header and trailer.
    expect(MAX_OWN_RAW_BYTES + Math.ceil(MAX_OWN_RAW_BYTES / 65_535) * 5 + 18).toBeLessThan(MAX_OWN_FILE_BYTES);
  });

  it('refuses a raw header announcing more images than the limit, before allocating', async () => {
    const header = new WatchedBlob([new Uint8Array(imagesHeader(MAX_OWN_IMAGES + 1))]);
    const error = await idxErrorOf(loadDatasetFiles([{ name: 'many', blob: header }, file('labels', labels(3))]));
    expect(error.code).toBe('too-large');
    expect(error.message).toMatch(/^The many file's header announces 300,001 images; this page takes at most 300,000 \(.*1\.2 GB of memory\)\.$/);
    const labelError = await idxErrorOf(loadDatasetFiles([file('img', images(2)), file('lots', encodeIdx(IDX_LABELS_MAGIC, [4_000_000_000], new Uint8Array(0)))]));
    expect(labelError.message).toMatch(/lots file's header announces 4,000,000,000 labels; this page takes at most 300,000/);
  });

  it('refuses image files that are within the limit one by one but not together', async () => {
    // Headers only: each is refused long before its payload would be read.
    const error = await idxErrorOf(
      loadDatasetFiles([file('a', imagesHeader(200_000)), file('b', imagesHeader(150_000)), file('c', labels(3)), file('d', labels(4))]),
    );
    expect(error.code).toBe('too-large');
    expect(error.message).toMatch(/^The image files announce 350,000 images together; this page takes at most 300,000/);
  });

  it('refuses truncated files, raw and gzip, as truncated or damaged', async () => {
    const whole = images(3);
    const raw = await idxErrorOf(loadDatasetFiles([file('cut', whole.subarray(0, 1000)), file('labels', labels(3))]));
    expect(raw.code).toBe('length-mismatch');
    expect(raw.message).toMatch(/The cut file is truncated: header 3 × 28 × 28 needs 2368 bytes, the file has 1000/);
    const gz = gzipSync(whole);
    const gzError = await idxErrorOf(loadDatasetFiles([file('cut.gz', gz.subarray(0, gz.length - 20)), file('labels', labels(3))]));
    expect(['corrupt-gzip', 'length-mismatch']).toContain(gzError.code);
    const header = await idxErrorOf(loadDatasetFiles([file('short', whole.subarray(0, 10)), file('labels', labels(3))]));
    expect(header.code).toBe('truncated-header');
  });

  it('names an unreadable file as unreadable, not as a permission problem', async () => {
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(images(1).subarray(0, 100));
        controller.error(new DOMException('The requested file could not be read, typically due to permission problems that have occurred after a reference to a file was acquired.', 'NotReadableError'));
      },
    });
    const error = await idxErrorOf(decodeDroppedStream(broken, 'gone.gz'));
    expect(error.code).toBe('unreadable');
    expect(error.message).toBe('The browser could not read gone.gz (NotReadableError): it may have been moved, changed or deleted since it was chosen. Choose it again.');
  });
});

describe('the same file twice', () => {
  it('is told apart from a valid drop, raw or gzip', async () => {
    const twice = await idxErrorOf(loadDatasetFiles([file('a', images(4)), file('b', images(4))]));
    expect(twice.code).toBe('duplicate-file');
    expect(twice.message).toBe('a and b are the same file twice (identical contents). Drop each file once: the test set must differ from the training set.');
    // A file and its gzipped copy hold the same data.
    await expect(loadDatasetFiles([file('a', images(4)), file('a.gz', gzipSync(images(4)))])).rejects.toMatchObject({ code: 'duplicate-file' });
  });

  it('is found among four files where images and labels are both duplicated, naming both pairs', async () => {
    const error = await idxErrorOf(
      loadDatasetFiles([file('train-images', images(6)), file('train-labels', labels(6)), file('copy-images', images(6)), file('copy-labels.gz', gzipSync(labels(6)))]),
    );
    expect(error.code).toBe('duplicate-file');
    expect(error.message).toBe(
      'train-images and copy-images are the same file twice (identical contents), and so are train-labels and copy-labels.gz. Drop each file once: the test set must differ from the training set.',
    );
  });

  it('is not claimed for different files of the same size, even when they differ only in their last byte', async () => {
    const last = (value: number) => images(5, (i) => (i === 5 * 784 - 1 ? value : 0));
    const data = await loadDatasetFiles([file('a', last(1)), file('b', labels(5)), file('c', last(2)), file('d', labels(5, (i) => (i + 1) % 10))]);
    expect([data.train.count, data.test.count]).toEqual([5, 5]);
  });
});
