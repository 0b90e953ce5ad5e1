/**
 * Gzip bombs with a valid IDX header, for the own-data limit tests (unit and browser). Built without ever
 * holding the decompressed bytes: deflate blocks that end with a sync flush are byte-aligned and not final,
 * so runs of them can be concatenated into one valid deflate stream (as pigz does), and one run of 1 MiB of
 * zeros (about 1 KB compressed) can be repeated as often as wanted.
 */
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { IDX_IMAGES_MAGIC, encodeIdx } from '../../src/data/idx';

/** A minimal gzip member header (RFC 1952): deflate, no flags, no time, unknown OS. */
const GZIP_HEADER = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff);
const MiB = 1 << 20;
const ZEROS = new Uint8Array(MiB);

/** Deflate blocks of `bytes`, not final and ending byte-aligned, so more blocks may follow. */
function openBlocks(bytes: Uint8Array): Uint8Array {
  return deflateRawSync(bytes, { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
}

/** 1 MiB of zeros as open deflate blocks. */
export const ZERO_MIB_BLOCKS = openBlocks(ZEROS);

/** The 16-byte header of an IDX image file announcing `count` 28×28 images. */
export function imagesHeader(count: number): Uint8Array {
  return encodeIdx(IDX_IMAGES_MAGIC, [count, 28, 28], new Uint8Array(0));
}

/**
 * A complete, valid gzip file: `header`, then `zeroBytes` zeros (its CRC-32 and length are right, so only
 * the IDX decoder can object). About 1 KB per MiB of zeros.
 */
export function gzipBomb(header: Uint8Array, zeroBytes: number): Uint8Array<ArrayBuffer> {
  const whole = Math.floor(zeroBytes / MiB);
  const rest = ZEROS.subarray(0, zeroBytes % MiB);
  let crc = crc32(header);
  for (let i = 0; i < whole; i++) crc = crc32(ZEROS, crc);
  crc = crc32(rest, crc);
  const trailer = new Uint8Array(8);
  const view = new DataView(trailer.buffer);
  view.setUint32(0, crc, true);
  view.setUint32(4, (header.length + zeroBytes) % 2 ** 32, true);
  // an empty final block ends the deflate stream
  const parts = [GZIP_HEADER, openBlocks(header), ...new Array<Uint8Array>(whole).fill(ZERO_MIB_BLOCKS), openBlocks(rest), deflateRawSync(new Uint8Array(0)), trailer];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * A gzip stream that never ends: `header`, then zeros for ever, 1 MiB per pull. `pulled()` says how many
 * compressed bytes a reader has taken — the way to show that a reader stopped early.
 */
export function endlessGzipBomb(header: Uint8Array): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  let started = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const chunk = started ? ZERO_MIB_BLOCKS.slice() : Uint8Array.from([...GZIP_HEADER, ...openBlocks(header)]);
        started = true;
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulled };
}
