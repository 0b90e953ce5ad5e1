import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadDatasetFiles, type DroppedFile } from '../../src/data/dataset';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, encodeIdx } from '../../src/data/idx';

const images = (count: number, value = 255) => encodeIdx(IDX_IMAGES_MAGIC, [count, 28, 28], new Uint8Array(count * 784).fill(value));
const labels = (count: number, label = 3) => encodeIdx(IDX_LABELS_MAGIC, [count], new Uint8Array(count).fill(label));
/** A dropped file holding `bytes`. */
const file = (name: string, bytes: Uint8Array): DroppedFile => ({ name, blob: new Blob([new Uint8Array(bytes)]) });

describe('dropped data sets', () => {
  it('tells four files apart by header and count, whatever their names and order, gzip or raw', async () => {
    const data = await loadDatasetFiles([
      file('b.gz', gzipSync(labels(2, 1))),
      file('a', images(7, 51)),
      file('d', labels(7, 4)),
      file('c.gz', gzipSync(images(2, 255))),
    ]);
    expect(data.train.count).toBe(7);
    expect(data.test.count).toBe(2);
    expect(data.train.images[0]).toBeCloseTo(0.2, 6);
    expect(data.test.images[0]).toBe(1);
    expect(data.test.labels[0]).toBe(1);
    expect(data.train.labels[6]).toBe(4);
  });

  it('holds out a seventh of a single pair as the test set', async () => {
    const pixels = new Uint8Array(14 * 784).map((_, i) => Math.floor(i / 784));
    const data = await loadDatasetFiles([
      file('x', encodeIdx(IDX_IMAGES_MAGIC, [14, 28, 28], pixels)),
      file('y', encodeIdx(IDX_LABELS_MAGIC, [14], Uint8Array.from({ length: 14 }, (_, i) => i % 10))),
    ]);
    expect([data.train.count, data.test.count]).toEqual([12, 2]);
    expect(data.test.images.length).toBe(2 * 784);
    // The last two images and labels, in order.
    expect(data.test.images[0]).toBeCloseTo(12 / 255, 6);
    expect(data.test.images[784]).toBeCloseTo(13 / 255, 6);
    expect(Array.from(data.test.labels)).toEqual([2, 3]);
    expect(data.train.images.length).toBe(12 * 784);
  });

  it('names what is wrong', async () => {
    await expect(loadDatasetFiles([file('only', images(2))])).rejects.toThrow(/two files .* or four/);
    await expect(loadDatasetFiles([file('a', images(2)), file('b', images(2, 7))])).rejects.toThrow(/2 image file\(s\) and 0 label/);
    await expect(loadDatasetFiles([file('a', images(2)), file('b', labels(3))])).rejects.toThrow(/2 images but 3 labels/);
    await expect(loadDatasetFiles([file('a', images(2)), file('bad.gz', Uint8Array.of(0x1f, 0x8b, 1, 2, 3))])).rejects.toMatchObject({ code: 'corrupt-gzip' });
    await expect(loadDatasetFiles([file('a', images(2)), file('b', encodeIdx(2050, [2, 2], new Uint8Array(4)))])).rejects.toThrow(/b file has magic number 2050: neither images \(2051\) nor labels \(2049\)/);
    await expect(loadDatasetFiles([file('a', images(2)), file('empty', new Uint8Array(0))])).rejects.toThrow('empty is empty.');
  });
});
