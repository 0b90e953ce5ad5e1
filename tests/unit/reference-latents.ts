/**
 * The first 2,000 rows of the reference CNN-ELU model's training-set latents and their labels, committed in
 * `tests/fixtures/` (provenance and md5 in its README) so that a plain clone of the repository is complete.
 * The full 60,000-row files are only for `npm run bench` (AE_REFERENCE_DIR).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Rows in the fixture. */
export const REFERENCE_COUNT = 2000;
export const REFERENCE_DIM = 64;

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures');
const latentsPath = resolve(dir, 'latent_cnn_elu_train_2000.f32');
const labelsPath = resolve(dir, 'labels_train_2000.u8');
/** md5 of the two files as written in tests/fixtures/README.md: a changed fixture fails loudly, not subtly. */
const LATENTS_MD5 = '1049ed16b2bb8665e8770def440217f5';
const LABELS_MD5 = 'a55e0ec9daedf3ca56ed6123071223a8';

function readChecked(path: string, md5: string, bytes: number): Buffer {
  const buffer = readFileSync(path);
  if (buffer.byteLength !== bytes) throw new Error(`${path}: ${buffer.byteLength} bytes, expected ${bytes}`);
  const digest = createHash('md5').update(buffer).digest('hex');
  if (digest !== md5) throw new Error(`${path}: md5 ${digest}, expected ${md5} (see tests/fixtures/README.md)`);
  return buffer;
}

/** The first `rows` (≤ 2,000) latent rows (row-major, 64 floats each) and their digits. */
export function loadReferenceLatents(rows = REFERENCE_COUNT): { data: Float32Array; digits: Uint8Array } {
  if (!Number.isInteger(rows) || rows < 1 || rows > REFERENCE_COUNT) throw new Error(`the fixture holds ${REFERENCE_COUNT} rows, asked for ${rows}`);
  const bytes = readChecked(latentsPath, LATENTS_MD5, REFERENCE_COUNT * REFERENCE_DIM * 4);
  // Copy: the Buffer's offset need not be 4-byte aligned.
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + rows * REFERENCE_DIM * 4));
  const digits = new Uint8Array(readChecked(labelsPath, LABELS_MD5, REFERENCE_COUNT).subarray(0, rows));
  return { data, digits };
}
