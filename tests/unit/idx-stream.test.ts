import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adler32 } from '../../src/data/checksum';
import { IdxStreamDecoder, type IdxStreamKind } from '../../src/data/idx-stream';
import { IDX_IMAGES_MAGIC, encodeIdx, labelledImagesFromBytes, parseImages, parseLabels, scalePixels } from '../../src/data/idx';
import { idxErrorCode, idxImages, idxLabels } from './idx-fixtures';

const images = (count: number, side = 28) => idxImages(count, side, (i) => (i * 7) % 256);
const labels = idxLabels;
const codeOf = idxErrorCode;

/** Feeds `bytes` to a decoder in pieces cut at `cuts` (offsets), then finishes. */
function decode(kind: IdxStreamKind, bytes: Uint8Array, cuts: number[] = []) {
  const decoder = new IdxStreamDecoder(kind, 'x');
  const points = [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort((a, b) => a - b);
  let start = 0;
  for (const end of [...points, bytes.length]) {
    if (end > start) decoder.push(bytes.subarray(start, end));
    start = Math.max(start, end);
  }
  return decoder.finish();
}

describe('streamed IDX decoding', () => {
  it('gives the same bytes as the whole-file parser however the file is cut (1-byte pieces included)', () => {
    const file = images(3);
    const whole = parseImages(file, 'x');
    const ones = Array.from({ length: 40 }, (_, i) => i + 1);
    for (const cuts of [[], [1], [3, 4, 15, 16, 17], ones, [file.length - 1]]) {
      const decoded = decode('images', file, cuts);
      expect(decoded.kind).toBe('images');
      if (decoded.kind !== 'images') return;
      expect(decoded.count).toBe(3);
      expect(decoded.pixels).toEqual(whole.pixels);
      expect(decoded.header).toEqual(file.subarray(0, 16));
    }
    const labelFile = labels([7, 0, 9, 3]);
    const decodedLabels = decode('labels', labelFile, [2, 5, 9]);
    expect(decodedLabels.kind === 'labels' && Array.from(decodedLabels.labels)).toEqual(Array.from(parseLabels(labelFile)));
  });

  it('matches the whole-file parser on random and mutated input, cut at random places (fuzz)', () => {
    const valid = images(2);
    const mutated = fc
      .tuple(fc.nat({ max: valid.length }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }))
      .map(([length, edits]) => {
        const copy = valid.slice(0, length);
        for (const [at, value] of edits) if (copy.length > 0) copy[at % copy.length] = value;
        return copy;
      });
    const input = fc.oneof(fc.uint8Array({ maxLength: 40 }), mutated);
    fc.assert(
      fc.property(input, fc.array(fc.nat({ max: 2000 }), { maxLength: 6 }), (bytes, cuts) => {
        const expected = codeOf(() => parseImages(bytes, 'x'));
        const actual = codeOf(() => decode('images', bytes, cuts));
        // The stream checks the header's meaning (magic, 28 × 28, at least one image) before the length it has
        // yet to see; the whole-file parser checks the length first. Otherwise both reject alike.
        if (expected === 'length-mismatch' && (actual === 'bad-magic' || actual === 'bad-dimensions' || actual === 'empty')) return;
        expect(actual).toBe(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('rejects every malformed case with the whole-file parser’s code', () => {
    expect(codeOf(() => decode('images', new Uint8Array(0)))).toBe('empty');
    expect(codeOf(() => decode('images', Uint8Array.from([0, 0, 8])))).toBe('truncated-header');
    expect(codeOf(() => decode('images', Uint8Array.from([0, 0, 8, 3, 0, 0])))).toBe('truncated-header');
    expect(codeOf(() => decode('images', Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0])))).toBe('bad-magic');
    expect(codeOf(() => decode('images', labels([1, 2])))).toBe('bad-magic');
    expect(codeOf(() => decode('labels', images(1)))).toBe('bad-magic');
    expect(codeOf(() => decode('images', images(2, 27)))).toBe('bad-dimensions');
    expect(codeOf(() => decode('images', images(2).subarray(0, 100)))).toBe('length-mismatch');
    expect(codeOf(() => decode('images', encodeIdx(IDX_IMAGES_MAGIC, [0, 28, 28], new Uint8Array(0))))).toBe('empty');
    // A header of no images with pixels after it (found by the fuzz test): the stream rejects the header at once;
    // the whole-file parser, which checks the length first, calls it a length mismatch.
    const noneThenPixels = Uint8Array.from([...encodeIdx(IDX_IMAGES_MAGIC, [0, 28, 28], new Uint8Array(0)), 7, 14, 21]);
    expect(codeOf(() => decode('images', noneThenPixels))).toBe('empty');
    expect(codeOf(() => parseImages(noneThenPixels, 'x'))).toBe('length-mismatch');
    expect(codeOf(() => decode('labels', labels([1, 10])))).toBe('label-out-of-range');
    expect(codeOf(() => decode('images', encodeIdx(IDX_IMAGES_MAGIC, [3_000_000, 28, 28], new Uint8Array(0))))).toBe('too-large');
  });

  it('fails on the chunk that runs past the announced length, not at the end', () => {
    const file = images(1);
    const decoder = new IdxStreamDecoder('images', 'training images');
    decoder.push(file);
    expect(() => decoder.push(new Uint8Array(1))).toThrow(/training images file is longer than its header says/);
  });

  it('fails on the first chunk for a wrong header, before allocating the payload', () => {
    const decoder = new IdxStreamDecoder('images', 'training images');
    expect(() => decoder.push(images(1, 32).subarray(0, 16))).toThrow(/32 × 32 pixels; the models need 28 × 28/);
  });
});

describe('pixel scaling', () => {
  it('gives bit for bit the floats of dividing by 255, for every byte', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(scalePixels(bytes)).toEqual(Float32Array.from(bytes, (v) => v / 255));
  });

  it('makes a lazy set’s floats on first read, once', () => {
    const set = labelledImagesFromBytes(Uint8Array.from([0, 51, 255]), Uint8Array.of(4), 1);
    const images = set.images;
    expect(Array.from(images)).toEqual([0, Math.fround(0.2), 1]);
    expect(set.images).toBe(images);
  });
});

describe('Adler-32', () => {
  it('matches the published value and zlib, in one piece or many', () => {
    expect(adler32(new TextEncoder().encode('Wikipedia'))).toBe(0x11e60398);
    const bytes = new Uint8Array(100_000).map((_, i) => (i * 31 + (i >> 7)) % 256);
    const zlib = deflateSync(bytes, { level: 0 });
    const expected = zlib.readUInt32BE(zlib.length - 4);
    expect(adler32(bytes)).toBe(expected);
    let state = adler32(new Uint8Array(0));
    for (let start = 0; start < bytes.length; start += 7777) state = adler32(bytes.subarray(start, start + 7777), state);
    expect(state).toBe(expected);
    // All-0xff input is the worst case for the deferred modulus.
    const worst = new Uint8Array(50_000).fill(0xff);
    const worstZlib = deflateSync(worst, { level: 0 });
    expect(adler32(worst)).toBe(worstZlib.readUInt32BE(worstZlib.length - 4));
  });
});
