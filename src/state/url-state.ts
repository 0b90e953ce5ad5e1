/**
 * The map's view in the page address, so a view can be shared: which map and its settings, the colouring,
 * zoom and centre, thumbnails on or off, the selected points (when few) and the focused point. Only what
 * does not depend on a run: the person opening the link trains or loads their own run, and the view is
 * applied once a map of its codes exists.
 *
 * The address is untrusted input: every value is parsed as plain data against the same limits as the
 * forms; anything malformed, out of range or unknown is dropped with a notice and never reaches a job.
 * Format (in the hash, so it never reaches a server): `#map=tsne&points=5000&perplexity=15&colour=cluster&
 * zoom=2.5&cx=1.25&cy=-3&thumbs=0&sel=3,17,42&focus=17`.
 */
import { DEFAULT_MAP_SETTINGS, MAP_FORM_FIELDS, TSNE_LIMITS, type MapSettings } from '../config/tsne-options';
import { checkNumber } from '../config/limits';
import { DEFAULT_UMAP_SETTINGS, UMAP_LIMITS } from '../config/umap-options';
import type { MapKind } from './latent-state';

/** Map kinds the address may name. */
export const URL_MAP_KINDS: readonly MapKind[] = ['tsne', 'pca', 'umap'];
/** UMAP's own settings in the address (points and seed are shared with t-SNE's keys). */
const UMAP_URL_FIELDS = ['nNeighbors', 'minDist'] as const;
type UmapUrlField = (typeof UMAP_URL_FIELDS)[number];
/** Selections up to this many points travel in the address; larger ones would make links too long to share. */
export const MAX_URL_SELECTION = 200;
/** An address hash longer than this is not read at all (no view needs more). */
export const MAX_URL_HASH = 4096;
/** Largest point number: all of MNIST's 70,000 images. */
const MAX_POINT = 69_999;
/** Zoom relative to the view that shows every point, as the map allows it. */
export const URL_ZOOM_LIMITS = { min: 0.2, max: 400 } as const;
/** Largest map coordinate accepted (t-SNE and PCA maps of these codes stay far inside). */
const MAX_COORDINATE = 1e6;

export interface UrlView {
  /** the map to make; settings the address did not give take their defaults */
  map: { kind: MapKind; settings: MapSettings; umap?: Record<UmapUrlField, number> } | null;
  colour: 'digit' | 'cluster' | null;
  /** zoom relative to the fitted view, and the data coordinates at the centre of the screen */
  view: { zoom: number; cx: number; cy: number } | null;
  thumbs: boolean | null;
  /** point numbers, ascending, unique */
  selection: number[] | null;
  focus: number | null;
}

export const EMPTY_URL_VIEW: UrlView = { map: null, colour: null, view: null, thumbs: null, selection: null, focus: null };

const KNOWN_KEYS = new Set<string>(['map', 'colour', 'zoom', 'cx', 'cy', 'thumbs', 'sel', 'focus', ...MAP_FORM_FIELDS, ...UMAP_URL_FIELDS]);

/** A whole number in [min, max] written as plain digits, or null. */
function wholeNumber(text: string, min: number, max: number): number | null {
  if (!/^\d{1,7}$/.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}

/** A finite decimal number (no hex, no exponent beyond ±99, no empty string), or null. */
function decimal(text: string): number | null {
  if (!/^-?\d{1,17}(\.\d{1,17})?(e[-+]?\d{1,2})?$/i.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** Shortens a value for a notice, so a hostile address cannot flood the page with text. */
function shown(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 24 ? `${clean.slice(0, 24)}…` : clean;
}

/**
 * Reads the view from an address hash (with or without its '#'). Never throws.
 * @returns the view, and one line per value that was ignored and why
 */
export function parseUrlView(hash: string): { view: UrlView; problems: string[] } {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  if (raw === '') return { view: EMPTY_URL_VIEW, problems: [] };
  if (raw.length > MAX_URL_HASH) return { view: EMPTY_URL_VIEW, problems: [`The address's view part is ${raw.length.toLocaleString('en')} characters long (at most ${MAX_URL_HASH.toLocaleString('en')}); it was ignored.`] };
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(raw);
  } catch {
    return { view: EMPTY_URL_VIEW, problems: ['The address’s view part could not be read; it was ignored.'] };
  }
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const [key, value] of params) {
    if (!KNOWN_KEYS.has(key)) {
      problems.push(`“${shown(key)}” is not a view setting; ignored.`);
      continue;
    }
    if (seen.has(key)) problems.push(`“${key}” appears twice; the first value is used.`);
    else seen.set(key, value);
  }
  const get = (key: string) => seen.get(key);
  const view: UrlView = { ...EMPTY_URL_VIEW };

  const kind = get('map');
  if (kind !== undefined) {
    const known = URL_MAP_KINDS.find((k) => k === kind);
    if (!known) problems.push(`map=${shown(kind)} is not a map kind (${URL_MAP_KINDS.join(', ')}); no map settings were taken.`);
    else {
      const settings: MapSettings = { ...DEFAULT_MAP_SETTINGS };
      for (const field of MAP_FORM_FIELDS) {
        const text = get(field);
        if (text === undefined) continue;
        const value = decimal(text);
        const message = value === null ? `${TSNE_LIMITS[field].label} is not a number` : checkNumber(value, TSNE_LIMITS[field]);
        if (message !== null || value === null) problems.push(`${field}=${shown(text)}: ${(message ?? 'not a number').replace(/\.$/, '')}; the default ${DEFAULT_MAP_SETTINGS[field]} is used.`);
        else settings[field] = value;
      }
      view.map = { kind: known, settings };
      if (known === 'umap') {
        const umap: Record<UmapUrlField, number> = { nNeighbors: DEFAULT_UMAP_SETTINGS.nNeighbors, minDist: DEFAULT_UMAP_SETTINGS.minDist };
        for (const field of UMAP_URL_FIELDS) {
          const text = get(field);
          if (text === undefined) continue;
          const value = decimal(text);
          const message = value === null ? `${UMAP_LIMITS[field].label} is not a number` : checkNumber(value, UMAP_LIMITS[field]);
          if (message !== null || value === null) problems.push(`${field}=${shown(text)}: ${(message ?? 'not a number').replace(/\.$/, '')}; the default ${DEFAULT_UMAP_SETTINGS[field]} is used.`);
          else umap[field] = value;
        }
        view.map.umap = umap;
      }
    }
  } else if (MAP_FORM_FIELDS.some((field) => get(field) !== undefined)) {
    problems.push('Map settings without map=… were ignored.');
  }

  const colour = get('colour');
  if (colour !== undefined) {
    if (colour === 'digit' || colour === 'cluster') view.colour = colour;
    else problems.push(`colour=${shown(colour)} is not digit or cluster; ignored.`);
  }

  const zoomText = get('zoom');
  const cxText = get('cx');
  const cyText = get('cy');
  if (zoomText !== undefined || cxText !== undefined || cyText !== undefined) {
    const zoom = zoomText === undefined ? null : decimal(zoomText);
    const cx = cxText === undefined ? null : decimal(cxText);
    const cy = cyText === undefined ? null : decimal(cyText);
    const inRange = (v: number | null) => v !== null && Math.abs(v) <= MAX_COORDINATE;
    if (zoom === null || zoom < URL_ZOOM_LIMITS.min || zoom > URL_ZOOM_LIMITS.max || !inRange(cx) || !inRange(cy) || cx === null || cy === null) {
      problems.push(`The zoom and centre (zoom, cx, cy) need all three, zoom from ${URL_ZOOM_LIMITS.min} to ${URL_ZOOM_LIMITS.max}; ignored.`);
    } else view.view = { zoom, cx, cy };
  }

  const thumbs = get('thumbs');
  if (thumbs !== undefined) {
    if (thumbs === '0' || thumbs === '1') view.thumbs = thumbs === '1';
    else problems.push(`thumbs=${shown(thumbs)} is not 0 or 1; ignored.`);
  }

  const sel = get('sel');
  if (sel !== undefined) {
    const parts = sel === '' ? [] : sel.split(',');
    const rows = parts.map((part) => wholeNumber(part, 0, MAX_POINT));
    if (parts.length > MAX_URL_SELECTION) problems.push(`sel lists ${parts.length.toLocaleString('en')} points (at most ${MAX_URL_SELECTION}); the selection was ignored.`);
    else if (rows.some((row) => row === null)) problems.push(`sel must list point numbers from 0 to ${MAX_POINT.toLocaleString('en')}, separated by commas; the selection was ignored.`);
    else view.selection = [...new Set(rows.filter((row): row is number => row !== null))].sort((a, b) => a - b);
  }

  const focus = get('focus');
  if (focus !== undefined) {
    const row = wholeNumber(focus, 0, MAX_POINT);
    if (row === null) problems.push(`focus=${shown(focus)} is not a point number; ignored.`);
    else view.focus = row;
  }
  return { view, problems };
}

/** Writes the view as an address hash without its '#'; settings equal to the defaults are left out. */
export function serialiseUrlView(view: UrlView): string {
  const params = new URLSearchParams();
  if (view.map) {
    params.set('map', view.map.kind);
    for (const field of MAP_FORM_FIELDS) {
      const own = view.map.kind === 'tsne' || field === 'points' || (view.map.kind === 'umap' && field === 'seed');
      if (own && view.map.settings[field] !== DEFAULT_MAP_SETTINGS[field]) params.set(field, String(view.map.settings[field]));
    }
    const umap = view.map.umap;
    if (view.map.kind === 'umap' && umap) {
      for (const field of UMAP_URL_FIELDS) if (umap[field] !== DEFAULT_UMAP_SETTINGS[field]) params.set(field, String(umap[field]));
    }
  }
  if (view.colour) params.set('colour', view.colour);
  if (view.view) {
    params.set('zoom', String(Number(view.view.zoom.toPrecision(4))));
    // Six significant digits place the centre well inside a pixel; below 1e-9 a coordinate is 0 on any map.
    const coordinate = (x: number) => String(Math.abs(x) < 1e-9 ? 0 : Number(x.toPrecision(6)));
    params.set('cx', coordinate(view.view.cx));
    params.set('cy', coordinate(view.view.cy));
  }
  if (view.thumbs !== null) params.set('thumbs', view.thumbs ? '1' : '0');
  if (view.selection && view.selection.length > 0 && view.selection.length <= MAX_URL_SELECTION) params.set('sel', view.selection.join(','));
  if (view.focus !== null) params.set('focus', String(view.focus));
  // Commas in the selection read better unescaped; they are safe inside a hash.
  return params.toString().replace(/%2C/g, ',');
}
