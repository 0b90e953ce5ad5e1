/**
 * A second thread for latent vectors on the CPU. The sparse kernel (./sparse-encoder) runs on one thread; on
 * a 2-core machine the other core idles while it does (tfjs's XNNPACK threads have nothing to do). The engine
 * worker starts a helper worker (../worker/latents.worker) that loads the same encoder plan and encodes every
 * other batch, so two batches are encoded at a time. The codes are the same as on one thread, bit for bit:
 * each batch is computed by the same kernel on the same weights.
 *
 * Both ends talk through a port (a Worker, or a MessageChannel port in tests): `LatentHelper` on the engine's
 * side, `serveLatents` on the helper's.
 */
import type { LatentHelperEvent, LatentHelperRequest } from '../worker/protocol';
import { type EncoderPlan, SparseEncoder } from './sparse-encoder';

/** What both a Worker and a MessagePort offer (a Worker also reports a script that fails). */
export interface Port {
  postMessage(message: unknown, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror?: ((event: ErrorEvent) => void) | null;
}

/** The engine's side: sends a plan, then batches; each `encode` resolves to that batch's codes. */
export class LatentHelper {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(codes: Float32Array): void; reject(error: Error): void }>();
  /** Set once the helper's script failed: every later `encode` rejects at once. */
  private broken: Error | null = null;
  /** Image buffers the helper gave back, reused for later batches. */
  private readonly spare: ArrayBuffer[] = [];
  /** Whether a job holds the helper (between `acquire` and `release`). */
  private held = false;

  constructor(private readonly port: Port) {
    if ('onerror' in port) {
      port.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        this.broken = new Error('the latents helper thread failed');
        for (const waiter of this.pending.values()) waiter.reject(this.broken);
        this.pending.clear();
      };
    }
    port.onmessage = (event: MessageEvent<LatentHelperEvent>) => {
      const reply = event.data;
      if (reply.images) this.spare.push(reply.images.buffer as ArrayBuffer);
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.type === 'codes') waiter.resolve(reply.codes);
      else waiter.reject(new Error(reply.message));
    };
  }

  private send(message: LatentHelperRequest, transfer: Transferable[] = []): void {
    this.port.postMessage(message, transfer);
  }

  /** Loads `plan` (replacing any earlier plan). */
  load(plan: EncoderPlan): void {
    this.send({ type: 'load', plan });
  }

  /** The codes of `count` images (a copy of them is sent, in a buffer the helper gives back; `images` stays the caller's). */
  encode(images: Float32Array, count: number): Promise<Float32Array> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    const at = this.spare.findIndex((buffer) => buffer.byteLength === images.byteLength);
    const copy = at >= 0 ? new Float32Array(this.spare.splice(at, 1)[0]) : new Float32Array(images.length);
    copy.set(images);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ type: 'encode', id, images: copy, count }, [copy.buffer]);
    });
  }

  /** Marks the helper as not to be used again (it failed or missed a deadline): later `encode`s reject at once. */
  giveUp(reason: Error): void {
    this.broken ??= reason;
  }

  /** Takes the helper for one job; false while another job holds it (its plan is loaded there). */
  acquire(): boolean {
    if (this.held || this.broken) return false;
    this.held = true;
    return true;
  }

  /** Ends the job: the helper drops the plan (it keeps the kernel memory for a next `load` of the same shapes). */
  release(): void {
    this.held = false;
    this.send({ type: 'release' });
  }
}

/** The helper's side: answers `load`, `encode` and `release` on `port` until the thread ends. */
export function serveLatents(port: Port): void {
  let runner: SparseEncoder | null = null;
  let spare: SparseEncoder | null = null;
  let problem = 'no encoder plan is loaded';
  const reply = (event: LatentHelperEvent, transfer: Transferable[] = []) => port.postMessage(event, transfer);
  port.onmessage = (event: MessageEvent<LatentHelperRequest>) => {
    const request = event.data;
    switch (request.type) {
      case 'load':
        runner = SparseEncoder.reuse(runner ?? spare, request.plan);
        spare = null;
        problem = runner ? '' : 'WebAssembly SIMD is unavailable on the helper thread';
        return;
      case 'release':
        // The kernel memory stays for the next job's `load` (reused when the shapes match), but no batch
        // may run on a released plan.
        spare = runner ?? spare;
        runner = null;
        problem = 'no encoder plan is loaded';
        return;
      case 'encode': {
        const { id, images } = request;
        if (!runner) {
          reply({ type: 'failed', id, message: problem, images }, [images.buffer]);
          return;
        }
        try {
          const codes = new Float32Array(request.count * runner.plan.codeSize);
          runner.encode(images, request.count, codes);
          reply({ type: 'codes', id, codes, images }, [codes.buffer, images.buffer]);
        } catch (error) {
          reply({ type: 'failed', id, message: error instanceof Error ? error.message : String(error), images }, [images.buffer]);
        }
        return;
      }
      default: {
        const unknown: never = request;
        throw new Error(`latents helper: unknown request ${JSON.stringify(unknown)}`);
      }
    }
  };
}
