import { describe, expect, it } from 'vitest';
import { createInitialState, type AppState, type UiAction } from '../../src/state/app-state';
import { apply, engineEvent, MNIST, ready, recordFor, requests, run } from './state-fixtures';

const quality = { kl: null, trustworthiness: null, knnAccuracy: 1 };

/** From a page opened at `hash`: data, a run, latents of 6 images and a PCA map asked for. */
function withMapAsked(hash: string): { state: AppState; mapJob: number } {
  let state = apply(
    createInitialState('s', 'http://127.0.0.1/', hash),
    ready(),
    engineEvent({ type: 'runsLoaded', jobId: null, runs: [{ record: recordFor('a'), reconstructions: null }], notices: [] }),
    { type: 'latentsRequested', runId: 'a', split: 'test' },
  );
  const latentJob = state.space.latent?.jobId ?? -1;
  const latents = Float32Array.from({ length: 6 * 4 }, (_, i) => Math.floor(i / 4));
  state = apply(state, engineEvent({ type: 'latentsReady', jobId: latentJob, runId: 'a', split: 'test', dataset: MNIST, latents, labels: Uint8Array.of(0, 1, 1, 2, 3, 1), count: 6, dim: 4, seconds: 0.1, method: 'sparse', threads: 1 }));
  state = apply(state, { type: 'pcaRequested', n: 6, options: { perplexity: 15, learningRate: 100, iterations: 1000, seed: 0 }, thumbnails: 0 });
  return { state, mapJob: state.space.map?.jobId ?? -1 };
}

const mapDone = (jobId: number): UiAction => ({ type: 'analysis', event: { type: 'pcaDone', jobId, embedding: Float32Array.from({ length: 12 }, (_, i) => i), explained: [0.9, 0.1], seconds: 0, quality } });

describe('the map view and the page address', () => {
  it('keeps a shared view pending until a map is finished, then applies colour, zoom, selection and focus once', () => {
    const hash = '#map=pca&points=60&colour=cluster&zoom=3&cx=1&cy=2&thumbs=0&sel=1,4,99&focus=2';
    const { state, mapJob } = withMapAsked(hash);
    expect(state.notices).toEqual([]);
    // While the map runs, the address keeps the shared view (nothing was written over it).
    expect(state.mapView.pending).not.toBeNull();
    expect(state.mapView.urlHash).toBe(hash.slice(1));
    const done = run(state, mapDone(mapJob));
    expect(done.state.mapView).toMatchObject({ colour: 'cluster', view: { zoom: 3, cx: 1, cy: 2 }, thumbs: false, pending: null });
    // Point 99 is not on this 6-point map: left out.
    expect(Array.from(done.state.space.selection?.indices ?? [])).toEqual([1, 4]);
    expect(done.state.space.focus?.index).toBe(2);
    expect(requests(done.commands).map((r) => r.type)).toEqual(['meanImages', 'images', 'images']);
    // The address now shows the view as it is (the unreachable point gone).
    expect(done.commands.at(-1)).toEqual({ kind: 'replaceUrl', hash: 'map=pca&points=6&colour=cluster&zoom=3&cx=1&cy=2&thumbs=0&sel=1,4&focus=2' });
    // Later changes follow: the colour, the view, the selection.
    const moved = run(done.state, { type: 'mapColourChosen', colour: 'digit' }, { type: 'mapViewMoved', view: null }, { type: 'selectionCleared' });
    expect(moved.commands.filter((c) => c.kind === 'replaceUrl').at(-1)).toEqual({ kind: 'replaceUrl', hash: 'map=pca&points=6&thumbs=0&focus=2' });
    // Applied once: a second map does not bring the old selection back.
    const again = run(moved.state, { type: 'pcaRequested', n: 5, options: { perplexity: 15, learningRate: 100, iterations: 1000, seed: 0 }, thumbnails: 0 });
    const second = again.state.space.map?.jobId ?? -1;
    expect(apply(again.state, mapDone(second)).space.selection).toBeNull();
  });

  it('turns a malformed address into notices and applies only its good values', () => {
    const { state, mapJob } = withMapAsked('#colour=purple&zoom=9e9&cx=0&cy=0&sel=1,2,<b>&focus=3&evil=1');
    expect(state.notices).toHaveLength(4);
    expect(state.notices.every((line) => line.startsWith('Link: '))).toBe(true);
    const done = apply(state, mapDone(mapJob));
    expect(done.mapView).toMatchObject({ colour: 'digit', view: null, pending: null });
    expect(done.space.selection).toBeNull();
    expect(done.space.focus?.index).toBe(3);
  });

  it('writes nothing for a page without a view and without a map', () => {
    const state = createInitialState('s', 'http://127.0.0.1/', '');
    expect(state.mapView.pending).toBeNull();
    expect(run(state, ready()).commands).toEqual([]);
  });
});
