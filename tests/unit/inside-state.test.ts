import { describe, expect, it } from 'vitest';
import type { AppState } from '../../src/state/app-state';
import type { LayerActivation } from '../../src/worker/protocol';
import { MNIST, apply, engineEvent, initial, ready, recordFor, requests, run } from './state-fixtures';

/** 3 codes of 4 units each (a small code size: the slice must not assume 64). */
const D = 4;
const LATENTS = Float32Array.of(0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23);

/** Data, a finished run 'a' and its test-set latents loaded. */
function loadedState(): AppState {
  let state = apply(initial(), ready(), engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: recordFor('a') }, { record: recordFor('b') }].map((r) => ({ ...r, reconstructions: null })), notices: [] }));
  state = apply(state, { type: 'latentsRequested', runId: 'a', split: 'test' });
  const jobId = state.space.latent?.jobId ?? -1;
  return apply(state, engineEvent({ type: 'latentsReady', jobId, runId: 'a', split: 'test', dataset: MNIST, latents: LATENTS.slice(), labels: Uint8Array.of(7, 2, 1), count: 3, dim: LATENTS.length / 3, seconds: 0.1, method: 'sparse', threads: 1 }));
}

const decoded = (jobId: number, fill: number) => engineEvent({ type: 'decoded', jobId, images: new Float32Array(784).fill(fill), count: 1 });

describe('inside a run: chosen digit, knobs, activations', () => {
  it('choosing a digit fetches its image, decodes its code and asks for its activations', () => {
    const chosen = run(loadedState(), { type: 'insideDigitChosen', index: 1 });
    const inside = chosen.state.inside;
    if (!inside) throw new Error('expected a chosen digit');
    expect(Array.from(inside.original)).toEqual([10, 11, 12, 13]);
    expect(requests(chosen.commands)).toEqual([
      { type: 'images', jobId: inside.imageJobId, split: 'test', indices: Int32Array.of(1) },
      { type: 'decode', jobId: inside.reconJobId, runId: 'a', codes: Float32Array.of(10, 11, 12, 13), count: 1 },
      { type: 'activations', jobId: inside.activationsJobId, runId: 'a', split: 'test', index: 1 },
    ]);
    const layers: LayerActivation[] = [{ name: 'latent', type: 'Dense', activation: 'relu', shape: [D], values: new Float32Array(D) }];
    const state = apply(
      chosen.state,
      engineEvent({ type: 'images', jobId: inside.imageJobId, images: new Float32Array(784).fill(0.5), count: 1 }),
      decoded(inside.reconJobId, 0.25),
      engineEvent({ type: 'activations', jobId: inside.activationsJobId, runId: 'a', layers }),
    );
    expect(state.inside?.image?.[0]).toBe(0.5);
    expect(state.inside?.recon?.[0]).toBe(0.25);
    expect(state.inside?.activations).toBe(layers);
  });

  it('refuses a digit outside the latents, or before any latents', () => {
    expect(run(loadedState(), { type: 'insideDigitChosen', index: 3 }).commands).toEqual([]);
    expect(run(loadedState(), { type: 'insideDigitChosen', index: 1.5 }).commands).toEqual([]);
    expect(run(initial(), { type: 'insideDigitChosen', index: 0 }).commands).toEqual([]);
  });

  it('coalesces knob decodes: one in flight; moves meanwhile send nothing until it returns, then only the latest code', () => {
    const chosen = apply(loadedState(), { type: 'insideDigitChosen', index: 0 });
    const first = run(chosen, { type: 'knobMoved', unit: 2, value: 5 });
    const firstJob = first.state.inside?.knobJobId ?? -1;
    expect(requests(first.commands)).toEqual([{ type: 'decode', jobId: firstJob, runId: 'a', codes: Float32Array.of(0, 1, 5, 3), count: 1 }]);
    // Two more moves while the first decode runs: no command.
    const moving = run(first.state, { type: 'knobMoved', unit: 2, value: 6 }, { type: 'knobMoved', unit: 0, value: -1 });
    expect(moving.commands).toEqual([]);
    expect(moving.state.inside?.knobPending).toBe(true);
    // The first returns: its image is shown and the latest code goes out, once.
    const back = run(moving.state, decoded(firstJob, 0.1));
    const secondJob = back.state.inside?.knobJobId ?? -1;
    expect(back.state.inside?.changed?.[0]).toBeCloseTo(0.1);
    expect(secondJob).not.toBe(firstJob);
    expect(requests(back.commands)).toEqual([{ type: 'decode', jobId: secondJob, runId: 'a', codes: Float32Array.of(-1, 1, 6, 3), count: 1 }]);
    // The second returns with nothing pending: nothing more is sent; the original code is untouched.
    const settled = run(back.state, decoded(secondJob, 0.2));
    expect(settled.commands).toEqual([]);
    expect(settled.state.inside?.knobJobId).toBeNull();
    expect(settled.state.inside?.changed?.[0]).toBeCloseTo(0.2);
    expect(Array.from(settled.state.inside?.original ?? [])).toEqual([0, 1, 2, 3]);
    // A late answer of the first job changes nothing.
    expect(apply(settled.state, decoded(firstJob, 0.9))).toBe(settled.state);
  });

  it('reset decodes the original code, after a decode in flight if there is one', () => {
    const moved = apply(loadedState(), { type: 'insideDigitChosen', index: 2 }, { type: 'knobMoved', unit: 1, value: 0 });
    const job = moved.inside?.knobJobId ?? -1;
    const reset = run(moved, { type: 'knobsReset' });
    expect(reset.commands).toEqual([]);
    expect(Array.from(reset.state.inside?.code ?? [])).toEqual([20, 21, 22, 23]);
    const back = run(reset.state, decoded(job, 0.3));
    expect(requests(back.commands)).toEqual([{ type: 'decode', jobId: back.state.inside?.knobJobId, runId: 'a', codes: Float32Array.of(20, 21, 22, 23), count: 1 }]);
  });

  it('ignores a knob outside the code, a non-finite value and a value it already has', () => {
    const chosen = apply(loadedState(), { type: 'insideDigitChosen', index: 0 });
    for (const action of [
      { type: 'knobMoved', unit: D, value: 1 },
      { type: 'knobMoved', unit: 0, value: Number.NaN },
      { type: 'knobMoved', unit: 1, value: 1 },
    ] as const) {
      expect(run(chosen, action).commands).toEqual([]);
    }
  });

  it('a failed knob decode says so and still sends the pending code', () => {
    const moved = apply(loadedState(), { type: 'insideDigitChosen', index: 0 }, { type: 'knobMoved', unit: 0, value: 4 }, { type: 'knobMoved', unit: 0, value: 5 });
    const job = moved.inside?.knobJobId ?? -1;
    const failed = run(moved, engineEvent({ type: 'jobEnded', jobId: job, outcome: 'failed', message: 'no weights' }));
    expect(failed.state.inside?.message).toBe('no weights');
    expect(requests(failed.commands)).toMatchObject([{ type: 'decode', codes: Float32Array.of(5, 1, 2, 3) }]);
  });

  it('goes with its latents: new latents or a deleted run drop the chosen digit, and knobs then send nothing', () => {
    const chosen = apply(loadedState(), { type: 'insideDigitChosen', index: 0 });
    const relatent = apply(chosen, { type: 'latentsRequested', runId: 'b', split: 'train' });
    expect(relatent.inside).toBeNull();
    expect(run(relatent, { type: 'knobMoved', unit: 0, value: 3 }).commands).toEqual([]);
    const deleted = apply(chosen, { type: 'deleteRequested', runId: 'a' }, { type: 'deleteExpired', runId: 'a' });
    expect(deleted.inside).toBeNull();
  });
});
