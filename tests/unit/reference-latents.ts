/**
 * The reference CNN-ELU model's latents of the 60,000 training images and their labels
 * (`shared/reference/`, beside the repository — in CI too). Tests that need them fail, never skip, without them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REFERENCE_COUNT = 60000;
export const REFERENCE_DIM = 64;

const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/reference');
const latentsPath = resolve(dir, 'latent_cnn_elu_train.f32');
const labelsPath = resolve(dir, 'labels_train.u8');

/** The first `rows` latent rows (row-major, 64 floats each) and their digits. */
export function loadReferenceLatents(rows = REFERENCE_COUNT): { data: Float32Array; digits: Uint8Array } {
  if (!existsSync(latentsPath) || !existsSync(labelsPath)) {
    throw new Error(`reference files missing: expected ${latentsPath} and ${labelsPath} (the shared/ folder beside the repository)`);
  }
  const bytes = readFileSync(latentsPath);
  if (bytes.byteLength !== REFERENCE_COUNT * REFERENCE_DIM * 4) throw new Error(`${latentsPath}: unexpected size ${bytes.byteLength}`);
  // Copy: the Buffer's offset need not be 4-byte aligned.
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + rows * REFERENCE_DIM * 4));
  const digits = new Uint8Array(readFileSync(labelsPath).subarray(0, rows));
  if (digits.length !== rows) throw new Error(`${labelsPath}: fewer than ${rows} labels`);
  return { data, digits };
}
