/**
 * Effects as data: every state transition returns the new state AND the commands it implies (Elm's
 * `update : Msg -> Model -> (Model, Cmd Msg)`). The hook that owns the workers only executes them; nothing
 * decides what to send by comparing states. Command generation is unit-tested as plain data.
 */
import type { KMeansOptions } from '../analysis/kmeans';
import type { EngineRequest, MapOptions, UmapMapOptions } from '../worker/protocol';

/** Something the page must do outside the state. */
export type Command =
  /** one request to the engine worker */
  | { kind: 'engine'; request: EngineRequest }
  /** KMeans on latents; the analysis client spreads the restarts over its workers and reports one job */
  | { kind: 'kmeans'; jobId: number; latents: Float32Array; labels: Uint8Array; count: number; dim: number; options: KMeansOptions }
  /** a t-SNE map of the first n latent vectors */
  | { kind: 'tsne'; jobId: number; latents: Float32Array; labels: Uint8Array; n: number; dim: number; options: MapOptions }
  /** an exact PCA map of the first n latent vectors */
  | { kind: 'pca'; jobId: number; latents: Float32Array; labels: Uint8Array; n: number; dim: number }
  /** a UMAP map of the first n latent vectors */
  | { kind: 'umap'; jobId: number; latents: Float32Array; labels: Uint8Array; n: number; dim: number; options: UmapMapOptions }
  | { kind: 'cancelAnalysis'; jobId: number }
  /** saves a file the engine made (a run export) through the browser's download */
  | { kind: 'download'; blob: Blob; fileName: string }
  /** shows the map's view in the page address (hash, without '#'), replacing the history entry */
  | { kind: 'replaceUrl'; hash: string }
  /** dispatches `action` after `afterMs` milliseconds (undo windows) */
  | { kind: 'later'; afterMs: number; action: { type: 'deleteExpired'; runId: string } };

/** A transition's result: the next state and the commands to run. */
export interface Transition<S> {
  state: S;
  commands: Command[];
}

/** A transition that only changes state. */
export function just<S>(state: S): Transition<S> {
  return { state, commands: [] };
}

/** A transition with commands. */
export function withCommands<S>(state: S, ...commands: Command[]): Transition<S> {
  return { state, commands };
}

/** One engine request as a command. */
export function engine(request: EngineRequest): Command {
  return { kind: 'engine', request };
}
