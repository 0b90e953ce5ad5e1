/**
 * A checked parser for the IDX format that MNIST ships in (http-free description: a big-endian header of
 * a 4-byte magic number — two zero bytes, a type code, the number of dimensions — then one uint32 per
 * dimension, then the raw values). Every way a file can be wrong maps to one `IdxErrorCode`, so the UI can
 * say precisely what is wrong instead of training on a silently wrong shape.
 */

import { CLASS_COUNT, IMAGE_SIDE } from './mnist-shape';

/** Re-exported so existing importers of the parser keep working; the constants live in mnist-shape.ts. */
import { IMAGE_PIXELS } from './mnist-shape';
export { IMAGE_PIXELS, IMAGE_SIDE } from './mnist-shape';

/** Magic number of an IDX file of unsigned bytes with 3 dimensions (images: count × rows × cols). */
export const IDX_IMAGES_MAGIC = 2051;
/** Magic number of an IDX file of unsigned bytes with 1 dimension (labels: count). */
export const IDX_LABELS_MAGIC = 2049;
/** IDX type code for unsigned bytes, the only element type MNIST-style data uses. */
const IDX_TYPE_UBYTE = 0x08;
/**
 * The largest payload we accept: 1 GiB of pixels is ~1.4 million images, far beyond any 28×28 set.
 * A header claiming more is corrupt or hostile, and is refused before anything is allocated.
 */
export const MAX_IDX_PAYLOAD_BYTES = 1 << 30;

/** Why an IDX file was rejected. */
export type IdxErrorCode =
  | 'empty'
  | 'truncated-header'
  | 'bad-magic'
  | 'bad-dimensions'
  | 'too-large'
  | 'length-mismatch'
  | 'count-mismatch'
  | 'label-out-of-range'
  | 'corrupt-gzip'
  | 'fetch-failed'
  /** manifest.json is missing fields or is not JSON */
  | 'bad-manifest'
  /** a file's length or Adler-32 differs from what manifest.json says */
  | 'checksum-mismatch'
  /** two dropped files hold the same bytes: the same file twice */
  | 'duplicate-file'
  /** the browser could not read a dropped file (moved, changed or deleted since it was chosen) */
  | 'unreadable';

/** A rejected IDX file: `code` for programs, `message` for people. */
export class IdxError extends Error {
  override readonly name = 'IdxError';
  constructor(
    readonly code: IdxErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A parsed IDX file of unsigned bytes: `dims` from the header, `values` a view of the payload. */
export interface IdxArray {
  magic: number;
  dims: number[];
  values: Uint8Array;
}

/** The header of an unsigned-byte IDX file, checked: everything but the payload's length. */
export interface IdxHeader {
  magic: number;
  dims: number[];
  /** bytes before the payload: 4 + 4 × rank */
  headerBytes: number;
  /** values the header announces: the product of `dims` */
  payloadBytes: number;
}

/**
 * The bytes a header needs, known once its fourth byte (the rank) is there: 4 + 4 × rank. Until then, and
 * for a rank outside 1–3 (which `parseIdxHeader` rejects from the first 4 bytes), 4. Lets a streaming
 * reader collect exactly the header before calling `parseIdxHeader`.
 */
export function idxHeaderLength(start: Uint8Array): number {
  if (start.length < 4) return 4;
  const rank = start[3];
  return rank >= 1 && rank <= 3 ? 4 + 4 * rank : 4;
}

/** A cap on the first dimension (the number of images or labels) and, for the message, why it is there. */
export interface IdxCountLimit {
  maxCount: number;
  /** completes "this page takes at most N …", e.g. "(about 1.2 GB of memory)" */
  reason: string;
}

/**
 * Checks an IDX header: the magic number's shape, the rank, and that the announced payload is not absurd.
 * @param bytes the file, or at least its first `idxHeaderLength` bytes
 * @param what a name for messages, e.g. "training images"
 * @param countLimit when given, a first dimension above `maxCount` is refused first, with a message that
 *   states the limit (before the generic payload limit, whose message speaks of bytes, not images)
 * @throws IdxError('empty' | 'truncated-header' | 'bad-magic' | 'too-large')
 */
export function parseIdxHeader(bytes: Uint8Array, what: string, countLimit?: IdxCountLimit): IdxHeader {
  if (bytes.length === 0) throw new IdxError('empty', `The ${what} file is empty.`);
  if (bytes.length < 4) {
    throw new IdxError('truncated-header', `The ${what} file is only ${bytes.length} bytes: too short for an IDX header.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const typeCode = bytes[2];
  const rank = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || typeCode !== IDX_TYPE_UBYTE || rank < 1 || rank > 3) {
    throw new IdxError(
      'bad-magic',
      `The ${what} file does not start with an IDX magic number for unsigned bytes (found ${magic}; expected ${IDX_IMAGES_MAGIC} for images or ${IDX_LABELS_MAGIC} for labels).`,
    );
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new IdxError('truncated-header', `The ${what} file ends inside its header (${bytes.length} of ${headerBytes} bytes).`);
  }
  const dims: number[] = [];
  let payload = 1;
  for (let i = 0; i < rank; i++) {
    const dim = view.getUint32(4 + 4 * i, false);
    dims.push(dim);
    payload *= dim;
  }
  if (countLimit && dims[0] > countLimit.maxCount) {
    const items = magic === IDX_IMAGES_MAGIC ? 'images' : magic === IDX_LABELS_MAGIC ? 'labels' : 'items';
    throw new IdxError(
      'too-large',
      `The ${what} file's header announces ${dims[0].toLocaleString('en')} ${items}; this page takes at most ${countLimit.maxCount.toLocaleString('en')} ${countLimit.reason}.`,
    );
  }
  if (payload > MAX_IDX_PAYLOAD_BYTES) {
    throw new IdxError(
      'too-large',
      `The ${what} file's header claims ${dims.join(' × ')} values (${formatBytes(payload)}), more than the ${formatBytes(MAX_IDX_PAYLOAD_BYTES)} this page accepts.`,
    );
  }
  return { magic, dims, headerBytes, payloadBytes: payload };
}

/**
 * Checks that a file of `fileBytes` bytes holds exactly what its header announces.
 * @throws IdxError('length-mismatch')
 */
export function checkIdxLength(header: IdxHeader, fileBytes: number, what: string): void {
  const expected = header.headerBytes + header.payloadBytes;
  if (fileBytes !== expected) {
    const how = fileBytes < expected ? 'truncated' : 'longer than its header says';
    throw new IdxError(
      'length-mismatch',
      `The ${what} file is ${how}: header ${header.dims.join(' × ')} needs ${expected} bytes, the file has ${fileBytes}.`,
    );
  }
}

/**
 * Parses an unsigned-byte IDX file and checks that its length matches its header exactly.
 * @param bytes the whole (already decompressed) file
 * @param what a name for messages, e.g. "training images"
 */
export function parseIdx(bytes: Uint8Array, what: string): IdxArray {
  const header = parseIdxHeader(bytes, what);
  checkIdxLength(header, bytes.length, what);
  return { magic: header.magic, dims: header.dims, values: bytes.subarray(header.headerBytes) };
}

/**
 * Checks that a header describes MNIST-style images (magic 2051, N × 28 × 28, N > 0).
 * @returns N, the number of images
 * @throws IdxError('bad-magic' | 'bad-dimensions' | 'empty')
 */
export function checkImagesHeader(header: Pick<IdxHeader, 'magic' | 'dims'>, what: string): number {
  if (header.magic !== IDX_IMAGES_MAGIC) {
    throw new IdxError('bad-magic', `The ${what} file has magic number ${header.magic}, not ${IDX_IMAGES_MAGIC} (images).`);
  }
  const [count, rows, cols] = header.dims;
  if (rows !== IMAGE_SIDE || cols !== IMAGE_SIDE) {
    throw new IdxError('bad-dimensions', `The ${what} are ${rows} × ${cols} pixels; the models need ${IMAGE_SIDE} × ${IMAGE_SIDE}.`);
  }
  if (count === 0) throw new IdxError('empty', `The ${what} file holds no images.`);
  return count;
}

/**
 * Checks that a header describes an MNIST-style label file (magic 2049).
 * @throws IdxError('bad-magic')
 */
export function checkLabelsHeader(header: Pick<IdxHeader, 'magic'>, what: string): void {
  if (header.magic !== IDX_LABELS_MAGIC) {
    throw new IdxError('bad-magic', `The ${what} file has magic number ${header.magic}, not ${IDX_LABELS_MAGIC} (labels).`);
  }
}

/**
 * Checks that every label is a class index 0–9.
 * @throws IdxError('label-out-of-range') naming the first bad label
 */
export function checkLabelValues(labels: Uint8Array, what: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= CLASS_COUNT) {
      throw new IdxError('label-out-of-range', `Label ${i} in the ${what} file is ${labels[i]}; labels must be 0–${CLASS_COUNT - 1}.`);
    }
  }
}

/**
 * Checks that an image set and a label set describe the same number of items.
 * @throws IdxError('count-mismatch')
 */
export function checkPairCounts(imageCount: number, labelCount: number, what: string): void {
  if (labelCount !== imageCount) {
    throw new IdxError('count-mismatch', `The ${what} set has ${imageCount} images but ${labelCount} labels.`);
  }
}

/**
 * Parses an MNIST-style image file (magic 2051, N × 28 × 28).
 * @returns the N images as raw bytes, N×784 row-major
 */
export function parseImages(bytes: Uint8Array, what = 'images'): { count: number; pixels: Uint8Array } {
  const idx = parseIdx(bytes, what);
  const count = checkImagesHeader(idx, what);
  return { count, pixels: idx.values };
}

/** Parses an MNIST-style label file (magic 2049, N labels each in 0–9). */
export function parseLabels(bytes: Uint8Array, what = 'labels'): Uint8Array {
  const idx = parseIdx(bytes, what);
  checkLabelsHeader(idx, what);
  checkLabelValues(idx.values, what);
  return idx.values;
}

/** A labelled image set ready for training: pixels scaled to [0, 1]. */
export interface LabelledImages {
  /** count × 784, row-major, each pixel / 255 (in sets from `labelledImagesFromBytes`, made on first read) */
  readonly images: Float32Array;
  /** count labels, 0–9 */
  labels: Uint8Array;
  count: number;
}

/**
 * The first `n` images of a set as floats (n × 784), without making the floats of the rest when they are
 * not made yet: what the data panel shows the moment a set is in.
 */
export function firstImages(set: LabelledImages, n: number): Float32Array {
  const count = Math.min(n, set.count);
  const bytes = heldBytes.get(set);
  return bytes ? scalePixels(bytes.subarray(0, count * IMAGE_PIXELS)) : set.images.slice(0, count * IMAGE_PIXELS);
}

/**
 * Writes image `index` of `set` as 784 bytes 0–255 into `out` at `offset`: straight from the file's bytes
 * while the set still holds them, otherwise back from the floats (byte / 255 rounds back exactly).
 */
export function copyImageBytes(set: LabelledImages, index: number, out: Uint8Array, offset: number): void {
  const bytes = heldBytes.get(set);
  if (bytes) {
    out.set(bytes.subarray(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS), offset);
    return;
  }
  const floats = set.images;
  const start = index * IMAGE_PIXELS;
  for (let p = 0; p < IMAGE_PIXELS; p++) out[offset + p] = Math.round(Math.min(1, Math.max(0, floats[start + p])) * 255);
}

/** The pixel bytes of lazily converted sets, while their floats are not made yet. */
const heldBytes = new WeakMap<LabelledImages, Uint8Array>();

/** Parses and pairs an image file with its label file, checking that their counts agree. */
export function parseLabelledImages(imageBytes: Uint8Array, labelBytes: Uint8Array, what: string): LabelledImages {
  const { count, pixels } = parseImages(imageBytes, `${what} images`);
  const labels = parseLabels(labelBytes, `${what} labels`);
  checkPairCounts(count, labels.length, what);
  return { images: scalePixels(pixels), labels, count };
}

/**
 * A labelled set whose float pixels are made from `pixels` the first time `images` is read, and the bytes
 * then let go. Why: on the 2-core test VM, first-touching memory costs about 8 ms per MiB whatever the
 * thread (measured: 1.5 s for 188 MiB; two threads are no faster), so the 220 MB of MNIST floats alone
 * would take longer than the whole download. Made lazily, they cost nothing before the page shows the
 * data, and are paid once, by the first thing that needs them (the first training run).
 * @param pixels count × 784 bytes 0–255, row-major
 */
export function labelledImagesFromBytes(pixels: Uint8Array, labels: Uint8Array, count: number): LabelledImages {
  let held: { bytes: Uint8Array } | { floats: Float32Array } = { bytes: pixels };
  const set: LabelledImages = {
    get images(): Float32Array {
      if ('bytes' in held) {
        held = { floats: scalePixels(held.bytes) };
        heldBytes.delete(set);
      }
      return held.floats;
    },
    labels,
    count,
  };
  heldBytes.set(set, pixels);
  return set;
}

/**
 * byte → byte / 255 as float32, for every byte value. A table lookup gives bit-for-bit the same floats as
 * dividing (the reference divides by 255) without the int → double → float conversions per pixel.
 */
const PIXEL_SCALE = Float32Array.from({ length: 256 }, (_, value) => value / 255);

/** Bytes 0–255 → float32 in [0, 1], as the reference divides by 255. */
export function scalePixels(pixels: Uint8Array): Float32Array {
  const out = new Float32Array(pixels.length);
  const table = PIXEL_SCALE;
  const n = pixels.length;
  for (let i = 0; i < n; i++) out[i] = table[pixels[i]];
  return out;
}

function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  return `${n} bytes`;
}

/** Encodes an unsigned-byte IDX file; used by tests and the data script to build files with known content. */
export function encodeIdx(magic: number, dims: readonly number[], values: Uint8Array): Uint8Array {
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + values.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((dim, i) => view.setUint32(4 + 4 * i, dim, false));
  out.set(values, header);
  return out;
}
