/**
 * How the map is looked at — colouring, zoom and centre, thumbnails — and its link with the page address:
 * a view read from the address waits (`pending`) until a map of the loaded codes is finished, then is
 * applied once; after that the address follows the view (`replaceUrl` commands), so it can be copied and
 * shared at any moment.
 */
import type { Command } from './commands';
import { MAX_URL_SELECTION, parseUrlView, serialiseUrlView, type UrlView } from './url-state';
import type { LatentSpaceState } from './latent-state';

export interface MapViewState {
  colour: 'digit' | 'cluster';
  /** zoom relative to the fitted view and the data point at the screen's centre; null = everything fitted */
  view: { zoom: number; cx: number; cy: number } | null;
  thumbs: boolean;
  /** a view from the address not yet applied (no finished map so far) */
  pending: UrlView | null;
  /** the address hash last written or read, without '#' */
  urlHash: string;
}

/** The view at start-up, from the address hash; `problems` become notices. */
export function initialMapView(hash: string): { mapView: MapViewState; problems: string[] } {
  const { view, problems } = parseUrlView(hash);
  const empty = serialiseUrlView(view) === '';
  return {
    mapView: { colour: 'digit', view: null, thumbs: true, pending: empty ? null : view, urlHash: hash.replace(/^#/, '') },
    problems: problems.map((problem) => `Link: ${problem}`),
  };
}

/** The view as the address carries it: the pending one until it is applied, else the current map's. */
export function urlViewOf(space: LatentSpaceState, mapView: MapViewState): UrlView {
  if (mapView.pending) return mapView.pending;
  const map = space.map;
  const selection = space.selection?.indices;
  return {
    map: map
      ? {
          kind: map.kind,
          settings: { ...map.options, points: map.n, ...(map.umapOptions ? { seed: map.umapOptions.seed } : {}) },
          ...(map.umapOptions ? { umap: { nNeighbors: map.umapOptions.nNeighbors, minDist: map.umapOptions.minDist } } : {}),
        }
      : null,
    colour: map && mapView.colour === 'cluster' ? 'cluster' : null,
    view: map ? mapView.view : null,
    thumbs: map && !mapView.thumbs ? false : null,
    selection: selection && selection.length > 0 && selection.length <= MAX_URL_SELECTION ? Array.from(selection) : null,
    focus: space.focus?.index ?? null,
  };
}

/** A `replaceUrl` command when the address no longer shows the view. */
export function syncUrl(space: LatentSpaceState, mapView: MapViewState): { mapView: MapViewState; commands: Command[] } {
  const hash = serialiseUrlView(urlViewOf(space, mapView));
  if (hash === mapView.urlHash) return { mapView, commands: [] };
  return { mapView: { ...mapView, urlHash: hash }, commands: [{ kind: 'replaceUrl', hash }] };
}

/** The pending view's display part, once a map is finished; its selection and focus are applied by the caller. */
export function applyPending(mapView: MapViewState): MapViewState {
  const pending = mapView.pending;
  if (!pending) return mapView;
  return { ...mapView, colour: pending.colour ?? mapView.colour, view: pending.view ?? mapView.view, thumbs: pending.thumbs ?? mapView.thumbs, pending: null };
}
