/**
 * A labelled 28×28 data set from files a person drops on the page (e.g. Fashion-MNIST, KMNIST): two or
 * four IDX files, raw or gzip, in any order and under any names. Files are told apart by their headers
 * (magic 2051 = images, 2049 = labels) and paired by count; the larger pair is the training set.
 */
import { maybeGunzip } from './gzip';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, IdxError, parseIdx, parseLabelledImages, type LabelledImages } from './idx';
import type { MnistData } from './mnist';
import { IMAGE_PIXELS } from './mnist-shape';

/** A dropped file's name and bytes. */
export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

/** With one image/label pair, this fraction (MNIST's 10,000 of 70,000) becomes the test set. */
export const HELD_OUT_FRACTION = 1 / 7;

/**
 * Decompresses, classifies, pairs and parses dropped files.
 * @throws IdxError with a message naming the file at fault
 */
export async function parseDatasetFiles(files: readonly NamedBytes[]): Promise<MnistData> {
  if (files.length !== 2 && files.length !== 4) {
    throw new IdxError('count-mismatch', `Drop two files (images and labels) or four (training and test images and labels); got ${files.length}.`);
  }
  const images: { name: string; bytes: Uint8Array; count: number }[] = [];
  const labels: { name: string; bytes: Uint8Array; count: number }[] = [];
  for (const file of files) {
    const bytes = await maybeGunzip(file.bytes, file.name);
    const idx = parseIdx(bytes, file.name);
    const entry = { name: file.name, bytes, count: idx.dims[0] };
    if (idx.magic === IDX_IMAGES_MAGIC) images.push(entry);
    else if (idx.magic === IDX_LABELS_MAGIC) labels.push(entry);
    else throw new IdxError('bad-magic', `${file.name} has magic number ${idx.magic}: neither images (${IDX_IMAGES_MAGIC}) nor labels (${IDX_LABELS_MAGIC}).`);
  }
  if (images.length !== labels.length) {
    throw new IdxError('count-mismatch', `Got ${images.length} image file(s) and ${labels.length} label file(s); they come in pairs.`);
  }
  images.sort((a, b) => b.count - a.count);
  labels.sort((a, b) => b.count - a.count);
  const sets = images.map((image, i) => parseLabelledImages(image.bytes, labels[i].bytes, `${image.name} + ${labels[i].name}`));
  if (sets.length === 2) return { train: sets[0], test: sets[1] };
  return holdOut(sets[0]);
}

/** Splits one set into training and test parts, the last HELD_OUT_FRACTION becoming the test set. */
export function holdOut(set: LabelledImages): MnistData {
  const testCount = Math.max(1, Math.round(set.count * HELD_OUT_FRACTION));
  const trainCount = set.count - testCount;
  if (trainCount < 1) throw new IdxError('empty', 'The data set needs at least two images to hold some out for testing.');
  const cut = trainCount * IMAGE_PIXELS;
  return {
    train: { images: set.images.subarray(0, cut), labels: set.labels.subarray(0, trainCount), count: trainCount },
    test: { images: set.images.subarray(cut), labels: set.labels.subarray(trainCount), count: testCount },
  };
}
