/**
 * The "inside a run" slice: one digit of the loaded latents, its code turned by knobs (one per unit) and
 * decoded live, and every layer's activations for it. Transitions return the commands they imply and the
 * job ids they registered, like the latent-space slice.
 *
 * Knob decodes are coalesced: at most one is in flight; moves made meanwhile only change the code, and when
 * the decode returns the latest code goes out (once), so a dragged slider never queues a backlog of decodes.
 */
import type { EngineEvent, LayerActivation, RunId, Split } from '../worker/protocol';
import { engine, type Command } from './commands';
import type { LatentJob } from './latent-state';

/** Which inside job a job id is. */
export type InsideOwner = 'insideImage' | 'insideRecon' | 'insideKnob' | 'insideActivations';

/** One digit looked into. */
export interface InsideState {
  /** the latent job the digit's code comes from: the slice belongs to those latents and goes with them */
  latentJobId: number;
  runId: RunId;
  split: Split;
  index: number;
  /** the digit's code as the encoder made it (d floats) */
  original: Float32Array;
  /** the code with the knobs' changes (d floats) */
  code: Float32Array;
  imageJobId: number;
  /** the digit's pixels (784) */
  image: Float32Array | null;
  reconJobId: number;
  /** decoded from the original code (784) */
  recon: Float32Array | null;
  activationsJobId: number;
  activations: LayerActivation[] | null;
  /** the knob decode in flight, or null */
  knobJobId: number | null;
  /** the code changed while a decode was in flight: it is decoded when that one returns */
  knobPending: boolean;
  /** decoded from the latest code that came back (784); null until a knob moved */
  changed: Float32Array | null;
  /** last failure of one of these jobs */
  message: string | null;
}

export type InsideAction =
  | { type: 'insideDigitChosen'; index: number }
  | { type: 'knobMoved'; unit: number; value: number }
  | { type: 'knobsReset' };

/** An inside transition's result. */
export interface InsideResult {
  inside: InsideState | null;
  /** job ids registered by this transition */
  jobs: Record<number, InsideOwner>;
  nextJobId: number;
  commands: Command[];
}

/** Sends the knob decode of `inside.code` if none is in flight, else marks the code pending. */
function decodeKnobs(inside: InsideState, runId: RunId, nextJobId: number): InsideResult {
  if (inside.knobJobId !== null) return { inside: { ...inside, knobPending: true }, jobs: {}, nextJobId, commands: [] };
  const jobId = nextJobId;
  return {
    inside: { ...inside, knobJobId: jobId, knobPending: false },
    jobs: { [jobId]: 'insideKnob' },
    nextJobId: nextJobId + 1,
    commands: [engine({ type: 'decode', jobId, runId, codes: inside.code.slice(), count: 1 })],
  };
}

/**
 * A UI action on the slice. `latent` is the latent space's current latents: a digit is chosen among them, and
 * the knobs act only while they are still the ones the digit came from.
 */
export function reduceInsideAction(inside: InsideState | null, latent: LatentJob | null, action: InsideAction, nextJobId: number): InsideResult {
  const unchanged: InsideResult = { inside, jobs: {}, nextJobId, commands: [] };
  if (!latent || latent.status !== 'done' || !latent.latents) return unchanged;
  switch (action.type) {
    case 'insideDigitChosen': {
      const d = latent.count > 0 ? latent.dim : 0;
      if (!Number.isInteger(action.index) || action.index < 0 || action.index >= latent.count || d === 0) return unchanged;
      const original = latent.latents.slice(action.index * d, (action.index + 1) * d);
      const [imageJobId, reconJobId, activationsJobId] = [nextJobId, nextJobId + 1, nextJobId + 2];
      const chosen: InsideState = {
        latentJobId: latent.jobId,
        runId: latent.runId,
        split: latent.split,
        index: action.index,
        original,
        code: original.slice(),
        imageJobId,
        image: null,
        reconJobId,
        recon: null,
        activationsJobId,
        activations: null,
        knobJobId: null,
        knobPending: false,
        changed: null,
        message: null,
      };
      return {
        inside: chosen,
        jobs: { [imageJobId]: 'insideImage', [reconJobId]: 'insideRecon', [activationsJobId]: 'insideActivations' },
        nextJobId: nextJobId + 3,
        commands: [
          engine({ type: 'images', jobId: imageJobId, split: latent.split, indices: Int32Array.of(action.index) }),
          engine({ type: 'decode', jobId: reconJobId, runId: latent.runId, codes: original.slice(), count: 1 }),
          engine({ type: 'activations', jobId: activationsJobId, runId: latent.runId, split: latent.split, index: action.index }),
        ],
      };
    }
    case 'knobMoved': {
      if (!inside || inside.latentJobId !== latent.jobId) return unchanged;
      const { unit, value } = action;
      if (!Number.isInteger(unit) || unit < 0 || unit >= inside.code.length || !Number.isFinite(value) || inside.code[unit] === value) return unchanged;
      const code = inside.code.slice();
      code[unit] = value;
      return decodeKnobs({ ...inside, code }, inside.runId, nextJobId);
    }
    case 'knobsReset': {
      if (!inside || inside.latentJobId !== latent.jobId) return unchanged;
      // Decoded like any other code (not copied from `recon`), so a decode still in flight cannot overwrite it.
      return decodeKnobs({ ...inside, code: inside.original.slice() }, inside.runId, nextJobId);
    }
    default: {
      const unreachable: never = action;
      return unreachable;
    }
  }
}

/** Engine events that answer an inside job. */
export type InsideJobEvent = Extract<EngineEvent, { type: 'decoded' | 'images' | 'activations' | 'jobEnded' }>;

/** An engine event for an inside job (found through the job registry); a job the slice no longer holds changes nothing. */
export function reduceInsideJobEvent(inside: InsideState | null, owner: InsideOwner, event: InsideJobEvent, nextJobId: number): InsideResult {
  const same = (next: InsideState | null): InsideResult => ({ inside: next, jobs: {}, nextJobId, commands: [] });
  if (!inside) return same(inside);
  const failed = event.type === 'jobEnded' ? event.message : null;
  switch (owner) {
    case 'insideImage':
      if (inside.imageJobId !== event.jobId) break;
      if (event.type === 'images') return same({ ...inside, image: event.images });
      break;
    case 'insideRecon':
      if (inside.reconJobId !== event.jobId) break;
      if (event.type === 'decoded') return same({ ...inside, recon: event.images });
      break;
    case 'insideActivations':
      if (inside.activationsJobId !== event.jobId) break;
      if (event.type === 'activations') return same({ ...inside, activations: event.layers });
      break;
    case 'insideKnob': {
      if (inside.knobJobId !== event.jobId) break;
      const settled: InsideState = {
        ...inside,
        knobJobId: null,
        changed: event.type === 'decoded' ? event.images : inside.changed,
        message: failed ?? inside.message,
      };
      // The code moved on while this decode ran: decode the latest one now.
      return settled.knobPending ? decodeKnobs(settled, inside.runId, nextJobId) : same(settled);
    }
    default: {
      const unreachable: never = owner;
      return unreachable;
    }
  }
  // A failed image, reconstruction or activations job says so; the rest stays.
  return same(failed !== null ? { ...inside, message: failed } : inside);
}

/** True for the inside slice's job owners. */
export function isInsideOwner(owner: string): owner is InsideOwner {
  return owner === 'insideImage' || owner === 'insideRecon' || owner === 'insideKnob' || owner === 'insideActivations';
}
