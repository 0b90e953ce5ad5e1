import { describe, expect, it } from 'vitest';
import { gridCodes, occupiedRange } from '../../src/analysis/manifold-grid';
import type { AppState } from '../../src/state/app-state';
import { DEFAULT_GRID_SIDE } from '../../src/state/manifold';
import { apply, engineEvent, initial, MNIST, ready, recordFor, requests, run } from './state-fixtures';

/** Data loaded, one finished run 'a', and its latents asked for. */
function withLatentJob(): { state: AppState; jobId: number } {
  const state = apply(
    initial(),
    ready(),
    engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: recordFor('a'), reconstructions: null }], notices: [] }),
    { type: 'latentsRequested', runId: 'a', split: 'test' },
  );
  return { state, jobId: state.space.latent?.jobId ?? -1 };
}

/** 100 codes on a 10 × 10 lattice of the plane (x = 0…9, y = 0…18). */
function planeCodes(): Float32Array {
  return Float32Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? Math.floor(i / 2) % 10 : 2 * Math.floor(i / 20)));
}

function latentsReady(jobId: number, latents: Float32Array, count: number) {
  return engineEvent({ type: 'latentsReady', jobId, runId: 'a', split: 'test', dataset: MNIST, latents, labels: new Uint8Array(count), count, dim: latents.length / count, seconds: 0.1, method: 'sparse', threads: 1 });
}

describe('the code plane in the page state', () => {
  it('decodes the manifold grid as soon as 2-number codes arrive, over the range they occupy', () => {
    const { state, jobId } = withLatentJob();
    const codes = planeCodes();
    const step = run(state, latentsReady(jobId, codes, 100));
    const manifold = step.state.space.manifold;
    if (!manifold) throw new Error('expected a manifold');
    expect(manifold.range).toEqual(occupiedRange(codes, 100));
    expect(requests(step.commands)).toEqual([
      { type: 'decode', jobId: manifold.gridJobId, runId: 'a', codes: gridCodes(manifold.range, DEFAULT_GRID_SIDE), count: DEFAULT_GRID_SIDE ** 2 },
    ]);
    const grid = new Float32Array(DEFAULT_GRID_SIDE ** 2 * 784).fill(0.5);
    const done = apply(step.state, engineEvent({ type: 'decoded', jobId: manifold.gridJobId, images: grid, count: DEFAULT_GRID_SIDE ** 2 }));
    expect(done.space.manifold?.grid).toBe(grid);
  });

  it('has no plane for wider codes, and refuses grid sides outside the limits', () => {
    const { state, jobId } = withLatentJob();
    const wide = run(state, latentsReady(jobId, new Float32Array(4 * 64), 4));
    expect(wide.state.space.manifold).toBeNull();
    expect(wide.commands).toEqual([]);
    expect(run(wide.state, { type: 'manifoldRequested', side: 10 }).commands).toEqual([]);
    const plane = apply(state, latentsReady(jobId, planeCodes(), 100));
    for (const side of [0, 1, 41, 2.5, Number.NaN]) expect(run(plane, { type: 'manifoldRequested', side }).commands).toEqual([]);
    const ten = run(plane, { type: 'manifoldRequested', side: 10 });
    expect(requests(ten.commands)).toMatchObject([{ type: 'decode', count: 100 }]);
  });

  it('decodes under the pointer with one decode in flight; the latest position wins', () => {
    const { state, jobId } = withLatentJob();
    const plane = apply(state, latentsReady(jobId, planeCodes(), 100));
    const range = plane.space.manifold?.range;
    if (!range) throw new Error('expected a range');
    const first = run(plane, { type: 'planeHovered', u: 0, v: 0 });
    const [sent] = requests(first.commands);
    expect(sent).toMatchObject({ type: 'decode', count: 1, codes: Float32Array.of(range.xMin, range.yMax) });
    const hoverJob = sent.type === 'decode' ? sent.jobId : -1;
    // Two more moves while the first decode runs: nothing is sent, the last one is remembered.
    const moved = run(first.state, { type: 'planeHovered', u: 0.5, v: 0.5 }, { type: 'planeHovered', u: 1, v: 1 });
    expect(moved.commands).toEqual([]);
    // Outside the picture or not a number: ignored.
    expect(run(moved.state, { type: 'planeHovered', u: 1.5, v: 0 }, { type: 'planeHovered', u: Number.NaN, v: 0 }).state.space.manifold).toBe(moved.state.space.manifold);
    const image = new Float32Array(784).fill(0.25);
    const back = run(moved.state, engineEvent({ type: 'decoded', jobId: hoverJob, images: image, count: 1 }));
    expect(back.state.space.manifold?.hover).toMatchObject({ image, shownCode: [range.xMin, range.yMax], code: [range.xMax, range.yMin] });
    expect(requests(back.commands)).toMatchObject([{ type: 'decode', count: 1, codes: Float32Array.of(range.xMax, range.yMin) }]);
    // The latest decode comes back: shown, nothing pending, nothing more sent.
    const second = requests(back.commands)[0];
    const secondJob = second.type === 'decode' ? second.jobId : -1;
    const last = run(back.state, engineEvent({ type: 'decoded', jobId: secondJob, images: new Float32Array(784), count: 1 }));
    expect(last.commands).toEqual([]);
    expect(last.state.space.manifold?.hover).toMatchObject({ shownCode: [range.xMax, range.yMin], inFlight: null, pending: null });
  });

  it('keeps the last image when a live decode fails, and says why', () => {
    const { state, jobId } = withLatentJob();
    const plane = apply(state, latentsReady(jobId, planeCodes(), 100));
    const first = run(plane, { type: 'planeHovered', u: 0.2, v: 0.2 });
    const [sent] = requests(first.commands);
    const hoverJob = sent.type === 'decode' ? sent.jobId : -1;
    const failed = apply(first.state, engineEvent({ type: 'jobEnded', jobId: hoverJob, outcome: 'failed', message: 'decoder lost' }));
    expect(failed.space.manifold?.hover).toMatchObject({ inFlight: null, image: null });
    expect(failed.space.message).toBe('decoder lost');
    // New latents replace the plane; late events of the old grid change nothing.
    const again = run(failed, { type: 'latentsRequested', runId: 'a', split: 'train' });
    expect(again.state.space.manifold).toBeNull();
  });
});
