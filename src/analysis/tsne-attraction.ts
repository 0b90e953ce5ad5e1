/**
 * The attractive half of the t-SNE gradient on a second thread, while the first computes the repulsion.
 *
 * Why this split: per iteration the attraction (a sparse pass over P) and the repulsion (grid, FFT, near field)
 * are independent and of similar size — at 60,000 points ~12 s and ~15 s of the 1,000 iterations on one core —
 * so running them side by side uses a second core with one hand-off per iteration and no change to either
 * computation. The forces are the same function of the same inputs on either thread, so a threaded run gives
 * bit-for-bit the same map as a single-threaded one.
 *
 * Protocol (all in shared memory; no messages per iteration): the t-SNE thread copies the map into `y`, bumps
 * `REQUEST` and notifies; the helper, waiting on `REQUEST`, computes into `forces`, stores the request number in
 * `DONE` and notifies; the t-SNE thread waits on `DONE`. Atomics order the plain reads and writes around them.
 * Until the helper has said `READY` (its module loads asynchronously), and if it ever stops answering, the t-SNE
 * thread computes the forces itself: a run never waits on a helper that is not there.
 */
import { Attraction } from './tsneGradient';
import type { SparseAffinities } from './tsneAffinities';

/** Computes the attractive forces of one gradient step, perhaps elsewhere while the caller does other work. */
export interface AttractionSource {
  /** Starts Σ_j p_ij·w_ij·(y_i − y_j) for the map `y` (n × 2 row-major); `y` may change once this returns. */
  begin(y: Float64Array): void;
  /** The forces of the last `begin`, into `out` (n × 2). */
  end(out: Float64Array): void;
  /** Releases the helper, if any. Idempotent. */
  dispose(): void;
}

/** Makes the attraction source of a run from its affinities. */
export type AttractionFactory = (P: SparseAffinities) => AttractionSource;

/** The forces computed on the calling thread, in `end`, by the fastest kernel P allows (`Attraction`). */
export class LocalAttraction implements AttractionSource {
  private y: Float64Array | null = null;
  /** Built on first use: a SharedAttraction whose helper answers from the start never needs it. */
  private kernel: Attraction | null = null;

  constructor(private readonly P: SparseAffinities) {}

  begin(y: Float64Array): void {
    this.y = y;
  }

  end(out: Float64Array): void {
    if (!this.y) throw new Error('LocalAttraction.end() before begin()');
    this.kernel ??= new Attraction(this.P);
    this.kernel.compute(this.y, out);
  }

  dispose(): void {
    this.y = null;
  }
}

/** Int32 slots of the control block. */
const READY = 0;
const REQUEST = 1;
const DONE = 2;
const CONTROL_SLOTS = 4;
/** `REQUEST` value that tells the helper to leave its loop. */
const STOP = -1;

/** Everything both threads share for one t-SNE run; posted to the helper once, at the start. */
export interface SharedAttractionMemory {
  control: Int32Array;
  n: number;
  rowPtr: Int32Array;
  columns: Int32Array;
  values: Float64Array;
  y: Float64Array;
  forces: Float64Array;
}

/** True where threads can share memory (a cross-origin-isolated page, or Node). */
export function canShareMemory(): boolean {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return typeof SharedArrayBuffer !== 'undefined' && typeof Atomics !== 'undefined' && isolated !== false;
}

function sharedCopy<T extends Int32Array | Float64Array>(source: T, make: (buffer: SharedArrayBuffer) => T): T {
  const copy = make(new SharedArrayBuffer(source.byteLength));
  copy.set(source);
  return copy;
}

/** P copied into shared memory, plus the map, force and control buffers of one run. */
export function sharedAttractionMemory(P: SparseAffinities): SharedAttractionMemory {
  const n = P.n;
  return {
    control: new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4)),
    n,
    rowPtr: sharedCopy(P.rowPtr, (b) => new Int32Array(b)),
    columns: sharedCopy(P.columns, (b) => new Int32Array(b)),
    values: sharedCopy(P.values, (b) => new Float64Array(b)),
    y: new Float64Array(new SharedArrayBuffer(2 * n * 8)),
    forces: new Float64Array(new SharedArrayBuffer(2 * n * 8)),
  };
}

/**
 * The t-SNE thread's side: hands each step's attraction to the helper that serves `memory` (see
 * {@link serveAttraction}) once it is ready, else computes it locally.
 */
export class SharedAttraction implements AttractionSource {
  private readonly local: LocalAttraction;
  private request = 0;
  /** Whether the step in flight went to the helper. */
  private delegated = false;
  /** Set when the helper missed a deadline: from then on everything is local. */
  private helperLost = false;
  private disposed = false;

  /**
   * @param memory from {@link sharedAttractionMemory}, already posted to the helper
   * @param timeoutMs how long `end` waits for the helper before it stops counting on it
   * @param onRelease called once by `dispose` (e.g. to tell the helper's owner the run is over)
   */
  constructor(
    private readonly memory: SharedAttractionMemory,
    private readonly timeoutMs = 10_000,
    private readonly onRelease?: () => void,
  ) {
    this.local = new LocalAttraction({ n: memory.n, rowPtr: memory.rowPtr, columns: memory.columns, values: memory.values });
  }

  /** Whether the next step goes to the helper: it said READY, has not missed a deadline, and the run is on. */
  get helperActive(): boolean {
    return !this.helperLost && !this.disposed && Atomics.load(this.memory.control, READY) === 1;
  }

  begin(y: Float64Array): void {
    this.delegated = this.helperActive;
    if (!this.delegated) {
      this.local.begin(y);
      return;
    }
    const { control } = this.memory;
    this.memory.y.set(y);
    this.request += 1;
    Atomics.store(control, REQUEST, this.request);
    Atomics.notify(control, REQUEST);
    // Kept for the fallback in `end`, should the helper not answer.
    this.local.begin(y);
  }

  end(out: Float64Array): void {
    if (!this.delegated) {
      this.local.end(out);
      return;
    }
    const { control } = this.memory;
    const deadline = performance.now() + this.timeoutMs;
    let done = Atomics.load(control, DONE);
    while (done !== this.request) {
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(control, DONE, done, left) === 'timed-out') {
        this.helperLost = true;
        this.local.end(out);
        return;
      }
      done = Atomics.load(control, DONE);
    }
    out.set(this.memory.forces);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.memory.control, REQUEST, STOP);
    Atomics.notify(this.memory.control, REQUEST);
    this.onRelease?.();
  }
}

/**
 * The helper's side, run by a worker that received `memory`: says READY, then answers requests until the t-SNE
 * thread stops the run. Blocks its thread throughout (Atomics.wait), as a dedicated helper may.
 * @returns the number of requests served
 */
export function serveAttraction(memory: SharedAttractionMemory): number {
  const { control, n, rowPtr, columns, values, y, forces } = memory;
  const attraction = new Attraction({ n, rowPtr, columns, values });
  Atomics.store(control, READY, 1);
  let served = 0;
  let seen = 0;
  for (;;) {
    Atomics.wait(control, REQUEST, seen);
    const request = Atomics.load(control, REQUEST);
    if (request === STOP) return served;
    if (request === seen) continue;
    seen = request;
    attraction.compute(y, forces);
    served++;
    Atomics.store(control, DONE, request);
    Atomics.notify(control, DONE);
  }
}

/**
 * Serves at most one pending request without blocking (for tests on one thread, where the helper cannot wait).
 * @returns true when a request was answered
 */
export function serveOnePending(memory: SharedAttractionMemory): boolean {
  const { control, n, rowPtr, columns, values, y, forces } = memory;
  Atomics.store(control, READY, 1);
  const request = Atomics.load(control, REQUEST);
  if (request === STOP || request === Atomics.load(control, DONE)) return false;
  new Attraction({ n, rowPtr, columns, values }).compute(y, forces);
  Atomics.store(control, DONE, request);
  Atomics.notify(control, DONE);
  return true;
}
