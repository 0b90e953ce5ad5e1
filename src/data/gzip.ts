import { IdxError, MAX_IDX_PAYLOAD_BYTES } from './idx';

/** The two bytes every gzip member starts with (RFC 1952). */
const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** True when `bytes` starts like a gzip stream. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/**
 * Gunzips `bytes` with the platform's `DecompressionStream` (browsers and Node ≥ 18), or returns them
 * unchanged when they are not gzip — so raw and compressed IDX files are both accepted.
 * Output beyond `limitBytes` aborts early: a small "gzip bomb" cannot exhaust memory.
 * @throws IdxError('corrupt-gzip') when the stream is damaged, IdxError('too-large') past the limit
 */
export async function maybeGunzip(bytes: Uint8Array, what: string, limitBytes = MAX_IDX_PAYLOAD_BYTES + 16): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  // Copy into a fresh ArrayBuffer-backed array: Blob needs a plain ArrayBuffer view.
  const source = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream('gzip'));
  const reader = source.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limitBytes) {
        await reader.cancel();
        throw new IdxError('too-large', `The ${what} file decompresses to more than ${Math.round(limitBytes / 2 ** 20)} MiB; refusing it.`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof IdxError) throw error;
    throw new IdxError('corrupt-gzip', `The ${what} file is not a valid gzip stream (${describe(error)}).`);
  }
  return concat(chunks, total);
}

/** Joins chunks into one array of `total` bytes. */
export function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
