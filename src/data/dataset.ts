/**
 * A labelled 28×28 data set from files a person drops on the page (e.g. Fashion-MNIST, KMNIST): two or
 * four IDX files, raw or gzip, in any order and under any names. Files are told apart by their headers
 * (magic 2051 = images, 2049 = labels) and paired by count; the larger pair is the training set.
 *
 * These files come from anywhere, so they are never trusted with memory: each file's size is checked before
 * a byte is read, each is streamed through the same decoder as MNIST (header checked from its first bytes,
 * the payload allocated once at the size the header announces, within the limits below), and decompression
 * stops at the first byte past what the header announced — a gzip bomb is refused after a few megabytes.
 */
import { idxBodyChunks } from './byte-stream';
import { IdxStreamDecoder, type DecodedIdx, type IdxStreamLimits } from './idx-stream';
import { IMAGE_PIXELS, IdxError, checkPairCounts, labelledImagesFromBytes, type IdxCountLimit } from './idx';
import type { MnistData } from './mnist';

/** A dropped file: its name and contents (a `File` is a Blob with a name). */
export interface DroppedFile {
  name: string;
  blob: Blob;
}

/** With one image/label pair, this fraction (MNIST's 10,000 of 70,000) becomes the test set. */
export const HELD_OUT_FRACTION = 1 / 7;

/**
 * The most images a dropped data set may hold, all files together. Why this number: the largest 10-class
 * 28×28 set in use, EMNIST Digits, has 280,000 (MNIST, Fashion-MNIST and KMNIST have 70,000, QMNIST
 * 120,000); and each image costs 784 bytes as read plus 3,136 bytes as the floats training uses, so 300,000
 * images are about 1.2 GB — what a tab on an 8 GB laptop can still hold. A header announcing more (the
 * 1,275,000-image bomb of issue 19 would have needed 5 GB) is refused before anything is allocated.
 * Rows × cols need no cap of their own: the models take exactly 28 × 28, and any other shape is refused
 * from the header too.
 */
export const MAX_OWN_IMAGES = 300_000;

/** Bytes of the largest valid raw file: a 16-byte header and MAX_OWN_IMAGES images of 784 bytes. */
export const MAX_OWN_RAW_BYTES = 16 + MAX_OWN_IMAGES * IMAGE_PIXELS;

/**
 * The largest file accepted, checked from `File.size` before anything is read. A valid file is at most
 * MAX_OWN_RAW_BYTES (235.2 MB) raw; gzip can make incompressible data slightly larger (5 bytes per 64 KiB
 * block, about 18 KB here, plus its header), so 240 MB leaves room for that and nothing more. Anything
 * bigger cannot be a data set this page would take, however it decompresses.
 */
export const MAX_OWN_FILE_BYTES = 240_000_000;

/** The count limit every dropped file's header is held to (labels too: they must match the images). */
const OWN_COUNT_LIMIT: IdxCountLimit = {
  maxCount: MAX_OWN_IMAGES,
  reason: `(the largest 28×28 data sets, EMNIST Digits, hold 280,000; ${MAX_OWN_IMAGES.toLocaleString('en')} images take about 1.2 GB of memory)`,
};

/**
 * Checks, streams, classifies, pairs and splits dropped files. Nothing is kept from a failed drop, so the
 * caller's current data set stays.
 * @throws IdxError with a message naming the file at fault and the cause (a size or count states its limit)
 */
export async function loadDatasetFiles(files: readonly DroppedFile[]): Promise<MnistData> {
  if (files.length !== 2 && files.length !== 4) {
    throw new IdxError('count-mismatch', `Drop two files (images and labels) or four (training and test images and labels); got ${files.length}.`);
  }
  // Every size is checked before any file is read: one oversized file costs nothing.
  for (const { name, blob } of files) checkFileSize(name, blob.size);
  const decoded = await decodeAll(files);
  const duplicates = duplicatePairs(decoded);
  if (duplicates.length > 0) {
    const [first, ...more] = duplicates.map(([a, b]) => `${a} and ${b}`);
    const also = more.length > 0 ? `, and so are ${more.join(', ')}` : '';
    throw new IdxError(
      'duplicate-file',
      `${first} are the same file twice (identical contents)${also}. Drop each file once: the test set must differ from the training set.`,
    );
  }
  const images = decoded.flatMap(({ name, file }) => (file.kind === 'images' ? [{ name, file }] : []));
  const labels = decoded.flatMap(({ name, file }) => (file.kind === 'labels' ? [{ name, file }] : []));
  if (images.length !== labels.length) {
    throw new IdxError('count-mismatch', `Got ${images.length} image file(s) and ${labels.length} label file(s); they come in pairs.`);
  }
  images.sort((a, b) => b.file.count - a.file.count);
  labels.sort((a, b) => b.file.count - a.file.count);
  const pairs = images.map((image, i) => {
    const label = labels[i];
    if (image.file.kind !== 'images' || label.file.kind !== 'labels') throw new Error('loadDatasetFiles: files were sorted into the wrong kind');
    checkPairCounts(image.file.count, label.file.count, `${image.name} + ${label.name}`);
    return { pixels: image.file.pixels, labels: label.file.labels, count: image.file.count };
  });
  if (pairs.length === 2) {
    const [train, test] = pairs;
    return { train: labelledImagesFromBytes(train.pixels, train.labels, train.count), test: labelledImagesFromBytes(test.pixels, test.labels, test.count) };
  }
  return holdOut(pairs[0].pixels, pairs[0].labels, pairs[0].count);
}

/**
 * Refuses a file by its size alone, before it is read.
 * @throws IdxError('too-large' | 'empty')
 */
export function checkFileSize(name: string, bytes: number): void {
  if (bytes === 0) throw new IdxError('empty', `${name} is empty.`);
  if (bytes > MAX_OWN_FILE_BYTES) {
    throw new IdxError(
      'too-large',
      `${name} is ${formatMegabytes(bytes)}, larger than any data set this page takes: at most ${formatMegabytes(MAX_OWN_FILE_BYTES)} per file (${MAX_OWN_IMAGES.toLocaleString('en')} images of 28×28). Nothing was read.`,
    );
  }
}

/** Decodes every file side by side, within one image budget; the first failure stops the others. */
async function decodeAll(files: readonly DroppedFile[]): Promise<{ name: string; file: DecodedIdx }[]> {
  const stop = new AbortController();
  const limits: IdxStreamLimits = { countLimit: OWN_COUNT_LIMIT, beforeAllocate: imageBudget() };
  try {
    return await Promise.all(
      files.map(async ({ name, blob }) => {
        try {
          return { name, file: await decodeDroppedStream(blob.stream(), name, { limits, signal: stop.signal }) };
        } catch (error) {
          if (!stop.signal.aborted) stop.abort(error);
          throw error;
        }
      }),
    );
  } finally {
    // On success this is a no-op; on failure it releases any file still being read.
    if (!stop.signal.aborted) stop.abort(new DOMException('Another file failed.', 'AbortError'));
  }
}

/** Refuses a drop whose image files together announce more than MAX_OWN_IMAGES, as each header arrives. */
function imageBudget(): NonNullable<IdxStreamLimits['beforeAllocate']> {
  let images = 0;
  return (kind, count) => {
    if (kind !== 'images') return;
    images += count;
    if (images > MAX_OWN_IMAGES) {
      throw new IdxError(
        'too-large',
        `The image files announce ${images.toLocaleString('en')} images together; this page takes at most ${MAX_OWN_IMAGES.toLocaleString('en')} ${OWN_COUNT_LIMIT.reason}.`,
      );
    }
  };
}

/** What `decodeDroppedStream` needs besides the stream. */
export interface DecodeOptions {
  /** the header's limits (none by default) */
  limits?: IdxStreamLimits;
  /** stops the read; the call then rejects with its reason */
  signal?: AbortSignal;
  /** told of each decompressed chunk's length as it reaches the decoder */
  onBytes?: (bytes: number) => void;
}

/**
 * Decodes one dropped file as it streams in: gunzipped when it is gzip, the header checked against
 * `options.limits` from its first bytes, and refused at the first byte past what its header announced.
 * @param name the file's name, for messages
 * @throws IdxError for a bad, oversized, truncated or unreadable file; the abort reason when the signal aborts
 */
export async function decodeDroppedStream(stream: ReadableStream<Uint8Array>, name: string, options: DecodeOptions = {}): Promise<DecodedIdx> {
  const { limits, signal, onBytes } = options;
  const decoder = new IdxStreamDecoder('either', name, limits);
  try {
    for await (const chunk of idxBodyChunks(stream, name, signal)) {
      onBytes?.(chunk.length);
      decoder.push(chunk);
    }
  } catch (error) {
    if (error instanceof IdxError || signal?.aborted) throw error;
    // The browser's own message for this blames "permission problems" whatever the cause.
    const kind = error instanceof Error ? ` (${error.name})` : '';
    throw new IdxError('unreadable', `The browser could not read ${name}${kind}: it may have been moved, changed or deleted since it was chosen. Choose it again.`);
  }
  return decoder.finish();
}

/**
 * Pairs of files of the same kind with identical contents. Cheap: only files whose headers match (same kind
 * and count) are compared, and a comparison stops at the first differing byte — for two different files
 * that is almost always within the first image. Exact, unlike a hash. Contents are compared after
 * decompression, so a file and its gzipped copy are the same file too.
 */
function duplicatePairs(files: readonly { name: string; file: DecodedIdx }[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < files.length; i++) {
    for (let j = i + 1; j < files.length; j++) {
      const a = files[i].file;
      const b = files[j].file;
      if (sameBytes(a.header, b.header) && sameBytes(payloadOf(a), payloadOf(b))) pairs.push([files[i].name, files[j].name]);
    }
  }
  return pairs;
}

function payloadOf(file: DecodedIdx): Uint8Array<ArrayBuffer> {
  return file.kind === 'images' ? file.pixels : file.labels;
}

/** True when both arrays hold the same bytes; compares 4 bytes at a time where both are aligned. */
export function sameBytes(a: Uint8Array<ArrayBuffer>, b: Uint8Array<ArrayBuffer>): boolean {
  if (a.length !== b.length) return false;
  let i = 0;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const words = a.length >>> 2;
    const wa = new Uint32Array(a.buffer, a.byteOffset, words);
    const wb = new Uint32Array(b.buffer, b.byteOffset, words);
    for (let w = 0; w < words; w++) if (wa[w] !== wb[w]) return false;
    i = words * 4;
  }
  for (; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Splits one set into training and test parts, the last HELD_OUT_FRACTION becoming the test set. Split as
 * bytes, each part's floats made on first use (see `labelledImagesFromBytes`).
 * @param pixels count × 784 bytes
 */
export function holdOut(pixels: Uint8Array, labels: Uint8Array, count: number): MnistData {
  const testCount = Math.max(1, Math.round(count * HELD_OUT_FRACTION));
  const trainCount = count - testCount;
  if (trainCount < 1) throw new IdxError('empty', 'The data set needs at least two images to hold some out for testing.');
  const cut = trainCount * IMAGE_PIXELS;
  return {
    train: labelledImagesFromBytes(pixels.subarray(0, cut), labels.subarray(0, trainCount), trainCount),
    test: labelledImagesFromBytes(pixels.subarray(cut), labels.subarray(trainCount), testCount),
  };
}

/** Sizes in decimal megabytes, as file managers show them. */
function formatMegabytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
