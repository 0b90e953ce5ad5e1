/**
 * A checked parser for the IDX format that MNIST ships in (http-free description: a big-endian header of
 * a 4-byte magic number — two zero bytes, a type code, the number of dimensions — then one uint32 per
 * dimension, then the raw values). Every way a file can be wrong maps to one `IdxErrorCode`, so the UI can
 * say precisely what is wrong instead of training on a silently wrong shape.
 */

/** Magic number of an IDX file of unsigned bytes with 3 dimensions (images: count × rows × cols). */
export const IDX_IMAGES_MAGIC = 2051;
/** Magic number of an IDX file of unsigned bytes with 1 dimension (labels: count). */
export const IDX_LABELS_MAGIC = 2049;
/** IDX type code for unsigned bytes, the only element type MNIST-style data uses. */
const IDX_TYPE_UBYTE = 0x08;
/** MNIST images are 28 × 28 pixels; the models are built for exactly that. */
export const IMAGE_SIDE = 28;
/** Pixels per image (28 × 28). */
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;
/** Labels are digits (or any 10-class set, e.g. Fashion-MNIST). */
export const NUM_CLASSES = 10;
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
  | 'fetch-failed';

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

/**
 * Parses an unsigned-byte IDX file and checks that its length matches its header exactly.
 * @param bytes the whole (already decompressed) file
 * @param what a name for messages, e.g. "training images"
 */
export function parseIdx(bytes: Uint8Array, what: string): IdxArray {
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
  if (payload > MAX_IDX_PAYLOAD_BYTES) {
    throw new IdxError(
      'too-large',
      `The ${what} file's header claims ${dims.join(' × ')} values (${formatBytes(payload)}), more than the ${formatBytes(MAX_IDX_PAYLOAD_BYTES)} this page accepts.`,
    );
  }
  const expected = headerBytes + payload;
  if (bytes.length !== expected) {
    const how = bytes.length < expected ? 'truncated' : 'longer than its header says';
    throw new IdxError(
      'length-mismatch',
      `The ${what} file is ${how}: header ${dims.join(' × ')} needs ${expected} bytes, the file has ${bytes.length}.`,
    );
  }
  return { magic, dims, values: bytes.subarray(headerBytes) };
}

/**
 * Parses an MNIST-style image file (magic 2051, N × 28 × 28).
 * @returns the N images as raw bytes, N×784 row-major
 */
export function parseImages(bytes: Uint8Array, what = 'images'): { count: number; pixels: Uint8Array } {
  const idx = parseIdx(bytes, what);
  if (idx.magic !== IDX_IMAGES_MAGIC) {
    throw new IdxError('bad-magic', `The ${what} file has magic number ${idx.magic}, not ${IDX_IMAGES_MAGIC} (images).`);
  }
  const [count, rows, cols] = idx.dims;
  if (rows !== IMAGE_SIDE || cols !== IMAGE_SIDE) {
    throw new IdxError('bad-dimensions', `The ${what} are ${rows} × ${cols} pixels; the models need ${IMAGE_SIDE} × ${IMAGE_SIDE}.`);
  }
  if (count === 0) throw new IdxError('empty', `The ${what} file holds no images.`);
  return { count, pixels: idx.values };
}

/** Parses an MNIST-style label file (magic 2049, N labels each in 0–9). */
export function parseLabels(bytes: Uint8Array, what = 'labels'): Uint8Array {
  const idx = parseIdx(bytes, what);
  if (idx.magic !== IDX_LABELS_MAGIC) {
    throw new IdxError('bad-magic', `The ${what} file has magic number ${idx.magic}, not ${IDX_LABELS_MAGIC} (labels).`);
  }
  const labels = idx.values;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= NUM_CLASSES) {
      throw new IdxError('label-out-of-range', `Label ${i} in the ${what} file is ${labels[i]}; labels must be 0–${NUM_CLASSES - 1}.`);
    }
  }
  return labels;
}

/** A labelled image set ready for training: pixels scaled to [0, 1]. */
export interface LabelledImages {
  /** count × 784, row-major, each pixel / 255 */
  images: Float32Array;
  /** count labels, 0–9 */
  labels: Uint8Array;
  count: number;
}

/** Parses and pairs an image file with its label file, checking that their counts agree. */
export function parseLabelledImages(imageBytes: Uint8Array, labelBytes: Uint8Array, what: string): LabelledImages {
  const { count, pixels } = parseImages(imageBytes, `${what} images`);
  const labels = parseLabels(labelBytes, `${what} labels`);
  if (labels.length !== count) {
    throw new IdxError('count-mismatch', `The ${what} set has ${count} images but ${labels.length} labels.`);
  }
  return { images: scalePixels(pixels), labels, count };
}

/** Bytes 0–255 → float32 in [0, 1], as the reference divides by 255. */
export function scalePixels(pixels: Uint8Array): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 255;
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
