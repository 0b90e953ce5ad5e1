/**
 * A data set's fingerprint: what tells runs trained on MNIST from runs trained on a person's own files,
 * and notices when a run is shown beside data it was not trained on. FNV-1a (32 bits) over the counts,
 * every label and the pixels of the first test digits — cheap (labels are bytes; the preview digits are made
 * anyway) and different for any two real data sets of one shape (their labels or first digits differ).
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv1a(hash: number, bytes: Uint8Array): number {
  let h = hash;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/**
 * @param trainLabels every training label
 * @param testLabels every test label
 * @param previewPixels the first test digits' pixels (any count × 784 floats in [0, 1])
 * @returns 8 lowercase hex digits
 */
export function datasetFingerprint(trainLabels: Uint8Array, testLabels: Uint8Array, previewPixels: Float32Array): string {
  const counts = new Uint8Array(new Uint32Array([trainLabels.length, testLabels.length]).buffer);
  let h = fnv1a(FNV_OFFSET, counts);
  h = fnv1a(h, trainLabels);
  h = fnv1a(h, testLabels);
  // Pixels as bytes 0–255, so float rounding cannot change the fingerprint.
  h = fnv1a(h, Uint8Array.from(previewPixels, (p) => Math.round(p * 255)));
  return h.toString(16).padStart(8, '0');
}
