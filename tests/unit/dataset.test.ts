import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseDatasetFiles } from '../../src/data/dataset';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, encodeIdx } from '../../src/data/idx';

const images = (count: number, value = 255) => encodeIdx(IDX_IMAGES_MAGIC, [count, 28, 28], new Uint8Array(count * 784).fill(value));
const labels = (count: number, label = 3) => encodeIdx(IDX_LABELS_MAGIC, [count], new Uint8Array(count).fill(label));

describe('dropped data sets', () => {
  it('tells four files apart by header and count, whatever their names and order, gzip or raw', async () => {
    const data = await parseDatasetFiles([
      { name: 'b.gz', bytes: gzipSync(labels(2, 1)) },
      { name: 'a', bytes: images(7, 51) },
      { name: 'd', bytes: labels(7, 4) },
      { name: 'c.gz', bytes: gzipSync(images(2, 255)) },
    ]);
    expect(data.train.count).toBe(7);
    expect(data.test.count).toBe(2);
    expect(data.train.images[0]).toBeCloseTo(0.2, 6);
    expect(data.test.labels[0]).toBe(1);
  });

  it('holds out a seventh of a single pair as the test set', async () => {
    const data = await parseDatasetFiles([
      { name: 'x', bytes: images(14) },
      { name: 'y', bytes: labels(14) },
    ]);
    expect([data.train.count, data.test.count]).toEqual([12, 2]);
    expect(data.test.images.length).toBe(2 * 784);
  });

  it('names what is wrong', async () => {
    await expect(parseDatasetFiles([{ name: 'only', bytes: images(2) }])).rejects.toThrow(/two files .* or four/);
    await expect(parseDatasetFiles([{ name: 'a', bytes: images(2) }, { name: 'b', bytes: images(2) }])).rejects.toThrow(/2 image file\(s\) and 0 label/);
    await expect(parseDatasetFiles([{ name: 'a', bytes: images(2) }, { name: 'b', bytes: labels(3) }])).rejects.toThrow(/2 images but 3 labels/);
    await expect(parseDatasetFiles([{ name: 'a', bytes: images(2) }, { name: 'bad.gz', bytes: Uint8Array.of(0x1f, 0x8b, 1, 2, 3) }])).rejects.toMatchObject({ code: 'corrupt-gzip' });
  });
});
