/**
 * The drawing slice as data: a drawing sends one `encode` per selected run, answers replace earlier ones
 * only when they arrive, the selection (ticked runs, or by default finished runs of the loaded data set)
 * decides which runs are asked, and latents of a run bring the drawing's nearest training digits.
 */
import { describe, expect, it } from 'vitest';
import { drawRuns, type AppState, type UiAction } from '../../src/state/app-state';
import { DRAW_NEIGHBOURS } from '../../src/state/drawing';
import type { EngineEvent } from '../../src/worker/protocol';
import { apply, engineEvent, initial, OWN, ready, recordFor, requests, run } from './state-fixtures';

const DIM = 4;

/** Data loaded and runs 'a', 'b' (MNIST) and 'c' (trained on other data) finished. */
function withRuns(): AppState {
  const views = [recordFor('a'), recordFor('b'), recordFor('c', { dataset: OWN })].map((record) => ({ record, reconstructions: null }));
  return apply(initial(), ready(), engineEvent({ type: 'runsLoaded', jobId: null, runs: views, notices: [] }));
}

const drawn = (value: number): UiAction => ({ type: 'drawingChanged', image: new Float32Array(784).fill(value) });

function encoded(jobId: number, runId: string, code: number[], mse = 0.02): UiAction {
  const event: EngineEvent = {
    type: 'encoded',
    jobId,
    runId,
    codes: Float32Array.from(code),
    dim: code.length,
    reconstructions: new Float32Array(784).fill(0.5),
    mse: Float32Array.of(mse),
    count: 1,
  };
  return engineEvent(event);
}

function encodeJobs(state: AppState): Record<string, number> {
  return Object.fromEntries(Object.values(state.drawing.results).map((r) => [r.runId, r.pendingJobId ?? -1]));
}

describe('draw a digit: page state', () => {
  it('an empty drawing asks nothing; a drawing is encoded by every finished run of the loaded data set', () => {
    expect(run(withRuns(), { type: 'drawingChanged', image: null }).commands).toEqual([]);
    const asked = run(withRuns(), drawn(0.5));
    expect(drawRuns(asked.state).map((r) => r.id)).toEqual(['a', 'b']);
    const sent = requests(asked.commands);
    expect(sent.map((r) => (r.type === 'encode' ? [r.runId, r.count, r.images.length, r.images[0]] : r.type))).toEqual([
      ['a', 1, 784, 0.5],
      ['b', 1, 784, 0.5],
    ]);
    // Each job id is registered to the drawing, and nothing more is sent while they run.
    for (const r of sent) if (r.type === 'encode') expect(asked.state.jobs[r.jobId]).toBe('drawEncode');
    expect(run(asked.state, { type: 'runSelected', runId: 'a' }).commands).toEqual([]);
  });

  it('keeps the earlier answer until the new one arrives, and drops answers of jobs no longer awaited', () => {
    let state = apply(withRuns(), drawn(0.5));
    const first = encodeJobs(state);
    state = apply(state, encoded(first.a, 'a', [1, 2, 3, 4], 0.03));
    expect(state.drawing.results.a.answer?.mse).toBeCloseTo(0.03);
    expect(Array.from(state.drawing.results.a.answer?.code ?? [])).toEqual([1, 2, 3, 4]);
    // A second drawing: new requests; the first answer stays on show meanwhile.
    const again = run(state, drawn(0.25));
    expect(requests(again.commands).map((r) => r.type)).toEqual(['encode', 'encode']);
    state = again.state;
    expect(state.drawing.results.a.answer?.mse).toBeCloseTo(0.03);
    // b's answer to the first drawing comes late: its job is no longer awaited.
    expect(apply(state, encoded(first.b, 'b', [9, 9, 9, 9]))).toBe(state);
    const second = encodeJobs(state);
    state = apply(state, encoded(second.a, 'a', [0, 0, 0, 1], 0.01));
    expect(state.drawing.results.a.answer?.mse).toBeCloseTo(0.01);
    // A failed encode says why and keeps the answer it had.
    const failed = apply(state, engineEvent({ type: 'jobEnded', jobId: second.b, outcome: 'failed', message: 'boom' }));
    expect(failed.drawing.results.b.message).toBe('boom');
    expect(failed.drawing.results.b.pendingJobId).toBeNull();
  });

  it('clearing the drawing forgets the answers; the selection follows the ticks', () => {
    let state = apply(withRuns(), drawn(0.5));
    state = apply(state, { type: 'drawingChanged', image: null });
    expect(state.drawing.results).toEqual({});
    // Untick b: a new drawing goes to a only. Tick c (other data): it is asked at once.
    state = apply(state, { type: 'drawRunToggled', runId: 'b' }, drawn(0.5));
    expect(requests(run(state, { type: 'runSelected', runId: 'a' }).commands)).toEqual([]);
    expect(Object.keys(state.drawing.results)).toEqual(['a']);
    const ticked = run(state, { type: 'drawRunToggled', runId: 'c' });
    expect(requests(ticked.commands).map((r) => (r.type === 'encode' ? r.runId : r.type))).toEqual(['c']);
    expect(drawRuns(ticked.state).map((r) => r.id)).toEqual(['a', 'c']);
  });

  it('a run that finishes later is asked too; a continued run is asked again with its new weights', () => {
    let state = apply(withRuns(), drawn(0.5));
    const more = run(state, engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: recordFor('d'), reconstructions: null }], notices: [] }));
    expect(requests(more.commands).map((r) => (r.type === 'encode' ? r.runId : r.type))).toEqual(['d']);
    state = more.state;
    const jobs = encodeJobs(state);
    state = apply(state, encoded(jobs.a, 'a', [1, 1, 1, 1]));
    const record = recordFor('a', { endedAt: '2026-12-04T11:00:00.000Z', position: { epochsCompleted: 3, batch: 0, batchesPerEpoch: 2 } });
    const continued = run(state, engineEvent({ type: 'trainEnd', runId: 'a', outcome: 'completed', message: null, run: { record, reconstructions: null } }));
    expect(requests(continued.commands).map((r) => (r.type === 'encode' ? r.runId : r.type))).toEqual(['a']);
  });

  it('with latents of a run, its answer brings the 8 nearest training digits and one images request', () => {
    let state = apply(withRuns(), { type: 'latentsRequested', runId: 'a', split: 'test' });
    const latentJob = state.space.latent?.jobId ?? -1;
    // 20 codes: code i is (i, 0, 0, 0); labels i mod 10.
    const count = 20;
    const latents = new Float32Array(count * DIM);
    for (let i = 0; i < count; i++) latents[i * DIM] = i;
    state = apply(
      state,
      engineEvent({ type: 'latentsReady', jobId: latentJob, runId: 'a', split: 'test', dataset: state.data.kind === 'ready' ? state.data.dataset : OWN, latents, labels: Uint8Array.from({ length: count }, (_, i) => i % 10), count, dim: DIM, seconds: 1, method: 'sparse', threads: 1 }),
      drawn(0.5),
    );
    const jobs = encodeJobs(state);
    // b's answer brings no neighbours: the latents are a's.
    const fromB = run(state, encoded(jobs.b, 'b', [5, 0, 0, 0]));
    expect(fromB.state.drawing.neighbours).toBeNull();
    expect(requests(fromB.commands)).toEqual([]);
    const fromA = run(fromB.state, encoded(jobs.a, 'a', [12.2, 0, 0, 0]));
    const neighbours = fromA.state.drawing.neighbours;
    expect(Array.from(neighbours?.indices ?? [])).toEqual([12, 13, 11, 14, 10, 15, 9, 16]);
    expect(neighbours?.indices).toHaveLength(DRAW_NEIGHBOURS);
    expect(neighbours?.distances[0]).toBeCloseTo(0.2, 5);
    expect(Array.from(neighbours?.labels ?? [])).toEqual([2, 3, 1, 4, 0, 5, 9, 6]);
    const [images] = requests(fromA.commands);
    expect(images).toEqual({ type: 'images', jobId: neighbours?.imagesJobId, split: 'test', indices: neighbours?.indices });
    expect(fromA.state.jobs[neighbours?.imagesJobId ?? -1]).toBe('drawNeighbours');
    const pixels = new Float32Array(8 * 784).fill(1);
    state = apply(fromA.state, engineEvent({ type: 'images', jobId: neighbours?.imagesJobId ?? -1, images: pixels, count: 8 }));
    expect(state.drawing.neighbours?.images).toBe(pixels);
    // A new drawing keeps the neighbours until a's new answer; new latents of another run drop them.
    const redrawn = apply(state, drawn(0.3));
    expect(redrawn.drawing.neighbours?.images).toBe(pixels);
    const other = apply(redrawn, { type: 'latentsRequested', runId: 'b', split: 'test' });
    expect(other.drawing.neighbours).toBeNull();
  });

  it('codes of another length than the latents (another code size) bring no neighbours', () => {
    let state = apply(withRuns(), { type: 'latentsRequested', runId: 'a', split: 'test' });
    const latentJob = state.space.latent?.jobId ?? -1;
    state = apply(
      state,
      engineEvent({ type: 'latentsReady', jobId: latentJob, runId: 'a', split: 'test', dataset: OWN, latents: new Float32Array(10 * DIM), labels: new Uint8Array(10), count: 10, dim: DIM, seconds: 1, method: 'sparse', threads: 1 }),
      drawn(0.5),
    );
    const next = run(state, encoded(encodeJobs(state).a, 'a', [1, 2]));
    expect(next.state.drawing.neighbours).toBeNull();
    expect(requests(next.commands)).toEqual([]);
  });
});
