/**
 * The latent-space slice's transitions: latents of a run → KMeans (centres decoded, members fetched) →
 * the map — t-SNE, UMAP or PCA — (thumbnails, hover, walks) and the inspected digit. Each returns the commands it implies
 * and the job ids it registered; an event of a job the slice no longer holds changes nothing.
 */
import type { KMeansOptions } from '../analysis/kmeans';
import { interpolateLatents } from '../analysis/latent-stats';
import type { ArchId } from '../models/arch-spec';
import type { AnalysisJobEvent, EngineEvent, MapOptions, RunId, Split, UmapMapOptions } from '../worker/protocol';
import { engine, type Command } from './commands';
import { carryOntoMap, reduceExplorerAction, reduceExplorerEvent, type ExplorerAction, type ExplorerOwner } from './explorer';
import { DEFAULT_GRID_SIDE, hoverPlane, manifoldDecoded, requestManifold } from './manifold';
import { INITIAL_LATENT_SPACE, MAX_WALK_STEPS, MEMBERS_PER_CLUSTER, MIN_WALK_STEPS, WALK_STEPS, pickMembers, spreadIndices, type KMeansJob, type LatentJob, type LatentSpaceState, type MapJob, type WalkState } from './latent-state';

/** Which latent-space job a job id is. */
export type LatentOwner =
  | 'latent'
  | 'kmeans'
  | 'kmeansCentres'
  | 'kmeansMembers'
  | 'map'
  | 'mapThumbs'
  | 'hoverImage'
  | 'hoverRecon'
  | 'walk'
  | 'inspect'
  | 'manifold'
  | 'walkEnds'
  | ExplorerOwner;

export type LatentAction =
  | { type: 'latentsRequested'; run: { id: RunId; name: string; arch: ArchId; latentDim: number }; split: Split }
  | { type: 'kmeansRequested'; options: KMeansOptions }
  | { type: 'cancelRequested'; job: 'latent' | 'kmeans' | 'map' }
  /** thumbnails: how many of the map's points can be drawn as digit images (spread evenly; the form asks for all n) */
  | { type: 'mapRequested'; n: number; options: MapOptions; thumbnails: number }
  /** an exact PCA map of the first n codes (instant: no settings beyond n) */
  | { type: 'pcaRequested'; n: number; options: MapOptions; thumbnails: number }
  /** a UMAP map of the first n codes; `options` are the t-SNE form's values, kept with the map as for PCA */
  | { type: 'umapRequested'; n: number; options: MapOptions; umap: UmapMapOptions; thumbnails: number }
  | { type: 'mapHovered'; index: number }
  | { type: 'mapClicked'; index: number }
  | { type: 'inspectRequested'; index: number }
  /** decodes a side × side grid across a 2-d code plane */
  | { type: 'manifoldRequested'; side: number }
  /** the pointer is at (u, v) ∈ [0, 1]² of the code plane's picture */
  | { type: 'planeHovered'; u: number; v: number }
  /** a walk from `index` whose end is the next point clicked */
  | { type: 'walkStarted'; index: number }
  /** a walk between two points, decoded at once */
  | { type: 'walkRequested'; from: number; to: number }
  /** the number of steps of the walk (redecoded when it has both ends) */
  | { type: 'walkStepsChanged'; steps: number }
  | ExplorerAction;

/** A latent-space transition's result. */
export interface LatentResult {
  space: LatentSpaceState;
  /** job ids registered by this transition */
  jobs: Record<number, LatentOwner>;
  nextJobId: number;
  commands: Command[];
}

/** Hands out job ids and remembers whose they are. */
class Ids {
  readonly jobs: Record<number, LatentOwner> = {};
  constructor(public next: number) {}
  take(owner: LatentOwner): number {
    const id = this.next++;
    this.jobs[id] = owner;
    return id;
  }
}

function result(space: LatentSpaceState, ids: Ids, ...commands: Command[]): LatentResult {
  return { space, jobs: ids.jobs, nextJobId: ids.next, commands };
}

const busy = (status: string | undefined) => status === 'running' || status === 'cancelling';

/** One latent vector of the finished latents (`latent.dim` floats). */
function code(latent: LatentJob, index: number): Float32Array {
  const latents = latent.latents ?? new Float32Array(0);
  return latents.slice(index * latent.dim, (index + 1) * latent.dim);
}

/** The commands of a walk from `a` to `b` in `steps` steps: the decode and the two endpoints' originals. */
function startWalk(latent: LatentJob, a: number, b: number, steps: number, ids: Ids): { walk: WalkState; commands: Command[] } {
  const jobId = ids.take('walk');
  const endsJobId = ids.take('walkEnds');
  const codes = interpolateLatents(code(latent, a), code(latent, b), steps);
  return {
    walk: { a, b, steps, jobId, images: null, endsJobId, ends: null },
    commands: [
      engine({ type: 'decode', jobId, runId: latent.runId, codes, count: steps }),
      engine({ type: 'images', jobId: endsJobId, split: latent.split, indices: Int32Array.of(a, b) }),
    ],
  };
}

/** An explorer action applied to the space (selection, focus and their jobs). */
function explorer(space: LatentSpaceState, action: ExplorerAction, ids: Ids): { space: LatentSpaceState; commands: Command[] } {
  const summary = space.kmeans?.summary;
  const changed = reduceExplorerAction(
    { latent: space.latent, map: space.map, selection: space.selection, focus: space.focus, kmeansAssignments: summary ? { assignments: summary.assignments, k: summary.k } : null },
    action,
    (owner) => ids.take(owner),
  );
  return { space: { ...space, selection: changed.selection, focus: changed.focus }, commands: changed.commands };
}

export function reduceLatentAction(space: LatentSpaceState, action: LatentAction, nextJobId: number): LatentResult {
  const ids = new Ids(nextJobId);
  const unchanged = result(space, ids);
  const latent = space.latent;
  switch (action.type) {
    case 'latentsRequested': {
      if (busy(latent?.status)) return unchanged;
      const jobId = ids.take('latent');
      const job: LatentJob = {
        jobId,
        runId: action.run.id,
        runName: action.run.name,
        arch: action.run.arch,
        split: action.split,
        dataset: null,
        status: 'running',
        done: 0,
        total: 0,
        latents: null,
        labels: null,
        count: 0,
        dim: action.run.latentDim,
        seconds: 0,
        method: null,
        threads: 1,
        message: null,
      };
      // New latents invalidate the clustering, the map and the inspected digit, which belong to the old ones.
      return result({ ...INITIAL_LATENT_SPACE, latent: job }, ids, engine({ type: 'latents', jobId, runId: action.run.id, split: action.split }));
    }
    case 'kmeansRequested': {
      if (!latent || latent.status !== 'done' || !latent.latents || !latent.labels || busy(space.kmeans?.status)) return unchanged;
      const jobId = ids.take('kmeans');
      const kmeans: KMeansJob = {
        jobId,
        latentJobId: latent.jobId,
        options: action.options,
        status: 'running',
        progress: null,
        summary: null,
        message: null,
        centresJobId: ids.take('kmeansCentres'),
        centres: null,
        membersJobId: ids.take('kmeansMembers'),
        memberIndices: null,
        members: null,
      };
      return result({ ...space, kmeans }, ids, { kind: 'kmeans', jobId, latents: latent.latents, labels: latent.labels, count: latent.count, dim: latent.dim, options: action.options });
    }
    case 'cancelRequested': {
      const job = space[action.job];
      if (!job || job.status !== 'running') return unchanged;
      const cancel: Command = action.job === 'latent' ? engine({ type: 'cancel', jobId: job.jobId }) : { kind: 'cancelAnalysis', jobId: job.jobId };
      return result({ ...space, [action.job]: { ...job, status: 'cancelling' } }, ids, cancel);
    }
    case 'inspectRequested': {
      if (!latent || latent.status !== 'done' || !Number.isInteger(action.index) || action.index < 0 || action.index >= latent.count) return unchanged;
      const jobId = ids.take('inspect');
      return result({ ...space, inspect: { index: action.index, jobId, image: null } }, ids, engine({ type: 'images', jobId, split: latent.split, indices: Int32Array.of(action.index) }));
    }
    case 'mapRequested':
    case 'pcaRequested':
    case 'umapRequested': {
      if (!latent || latent.status !== 'done' || !latent.latents || !latent.labels || busy(space.map?.status)) return unchanged;
      const kind = action.type === 'pcaRequested' ? 'pca' : action.type === 'umapRequested' ? 'umap' : 'tsne';
      const n = Math.max(3, Math.min(Math.floor(action.n), latent.count));
      const jobId = ids.take('map');
      const thumbsJobId = ids.take('mapThumbs');
      const thumbIndices = spreadIndices(n, Math.max(0, Math.floor(action.thumbnails)));
      // The old map's layout stays for the move to the new one; only its last layout (never a chain of them).
      const old = space.map;
      const previous = old && old.n === n && old.embedding ? old.embedding : null;
      const umapOptions = action.type === 'umapRequested' ? action.umap : null;
      const map: MapJob = { jobId, kind, umapOptions, previous, explained: null, n, options: action.options, status: 'running', progress: null, iteration: 0, embedding: null, seconds: 0, threads: 1, quality: null, message: null, thumbsJobId, thumbIndices, thumbs: null };
      const base = { jobId, latents: latent.latents, labels: latent.labels, n, dim: latent.dim };
      const commands: Command[] = [
        kind === 'pca' ? { kind: 'pca', ...base } : umapOptions ? { kind: 'umap', ...base, options: umapOptions } : { kind: 'tsne', ...base, options: action.options },
      ];
      // Bytes, not floats: a quarter of the memory and of the copy, for up to 70,000 thumbnails.
      if (thumbIndices.length > 0) commands.push(engine({ type: 'imageBytes', jobId: thumbsJobId, split: latent.split, indices: thumbIndices }));
      // The selection and the focused point are rows of the latents: they carry onto the new map.
      const carried = carryOntoMap({ latent, map, selection: space.selection, focus: space.focus, kmeansAssignments: null }, n, (owner) => ids.take(owner));
      return result({ ...space, map, hover: null, walk: null, selection: carried.selection, focus: carried.focus }, ids, ...commands, ...carried.commands);
    }
    case 'mapHovered': {
      const map = space.map;
      if (!latent || !map || action.index < 0 || action.index >= map.n || space.hover?.index === action.index) return unchanged;
      const imageJobId = ids.take('hoverImage');
      const reconJobId = ids.take('hoverRecon');
      return result({ ...space, hover: { index: action.index, imageJobId, image: null, reconJobId, recon: null } }, ids,
        engine({ type: 'images', jobId: imageJobId, split: latent.split, indices: Int32Array.of(action.index) }),
        engine({ type: 'decode', jobId: reconJobId, runId: latent.runId, codes: code(latent, action.index), count: 1 }),
      );
    }
    case 'mapClicked': {
      // A click focuses the point (its latent neighbours) and ends a walk waiting for its end.
      const map = space.map;
      if (!latent || !map || !Number.isInteger(action.index) || action.index < 0 || action.index >= map.n) return unchanged;
      const focused = explorer(space, { type: 'pointFocused', index: action.index }, ids);
      const walk = space.walk;
      if (walk && walk.b === null && walk.a !== action.index) {
        const started = startWalk(latent, walk.a, action.index, walk.steps, ids);
        return result({ ...focused.space, walk: started.walk }, ids, ...focused.commands, ...started.commands);
      }
      return result(focused.space, ids, ...focused.commands);
    }
    case 'walkStarted': {
      const map = space.map;
      if (!latent || !map || !Number.isInteger(action.index) || action.index < 0 || action.index >= map.n) return unchanged;
      const steps = space.walk?.steps ?? WALK_STEPS;
      return result({ ...space, walk: { a: action.index, b: null, steps, jobId: ids.take('walk'), images: null, endsJobId: null, ends: null } }, ids);
    }
    case 'walkRequested': {
      const map = space.map;
      const valid = (i: number) => Number.isInteger(i) && i >= 0 && map !== null && i < map.n;
      if (!latent || !valid(action.from) || !valid(action.to) || action.from === action.to) return unchanged;
      const started = startWalk(latent, action.from, action.to, space.walk?.steps ?? WALK_STEPS, ids);
      return result({ ...space, walk: started.walk }, ids, ...started.commands);
    }
    case 'walkStepsChanged': {
      const walk = space.walk;
      if (!latent || !walk || !Number.isInteger(action.steps) || action.steps < MIN_WALK_STEPS || action.steps > MAX_WALK_STEPS) return unchanged;
      if (walk.b === null) return result({ ...space, walk: { ...walk, steps: action.steps } }, ids);
      const started = startWalk(latent, walk.a, walk.b, action.steps, ids);
      return result({ ...space, walk: started.walk }, ids, ...started.commands);
    }
    case 'lassoDrawn':
    case 'pointToggled':
    case 'selectionCleared':
    case 'selectionInverted':
    case 'digitSelected':
    case 'pointFocused':
    case 'focusCleared':
    case 'selectionExportRequested':
    case 'selectionRestored':
    case 'codesExportRequested': {
      const changed = explorer(space, action, ids);
      return result(changed.space, ids, ...changed.commands);
    }
    case 'manifoldRequested': {
      if (!latent || latent.status !== 'done' || !latent.latents) return unchanged;
      const started = requestManifold({ jobId: latent.jobId, runId: latent.runId, latents: latent.latents, count: latent.count }, action.side, () => ids.take('manifold'));
      return started ? result({ ...space, manifold: started.manifold }, ids, ...started.commands) : unchanged;
    }
    case 'planeHovered': {
      if (!space.manifold) return unchanged;
      const moved = hoverPlane(space.manifold, action.u, action.v, () => ids.take('manifold'));
      return result({ ...space, manifold: moved.manifold }, ids, ...moved.commands);
    }
    default: {
      const unreachable: never = action;
      return unreachable;
    }
  }
}

type JobEvent = Extract<EngineEvent, { type: 'latentsProgress' | 'latentsReady' | 'decoded' | 'images' | 'imageBytes' | 'meanImages' | 'gallery' | 'jobEnded' }>;

/** An engine event for a latent-space job (found through the job registry). */
export function reduceLatentJobEvent(space: LatentSpaceState, owner: LatentOwner, event: JobEvent, nextJobId: number): LatentResult {
  const ids = new Ids(nextJobId);
  const set = (patch: Partial<LatentSpaceState>) => result({ ...space, ...patch }, ids);
  const { latent, kmeans, map, hover, walk, inspect } = space;
  const failed = event.type === 'jobEnded' ? event.message : null;
  switch (owner) {
    case 'latent':
      if (!latent || latent.jobId !== event.jobId) break;
      if (event.type === 'latentsProgress') return set({ latent: { ...latent, done: event.done, total: event.total } });
      if (event.type === 'latentsReady') {
        const done: LatentJob = { ...latent, status: 'done', dataset: event.dataset, latents: event.latents, labels: event.labels, count: event.count, dim: event.dim, seconds: event.seconds, method: event.method, threads: event.threads, done: event.count, total: event.count };
        // A 2-number code is its own map: its manifold grid is decoded at once, no t-SNE needed.
        const plane = requestManifold({ jobId: done.jobId, runId: done.runId, latents: event.latents, count: event.count }, DEFAULT_GRID_SIDE, () => ids.take('manifold'));
        return result({ ...space, latent: done, manifold: plane?.manifold ?? null }, ids, ...(plane?.commands ?? []));
      }
      if (event.type === 'jobEnded') return set({ latent: { ...latent, status: event.outcome, message: event.message } });
      break;
    case 'kmeansCentres':
      if (kmeans?.centresJobId === event.jobId && event.type === 'decoded') return set({ kmeans: { ...kmeans, centres: event.images } });
      break;
    case 'kmeansMembers':
      if (kmeans?.membersJobId === event.jobId && event.type === 'images') return set({ kmeans: { ...kmeans, members: event.images } });
      break;
    case 'mapThumbs':
      if (map?.thumbsJobId === event.jobId && event.type === 'imageBytes') return set({ map: { ...map, thumbs: event.pixels } });
      break;
    case 'hoverImage':
      if (hover?.imageJobId === event.jobId && event.type === 'images') return set({ hover: { ...hover, image: event.images } });
      break;
    case 'hoverRecon':
      if (hover?.reconJobId === event.jobId && event.type === 'decoded') return set({ hover: { ...hover, recon: event.images } });
      break;
    case 'walk':
      if (walk?.jobId === event.jobId && event.type === 'decoded') return set({ walk: { ...walk, images: event.images } });
      break;
    case 'walkEnds':
      if (walk?.endsJobId === event.jobId && event.type === 'images') return set({ walk: { ...walk, ends: event.images } });
      break;
    case 'selectionMeans':
    case 'selectionMembers':
    case 'focusImages': {
      const answer = event.type === 'images' ? { images: event.images } : event.type === 'meanImages' ? { means: { image: event.image, reconstruction: event.reconstruction } } : {};
      const next = reduceExplorerEvent(space.selection, space.focus, owner, event.jobId, answer);
      if (next.selection !== space.selection || next.focus !== space.focus) return set(next);
      break;
    }
    case 'inspect':
      if (inspect?.jobId === event.jobId && event.type === 'images') return set({ inspect: { ...inspect, image: event.images } });
      break;
    case 'manifold': {
      if (!space.manifold || (event.type !== 'decoded' && event.type !== 'jobEnded')) break;
      const decoded = manifoldDecoded(space.manifold, event.jobId, event.type === 'decoded' ? event.images : null, () => ids.take('manifold'));
      return result({ ...space, manifold: decoded.manifold, message: failed ?? space.message }, ids, ...decoded.commands);
    }
    case 'kmeans':
    case 'map':
      break;
    default: {
      const unreachable: never = owner;
      return unreachable;
    }
  }
  // A short job that failed (decode, images) says so without losing anything.
  return failed !== null ? set({ message: failed }) : result(space, ids);
}

/** An analysis event (KMeans as one job, t-SNE). */
export function reduceLatentAnalysis(space: LatentSpaceState, event: AnalysisJobEvent, nextJobId: number): LatentResult {
  const ids = new Ids(nextJobId);
  const { map, kmeans, latent } = space;
  if (map && map.jobId === event.jobId) {
    const withMap = (next: MapJob) => result({ ...space, map: next }, ids);
    switch (event.type) {
      case 'tsneProgress':
        return withMap({ ...map, progress: event.progress, iteration: event.progress.iteration });
      case 'tsneFrame':
        return withMap({ ...map, embedding: event.embedding, iteration: event.iteration });
      case 'tsneDone':
        return withMap({
          ...map,
          status: event.stopped ? 'cancelled' : 'done',
          embedding: event.embedding,
          iteration: event.iterations,
          seconds: event.seconds,
          threads: event.threads,
          quality: event.quality,
          message: event.stopped ? `Stopped after ${event.iterations} iterations; the map so far stays.` : null,
        });
      case 'pcaDone':
        return withMap({ ...map, status: 'done', embedding: event.embedding, explained: event.explained, seconds: event.seconds, quality: event.quality });
      case 'umapProgress':
        return withMap({ ...map, progress: event.progress, iteration: event.progress.iteration });
      case 'umapFrame':
        return withMap({ ...map, embedding: event.embedding, iteration: event.epoch });
      case 'umapDone':
        return withMap({
          ...map,
          status: event.stopped ? 'cancelled' : 'done',
          embedding: event.embedding,
          iteration: event.epochs,
          seconds: event.seconds,
          quality: event.quality,
          message: event.stopped ? `Stopped after ${event.epochs} epochs; the map so far stays.` : null,
        });
      case 'jobEnded':
        return withMap({ ...map, status: event.outcome, message: event.message });
      default:
        return result(space, ids);
    }
  }
  if (!kmeans || kmeans.jobId !== event.jobId) return result(space, ids);
  switch (event.type) {
    case 'kmeansProgress':
      return result({ ...space, kmeans: { ...kmeans, progress: event.progress } }, ids);
    case 'kmeansDone': {
      const { summary } = event;
      const memberIndices = pickMembers(summary.assignments, summary.k, MEMBERS_PER_CLUSTER);
      const done: KMeansJob = { ...kmeans, status: 'done', summary, memberIndices };
      const commands: Command[] = [];
      if (latent) {
        commands.push(engine({ type: 'decode', jobId: kmeans.centresJobId, runId: latent.runId, codes: summary.centroids.slice(), count: summary.k }));
        const indices = memberIndices.filter((i) => i >= 0);
        commands.push(engine({ type: 'images', jobId: kmeans.membersJobId, split: latent.split, indices }));
      }
      return result({ ...space, kmeans: done }, ids, ...commands);
    }
    case 'jobEnded':
      return result({ ...space, kmeans: { ...kmeans, status: event.outcome, message: event.message } }, ids);
    default:
      return result(space, ids);
  }
}
