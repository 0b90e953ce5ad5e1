import { afterEach, describe, expect, it, vi } from 'vitest';
import { MnistLoader } from '../../src/worker/engine/data-loading';
import type { EngineEvent } from '../../src/worker/protocol';
import { BASE, fixture, server } from './mnist-fixture';

/** A loader whose events are collected, over a fake server whose bodies wait for `release` after two chunks. */
function setUp(options: { hold?: boolean; manifest?: unknown } = {}) {
  const events: EngineEvent[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let chunks = 0;
  const beforeChunk = async () => {
    if (options.hold && ++chunks > 2) await gate;
  };
  vi.stubGlobal('fetch', server(fixture(), { beforeChunk, manifest: options.manifest }).fetchFn);
  return { loader: new MnistLoader((event) => events.push(event)), events, release };
}

const ofType = <T extends EngineEvent['type']>(events: EngineEvent[], type: T) => events.filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type);

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('MNIST downloads in the engine worker', () => {
  it('posts progress under its job id, then dataReady with the preview; asking for the same job again starts nothing', async () => {
    const { loader, events } = setUp();
    const pending = loader.start(0, BASE);
    expect(loader.start(0, BASE)).toBe(pending);
    const data = await pending.data;
    expect(data?.train.count).toBe(12);
    const progress = ofType(events, 'dataProgress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((e) => e.jobId === 0)).toBe(true);
    expect(progress.at(-1)?.loadedBytes).toBe(progress.at(-1)?.totalBytes);
    const [ready] = ofType(events, 'dataReady');
    expect(ready).toMatchObject({ dataset: { name: 'MNIST', trainCount: 12, testCount: 5 }, fromCache: false });
    expect(ready?.type === 'dataReady' && ready.dataset.fingerprint).toMatch(/^[0-9a-f]{8}$/);
    expect(ready.previewImages.length).toBe(5 * 784);
    expect(ready.previewLabels.length).toBe(5);
    // The data panel's digits are the first training digits (not the test digits the Train panel shows).
    expect(Array.from(ready.sampleLabels)).toEqual(Array.from(data?.train.labels.subarray(0, 12) ?? []));
    expect(ready.sampleImages).toEqual(data?.train.images.slice(0, 12 * 784));
  });

  it('cancels: the job ends as cancelled, with no data, error or progress after it', async () => {
    const { loader, events, release } = setUp({ hold: true });
    const pending = loader.start(0, BASE);
    await new Promise((resolve) => setTimeout(resolve, 30));
    loader.cancel(0);
    const before = events.length;
    expect(await pending.data).toBeNull();
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events.slice(before)).toEqual([{ type: 'dataCancelled', jobId: 0 }]);
    expect(ofType(events, 'dataReady')).toEqual([]);
    expect(ofType(events, 'dataError')).toEqual([]);
  });

  it('a newer download replaces one still running; cancelling an unknown job does nothing', async () => {
    const { loader, events, release } = setUp({ hold: true });
    const first = loader.start(0, BASE);
    loader.cancel(99);
    const second = loader.start(4, BASE);
    expect(await first.data).toBeNull();
    expect(loader.isCurrent(second)).toBe(true);
    release();
    expect((await second.data)?.test.count).toBe(5);
    expect(ofType(events, 'dataCancelled')).toEqual([{ type: 'dataCancelled', jobId: 0 }]);
    expect(ofType(events, 'dataReady')).toHaveLength(1);
  });

  it('does not restart a job it replaced or cancelled when the engine replays the request later', async () => {
    const { loader, events } = setUp();
    loader.start(0, BASE);
    loader.cancel(0);
    const newer = loader.start(1, BASE);
    const replayed = loader.start(0, BASE);
    expect(await replayed.data).toBeNull();
    expect(loader.isCurrent(newer)).toBe(true);
    expect((await newer.data)?.train.count).toBe(12);
    expect(ofType(events, 'dataReady')).toHaveLength(1);
  });

  it('reports a failure with its code under the job id', async () => {
    const { loader, events } = setUp({ manifest: { nothing: true } });
    expect(await loader.start(3, BASE).data).toBeNull();
    expect(ofType(events, 'dataError')).toEqual([expect.objectContaining({ jobId: 3, code: 'bad-manifest' })]);
  });
});
