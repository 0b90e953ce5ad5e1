/**
 * Decodes an IDX file chunk by chunk as it downloads, with the same checks as the whole-file parser in
 * idx.ts. The payload goes straight into one array of its final size, allocated once the header is in:
 * no list of chunks, no joining copy. On the 2-core test VM, touching fresh memory is the main cost of
 * loading (about 8 ms per MiB), so every copy avoided counts.
 */
import {
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  IdxError,
  checkIdxLength,
  checkImagesHeader,
  checkLabelsHeader,
  checkLabelValues,
  idxHeaderLength,
  parseIdxHeader,
  type IdxCountLimit,
  type IdxHeader,
} from './idx';

/** What a streamed file must be: images (magic 2051, N × 28 × 28) or labels (magic 2049). */
export type IdxStreamKind = 'images' | 'labels';

/** Limits for files from outside the page's own server (files a person drops). */
export interface IdxStreamLimits {
  /** a cap on the number of images or labels, checked from the header before anything is allocated */
  countLimit?: IdxCountLimit;
  /**
   * Called once the header has passed every check, just before its payload is allocated: throw to refuse
   * the file (e.g. a budget shared by several files).
   */
  beforeAllocate?: (kind: IdxStreamKind, count: number) => void;
}

/**
 * A finished, checked file: images as N×784 row-major bytes 0–255, or labels 0–9; `header` holds the
 * file's header bytes, so header + payload is the file as it arrived.
 */
export type DecodedIdx =
  | { kind: 'images'; count: number; header: Uint8Array<ArrayBuffer>; pixels: Uint8Array<ArrayBuffer> }
  | { kind: 'labels'; count: number; header: Uint8Array<ArrayBuffer>; labels: Uint8Array<ArrayBuffer> };

/** The longest header an unsigned-byte IDX file can have: magic + three dimensions. */
const MAX_HEADER_BYTES = 16;

/**
 * Feed it the file's bytes with `push`, in chunks of any size, then call `finish`. The header is checked
 * as soon as it is complete (a wrong file fails on its first chunk, before anything large is allocated);
 * bytes beyond what the header announces fail at once, so a runaway stream cannot run on.
 */
export class IdxStreamDecoder {
  private readonly head = new Uint8Array(MAX_HEADER_BYTES);
  private headFilled = 0;
  private header: IdxHeader | null = null;
  /** the arrays being filled, made once the header has passed its checks */
  private output: DecodedIdx | null = null;
  /** payload values written so far */
  private written = 0;
  private seen = 0;

  /**
   * @param kind what the file must hold; 'either' takes images or labels, whichever its magic number says
   * @param what a name for messages, e.g. "training images"
   */
  constructor(
    readonly kind: IdxStreamKind | 'either',
    private readonly what: string,
    private readonly limits: IdxStreamLimits = {},
  ) {}

  /** Bytes pushed so far, header included. */
  get bytesSeen(): number {
    return this.seen;
  }

  /**
   * Takes the next bytes of the file. The chunk is read before this returns and not kept, so the caller
   * may reuse its buffer.
   * @throws IdxError on a bad header, or ('length-mismatch') once the file runs past its announced length
   */
  push(chunk: Uint8Array): void {
    this.seen += chunk.length;
    const offset = this.header ? 0 : this.takeHeader(chunk);
    if (!this.header) return;
    const { header, output } = this;
    if (!output) return;
    if (this.seen > header.headerBytes + header.payloadBytes) checkIdxLength(header, this.seen, this.what);
    const payload = offset === 0 ? chunk : chunk.subarray(offset);
    (output.kind === 'images' ? output.pixels : output.labels).set(payload, this.written);
    this.written += payload.length;
  }

  /**
   * Ends the file: checks that it was as long as its header said and, for labels, that each is 0–9.
   * @throws IdxError for a missing or cut header, a short file, or a label out of range
   */
  finish(): DecodedIdx {
    // Without a whole header, this throws the reason: empty, cut short, or not IDX at all.
    const header = this.header ?? parseIdxHeader(this.head.subarray(0, this.headFilled), this.what);
    checkIdxLength(header, this.seen, this.what);
    const { output } = this;
    if (!output) throw new Error(`IdxStreamDecoder: the ${this.what} header passed but no output was made`);
    if (output.kind === 'labels') checkLabelValues(output.labels, this.what);
    return output;
  }

  /** Collects header bytes from `chunk`; once the header is whole, checks it and allocates the output. */
  private takeHeader(chunk: Uint8Array): number {
    let offset = 0;
    while (offset < chunk.length) {
      const needed = idxHeaderLength(this.head.subarray(0, this.headFilled));
      if (this.headFilled >= needed) break;
      const take = Math.min(needed - this.headFilled, chunk.length - offset);
      this.head.set(chunk.subarray(offset, offset + take), this.headFilled);
      this.headFilled += take;
      offset += take;
    }
    const filled = this.head.subarray(0, this.headFilled);
    if (this.headFilled < idxHeaderLength(filled)) return offset;
    const header = parseIdxHeader(filled, this.what, this.limits.countLimit);
    const headerBytes = filled.slice();
    const kind = this.kind === 'either' ? kindOf(header.magic, this.what) : this.kind;
    if (kind === 'images') {
      const count = checkImagesHeader(header, this.what);
      this.limits.beforeAllocate?.('images', count);
      this.output = { kind: 'images', count, header: headerBytes, pixels: new Uint8Array(header.payloadBytes) };
    } else {
      checkLabelsHeader(header, this.what);
      this.limits.beforeAllocate?.('labels', header.payloadBytes);
      this.output = { kind: 'labels', count: header.payloadBytes, header: headerBytes, labels: new Uint8Array(header.payloadBytes) };
    }
    this.header = header;
    return offset;
  }
}

/**
 * Images or labels, by magic number.
 * @throws IdxError('bad-magic') for anything else
 */
function kindOf(magic: number, what: string): IdxStreamKind {
  if (magic === IDX_IMAGES_MAGIC) return 'images';
  if (magic === IDX_LABELS_MAGIC) return 'labels';
  throw new IdxError('bad-magic', `The ${what} file has magic number ${magic}: neither images (${IDX_IMAGES_MAGIC}) nor labels (${IDX_LABELS_MAGIC}).`);
}
