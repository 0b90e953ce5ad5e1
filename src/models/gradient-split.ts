/**
 * A layer's weight gradient dW = xᵀ·dz shared between the training thread and one helper thread.
 *
 * Why: tfjs-backend-wasm runs its products (XNNPACK) on all cores, but this project's weight-gradient kernel
 * (./wasm/weight-gradient-simd) ran on the training thread alone, so the second core idled for about a quarter of a
 * CNN training step (16.7–17.4 ms of ~62 at batch 256, CNN · ReLU in Chromium on this 2-core machine). dW splits into blocks of whole tiles that read the same operands and write disjoint
 * parts of dW; each block sums its entries exactly as a single call would, so a split gradient is bit for bit
 * the unsplit one, whoever computes which block.
 *
 * Protocol (an Int32Array on a SharedArrayBuffer; no messages per call): the training thread writes the job and
 * its blocks, resets `DONE`, opens the claims for the job's generation in `CLAIM` and bumps `GEN`, waking the
 * helper. Both threads then take blocks by compare-and-swap on `CLAIM` (generation in the high bits, next block
 * in the low ones), compute them and count them in `DONE`; the training thread returns once `DONE` has every
 * block. A helper that wakes late finds the blocks taken and goes back to sleep; a claim of an old generation
 * fails, so a job's parameters are read only after a block of it was claimed, and they cannot change until that
 * block is done. Until the helper says `READY`, and after it once missed a deadline, the training thread
 * computes every block itself: a step never waits on a helper that is not there.
 */

/** One block of dW: rows k0 ≤ a < k1 (multiples of 4), columns n0 ≤ b < n1 (multiples of 8). */
export interface GradientBlock {
  k0: number;
  k1: number;
  n0: number;
  n1: number;
}

/** A weight gradient to compute: shapes and byte addresses in the memory both threads share. */
export interface GradientJob {
  rows: number;
  k: number;
  n: number;
  x: number;
  dz: number;
  dw: number;
}

/** Computes one block of a job (the weight-gradient kernel, on whichever thread calls it). */
export type BlockKernel = (job: GradientJob, block: GradientBlock) => void;

/** Tile sizes of the kernel: dW rows come in fours, columns in eights. */
const TILE_ROWS = 4;
const TILE_COLS = 8;

/** The most blocks one job is cut into. */
export const MAX_BLOCKS = 8;

/**
 * `parts` blocks of about equal size covering dW [k, n] (k a multiple of 4, n of 8), cut along the dimension with
 * more tiles: a cut along k makes every block read all of dz, one along n all of x, so the narrower operand is the
 * one read twice. Fewer blocks when there are fewer tiles; one block when `parts` ≤ 1.
 */
export function gradientBlocks(k: number, n: number, parts: number): GradientBlock[] {
  const rowTiles = Math.floor(k / TILE_ROWS);
  const colTiles = Math.floor(n / TILE_COLS);
  const alongK = rowTiles >= colTiles;
  const tiles = alongK ? rowTiles : colTiles;
  const count = Math.max(1, Math.min(MAX_BLOCKS, Math.floor(parts), tiles));
  const blocks: GradientBlock[] = [];
  for (let p = 0; p < count; p++) {
    const from = Math.floor((p * tiles) / count);
    const to = Math.floor(((p + 1) * tiles) / count);
    blocks.push(alongK ? { k0: from * TILE_ROWS, k1: to * TILE_ROWS, n0: 0, n1: n } : { k0: 0, k1: k, n0: from * TILE_COLS, n1: to * TILE_COLS });
  }
  return blocks;
}

/** Int32 slots of the control block. */
const READY = 0;
const GEN = 1;
const CLAIM = 2;
const DONE = 3;
const JOB = 4; // rows, k, n, x, dz, dw, block count
const JOB_SLOTS = 7;
const BLOCK_TABLE = JOB + JOB_SLOTS; // four slots per block
const CONTROL_SLOTS = BLOCK_TABLE + 4 * MAX_BLOCKS;
/** `GEN` value that tells the helper to leave its loop. */
const STOP = -1;
/** Claims carry the generation in the bits above these (block indices are < 256). */
const CLAIM_INDEX_BITS = 8;
const GENERATIONS = 1 << 16;
/** `CLAIM` between jobs: matches no generation. */
const CLOSED = -1;

/** The control block both threads share; posted to the helper once. */
export function gradientControl(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
}

/** The job whose block was just claimed (its parameters cannot change until that block is done). */
function readJob(control: Int32Array): { job: GradientJob; count: number } {
  const at = (i: number) => Atomics.load(control, JOB + i);
  return { job: { rows: at(0), k: at(1), n: at(2), x: at(3), dz: at(4), dw: at(5) }, count: at(6) };
}

function readBlock(control: Int32Array, index: number): GradientBlock {
  const at = (i: number) => Atomics.load(control, BLOCK_TABLE + 4 * index + i);
  return { k0: at(0), k1: at(1), n0: at(2), n1: at(3) };
}

/**
 * Takes the next block of job `generation`, or returns null when all are taken or the job is over. A job's
 * claims close (`CLAIM` = {@link CLOSED}) before the next job's parameters are written, so a successful
 * compare-and-swap proves that the block count read before it, and the parameters read after it, are this job's.
 */
function claim(control: Int32Array, generation: number): number | null {
  for (;;) {
    const value = Atomics.load(control, CLAIM);
    if (value === CLOSED || value >>> CLAIM_INDEX_BITS !== generation) return null;
    const index = value & ((1 << CLAIM_INDEX_BITS) - 1);
    if (index >= Atomics.load(control, JOB + 6)) return null;
    if (Atomics.compareExchange(control, CLAIM, value, value + 1) === value) return index;
  }
}

/**
 * Claims and computes blocks of `generation` until none is left or `limit` are done; returns how many it computed,
 * marking their indices in `mine` when given.
 */
function computeClaimed(control: Int32Array, generation: number, kernel: BlockKernel, mine?: boolean[], limit = MAX_BLOCKS): number {
  let computed = 0;
  while (computed < limit) {
    const index = claim(control, generation);
    if (index === null) return computed;
    kernel(readJob(control).job, readBlock(control, index));
    if (mine) mine[index] = true;
    computed++;
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  }
  return computed;
}

/** What one {@link GradientSplitter.run} did: blocks computed here and by the helper. */
export interface SplitReport {
  here: number;
  helper: number;
}

/** The training thread's side of the protocol. */
export class GradientSplitter {
  private generation = 0;
  /** Set when the helper missed a deadline: from then on every block is computed here. */
  private helperLost = false;
  private stopped = false;

  /**
   * @param control from {@link gradientControl}, already posted to the helper
   * @param timeoutMs how long a job waits for the helper's blocks before it stops counting on it
   */
  constructor(
    readonly control: Int32Array,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Whether jobs go to the helper too: it said READY, never missed a deadline, and was not stopped. */
  get helperActive(): boolean {
    return !this.helperLost && !this.stopped && Atomics.load(this.control, READY) === 1;
  }

  /**
   * Computes `job` in `blocks` (from {@link gradientBlocks}), sharing them with the helper when it is active;
   * returns once every block is done.
   */
  run(job: GradientJob, blocks: readonly GradientBlock[], kernel: BlockKernel): SplitReport {
    if (blocks.length > MAX_BLOCKS) throw new RangeError(`gradient split: ${blocks.length} blocks, at most ${MAX_BLOCKS}`);
    if (!this.helperActive || blocks.length < 2) {
      for (const block of blocks) kernel(job, block);
      return { here: blocks.length, helper: 0 };
    }
    this.post(job, blocks);
    const mine = blocks.map(() => false);
    const here = computeClaimed(this.control, this.generation, kernel, mine);
    if (!this.awaitBlocks(blocks.length)) {
      // The helper took a block and did not finish it in time: compute its blocks here, and stop counting on it.
      this.helperLost = true;
      blocks.forEach((block, i) => {
        if (!mine[i]) kernel(job, block);
      });
      return { here: blocks.length, helper: 0 };
    }
    return { here, helper: blocks.length - here };
  }

  /** Tells the helper to leave its loop (its worker may then be terminated). Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.control, GEN, STOP);
    Atomics.notify(this.control, GEN);
  }

  /** Closes the claims, publishes the job, then opens its claims and wakes the helper (see {@link claim}). */
  private post(job: GradientJob, blocks: readonly GradientBlock[]): void {
    const { control } = this;
    Atomics.store(control, CLAIM, CLOSED);
    this.generation = (this.generation + 1) % GENERATIONS;
    [job.rows, job.k, job.n, job.x, job.dz, job.dw, blocks.length].forEach((v, i) => Atomics.store(control, JOB + i, v));
    blocks.forEach((b, i) => [b.k0, b.k1, b.n0, b.n1].forEach((v, j) => Atomics.store(control, BLOCK_TABLE + 4 * i + j, v)));
    Atomics.store(control, DONE, 0);
    Atomics.store(control, CLAIM, this.generation << CLAIM_INDEX_BITS);
    Atomics.store(control, GEN, this.generation);
    Atomics.notify(control, GEN);
  }

  /** Waits until `count` blocks are done; false when the deadline passed first. */
  private awaitBlocks(count: number): boolean {
    const { control } = this;
    const deadline = performance.now() + this.timeoutMs;
    let done = Atomics.load(control, DONE);
    while (done < count) {
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(control, DONE, done, left) === 'timed-out') return false;
      done = Atomics.load(control, DONE);
    }
    return true;
  }
}

/**
 * The helper's side, run by a worker that received `control`: says READY, then computes the blocks it can claim
 * of every job until the training thread stops it. Blocks its thread throughout (Atomics.wait), as a dedicated
 * helper may.
 * @returns the number of blocks it computed
 */
export function serveGradients(control: Int32Array, kernel: BlockKernel): number {
  Atomics.store(control, READY, 1);
  // A job posted before this thread said READY was computed without it; the next one wakes it.
  let seen = Atomics.load(control, GEN);
  let computed = 0;
  while (seen !== STOP) {
    Atomics.wait(control, GEN, seen);
    const generation = Atomics.load(control, GEN);
    if (generation === seen) continue;
    seen = generation;
    if (generation !== STOP) computed += computeClaimed(control, generation, kernel);
  }
  return computed;
}

/**
 * Serves the pending job's blocks without blocking, at most `limit` of them (for tests on one thread, where the
 * helper cannot wait). Says READY first.
 * @returns the number of blocks computed
 */
export function servePending(control: Int32Array, kernel: BlockKernel, limit = MAX_BLOCKS): number {
  Atomics.store(control, READY, 1);
  const generation = Atomics.load(control, GEN);
  return generation === STOP ? 0 : computeClaimed(control, generation, kernel, undefined, limit);
}

/** Marks the helper ready without serving (for tests of a helper that said READY and then never answers). */
export function markHelperReady(control: Int32Array): void {
  Atomics.store(control, READY, 1);
}
