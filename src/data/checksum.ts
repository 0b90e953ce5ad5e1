/**
 * Adler-32 (RFC 1950), the checksum zlib streams end with. It verifies a cached or downloaded file against
 * the manifest while the bytes stream past: one addition pair per byte, far cheaper than a cryptographic
 * hash in JavaScript (SubtleCrypto cannot hash a stream), and enough to catch a damaged or wrong file —
 * the threat here is corruption, not an attacker, who could not write to this origin's storage anyway.
 */

/** Adler-32 of no bytes; pass it as `state` for a file's first chunk. */
export const ADLER32_INITIAL = 1;

/** The largest prime below 2^16, the modulus of both sums. */
const ADLER32_MODULUS = 65521;
/**
 * The most bytes after which `b` still fits in 32 bits before the modulus is taken (zlib's NMAX): both sums
 * stay small integers, the JIT's fastest numbers.
 */
const ADLER32_BLOCK = 5552;

/**
 * Continues an Adler-32 over `bytes`.
 * @param state the checksum of everything before `bytes` (ADLER32_INITIAL to start)
 * @returns the checksum including `bytes`, an unsigned 32-bit integer
 */
export function adler32(bytes: Uint8Array, state: number = ADLER32_INITIAL): number {
  let a = state & 0xffff;
  let b = state >>> 16;
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const end = Math.min(n, i + ADLER32_BLOCK);
    for (; i < end; i++) {
      a += bytes[i];
      b += a;
    }
    a %= ADLER32_MODULUS;
    b %= ADLER32_MODULUS;
  }
  return ((b << 16) | a) >>> 0;
}
