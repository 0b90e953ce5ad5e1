/**
 * 2-D t-SNE (van der Maaten & Hinton 2008) on flat typed arrays, with scikit-learn 1.2's
 * optimisation schedule and three ways to compute the repulsion: FFT-accelerated interpolation
 * with an exact near field (the default, ~O(n) per iteration; see tsneFft.ts), Barnes–Hut
 * (O(n log n), sptree.ts) and exact (O(n²), the reference in tests).
 *
 * Pipeline: k nearest neighbours (k = ⌊3·perplexity⌋ + 1, as scikit-learn; exact brute force up to
 * 20,000 points where WebAssembly SIMD runs, else 8,000; RP-forest + NN-descent above) → perplexity-calibrated conditional affinities →
 * symmetric sparse P → gradient descent with momentum and per-coordinate gains.
 *
 * Shape: `new Tsne(options)`, `initialize(data, n, d)` (or `initializeFromAffinities`), `step()` per
 * iteration, `embedding()`; `runTsne` drives it asynchronously with progress, frames and cancellation.
 */

import type { MapJobHooks } from './job';
import { approximateKnn, DEFAULT_APPROXIMATE_KNN_OPTIONS, exactKnn, EXACT_KNN_MAX_POINTS, type KnnGraph } from './knn';
import { mulberry32, type Rng } from './rng';
import { jointAffinities, type SparseAffinities } from './tsneAffinities';
import type { FftRepulsionOptions } from './tsneFft';
import { affinityPairs, klGradient, localityOrder, relabelAffinities, Repulsion, type RepulsionMethod } from './tsneGradient';
import { LocalAttraction, type AttractionFactory, type AttractionSource } from './tsne-attraction';
import { pcaInitialization, randomInitialization } from './tsneInit';
import { yieldToEventLoop } from './yield';

export { exactAffinities, exactKl, type ExactAffinities, type SparseAffinities } from './tsneAffinities';
export type { RepulsionMethod } from './tsneGradient';

/** Options of `Tsne` / `runTsne`. */
export interface TsneOptions {
  /** Effective number of neighbours each point's Gaussian is calibrated to. */
  perplexity: number;
  /** Gradient-descent step size (scikit-learn's learning_rate; "auto" would be n / 12 / 4). */
  learningRate: number;
  /** Total iterations, early exaggeration included. */
  iterations: number;
  /** Factor on P during the first `exaggerationIterations` iterations. */
  earlyExaggeration: number;
  /** Iterations run with exaggerated P. */
  exaggerationIterations: number;
  /** Momentum before `momentumSwitchIteration`. */
  initialMomentum: number;
  /** Momentum from `momentumSwitchIteration` on. */
  finalMomentum: number;
  /** First iteration with `finalMomentum`. */
  momentumSwitchIteration: number;
  /** Floor of the per-coordinate adaptive gains. */
  minGain: number;
  /** 'pca': leading principal axes scaled to σ = 1e-4 (scikit-learn ≥ 1.2); 'random': N(0, 1e-4²). */
  init: 'pca' | 'random';
  /** Seed of the default generator, used when `rng` is not given. */
  seed: number;
  /** Source of randomness (initialisation, approximate kNN); defaults to mulberry32(seed). */
  rng?: Rng;
  /** Repulsion: 'fft' (FIt-SNE interpolation), 'barnes-hut', or 'exact' (O(n²) reference). */
  method: RepulsionMethod;
  /** Barnes–Hut opening angle. */
  theta: number;
  /** Settings of the FFT interpolation (see tsneFft.ts). */
  fft: Partial<FftRepulsionOptions>;
  /** Neighbour search: 'auto' = exact up to `EXACT_KNN_MAX_POINTS` (20,000 with WebAssembly SIMD, else 8,000), approximate above. */
  knn: 'auto' | 'exact' | 'approximate';
}

/**
 * scikit-learn 1.2's TSNE settings as the reference used them: perplexity 15, learning rate 100,
 * 1,000 iterations, exaggeration 12 for 250 iterations, momentum 0.5 then 0.8, gains floored at
 * 0.01, PCA initialisation (its 1.2 default), Barnes–Hut θ = 0.5 if that method is chosen.
 */
export const DEFAULT_TSNE_OPTIONS: Readonly<TsneOptions> = {
  perplexity: 15,
  learningRate: 100,
  iterations: 1000,
  earlyExaggeration: 12,
  exaggerationIterations: 250,
  initialMomentum: 0.5,
  finalMomentum: 0.8,
  momentumSwitchIteration: 250,
  minGain: 0.01,
  init: 'pca',
  seed: 0,
  method: 'fft',
  theta: 0.5,
  fft: {},
  knn: 'auto',
};

/** Neighbours a perplexity asks for per point before any cap by the data's size: scikit-learn's ⌊3·perplexity + 1⌋. */
export function neighboursWanted(perplexity: number): number {
  return Math.floor(3 * perplexity + 1);
}

/** Neighbours per point for a perplexity: scikit-learn's min(n − 1, ⌊3·perplexity + 1⌋). */
export function neighboursForPerplexity(perplexity: number, n: number): number {
  return Math.min(n - 1, neighboursWanted(perplexity));
}

/** The kNN graph t-SNE uses for these options (exact or approximate per `options.knn`). */
export function tsneKnn(
  data: Float32Array,
  n: number,
  d: number,
  options: Readonly<TsneOptions>,
  rng: Rng,
  onProgress?: (fraction: number) => void,
): KnnGraph {
  const k = neighboursForPerplexity(options.perplexity, n);
  const exact = options.knn === 'exact' || (options.knn === 'auto' && n <= EXACT_KNN_MAX_POINTS);
  return exact
    ? exactKnn(data, n, d, k, onProgress)
    : approximateKnn(data, n, d, k, rng, DEFAULT_APPROXIMATE_KNN_OPTIONS, onProgress);
}

/** One t-SNE optimisation; see the module comment for the call sequence. */
export class Tsne {
  private readonly options: TsneOptions;
  private readonly rng: Rng;
  /** P in the internal point order (see `order`). */
  private P: SparseAffinities | null = null;
  /** The attractive pass for P (on this thread or a helper's; see tsne-attraction.ts). */
  private attraction: AttractionSource | null = null;
  /**
   * order[a]: the caller's index of the point stored a-th (null: the caller's order). All per-point
   * state (y, update, gains, grad) is kept in this order; `embedding` and `lastGradient` undo it.
   */
  private order: Int32Array | null = null;
  private y = new Float64Array(0);
  private update = new Float64Array(0);
  private gains = new Float64Array(0);
  private grad = new Float64Array(0);
  private attract = new Float64Array(0);
  private repel = new Float64Array(0);
  private repulsion: Repulsion;
  private iter = 0;
  private lastZ = NaN;

  /**
   * @param attractionOf where each step's attractive forces are computed (default: on this thread); the map is
   *   the same either way
   */
  constructor(
    options: Partial<TsneOptions> = {},
    private readonly attractionOf: AttractionFactory = (P) => new LocalAttraction(P),
  ) {
    this.options = { ...DEFAULT_TSNE_OPTIONS, ...options, fft: { ...DEFAULT_TSNE_OPTIONS.fft, ...options.fft } };
    const o = this.options;
    if (!(o.perplexity > 0)) throw new Error(`perplexity must be positive, got ${o.perplexity}`);
    if (!(o.learningRate > 0)) throw new Error(`learningRate must be positive, got ${o.learningRate}`);
    this.rng = o.rng ?? mulberry32(o.seed);
    this.repulsion = new Repulsion(o.method, o.theta, o.fft);
  }

  /** Iterations done so far. */
  get iteration(): number {
    return this.iter;
  }

  /** Number of points (0 before initialisation). */
  get n(): number {
    return this.P ? this.P.n : 0;
  }

  /** True once `options.iterations` steps have run. */
  get done(): boolean {
    return this.iter >= this.options.iterations;
  }

  /** The normaliser Z = Σ_{i≠j} 1/(1 + ‖y_i − y_j‖²) of the last step (NaN before the first). */
  get normaliser(): number {
    return this.lastZ;
  }

  /**
   * Neighbours, affinities and initial map for `data` (n × d row-major Float32). Synchronous; at
   * 60,000 points the neighbour search alone takes tens of seconds — `runTsne` reports its phases.
   */
  initialize(data: Float32Array, n: number, d: number): void {
    if (n < 2) throw new Error('t-SNE needs at least two points');
    if (data.length < n * d) throw new Error(`data holds ${data.length} values, fewer than n·d = ${n * d}`);
    const graph = tsneKnn(data, n, d, this.options, this.rng);
    const P = jointAffinities(graph, this.options.perplexity);
    this.initializeFromAffinities(P, this.initialEmbedding(data, n, d));
  }

  /** The initial map the options ask for (n × 2 row-major). */
  initialEmbedding(data: Float32Array, n: number, d: number): Float64Array {
    return this.options.init === 'pca' ? pcaInitialization(data, n, d, this.rng) : randomInitialization(n, this.rng);
  }

  /** Start from given affinities and initial map (n × 2 row-major); resets the iteration count. */
  initializeFromAffinities(P: SparseAffinities, initial: Float32Array | Float64Array): void {
    const n = P.n;
    if (initial.length !== 2 * n) throw new Error(`initial embedding must hold 2·n = ${2 * n} values, got ${initial.length}`);
    // Neighbours in P stored close together: the attractive pass gathers and scatters them every
    // iteration. Only a symmetric P is relabelled and run as pairs (a relabelled P is symmetric
    // exactly when P is); any other P runs as given.
    const locality = localityOrder(P);
    const relabelledP = relabelAffinities(P, locality);
    const order = affinityPairs(relabelledP) ? locality : null;
    this.P = order ? relabelledP : P;
    this.attraction?.dispose();
    this.attraction = this.attractionOf(this.P);
    this.order = order;
    this.y = new Float64Array(2 * n);
    for (let a = 0; a < n; a++) {
      const i = order ? order[a] : a;
      this.y[2 * a] = initial[2 * i];
      this.y[2 * a + 1] = initial[2 * i + 1];
    }
    this.update = new Float64Array(2 * n);
    this.gains = new Float64Array(2 * n).fill(1);
    this.grad = new Float64Array(2 * n);
    this.attract = new Float64Array(2 * n);
    this.repel = new Float64Array(2 * n);
    this.iter = 0;
  }

  /** One gradient-descent iteration. */
  step(): void {
    const P = this.P;
    if (!P) throw new Error('Tsne.step() before initialize()');
    const o = this.options;
    const it = this.iter;
    if (it === o.exaggerationIterations && it > 0) {
      // scikit-learn runs the two phases as separate descents, each starting with zero velocity and unit gains.
      this.update.fill(0);
      this.gains.fill(1);
    }
    const exaggeration = it < o.exaggerationIterations ? o.earlyExaggeration : 1;
    const momentum = it < o.momentumSwitchIteration ? o.initialMomentum : o.finalMomentum;
    const { y, update, gains, grad } = this;
    this.lastZ = klGradient(P, y, exaggeration, this.repulsion, grad, this.attract, this.repel, this.attraction);
    const lr = o.learningRate;
    const minGain = o.minGain;
    for (let e = 0; e < y.length; e++) {
      const g = grad[e];
      const u = update[e];
      // scikit-learn's gains: grow while the gradient keeps its sign (the last update, which went
      // against it, then has the opposite sign), shrink when it flips.
      let gain = u * g < 0 ? gains[e] + 0.2 : gains[e] * 0.8;
      if (gain < minGain) gain = minGain;
      gains[e] = gain;
      const next = momentum * u - lr * gain * g;
      update[e] = next;
      y[e] += next;
    }
    this.iter = it + 1;
  }

  /** Releases the attraction source (a helper thread, if any); the map stays readable. */
  dispose(): void {
    this.attraction?.dispose();
    this.attraction = null;
  }

  /** The current map, n × 2 row-major (a copy, in the caller's point order). */
  embedding(): Float32Array {
    return this.inCallerOrder(this.y, new Float32Array(this.y.length));
  }

  /** The gradient of the last step, n × 2 row-major (a copy, in the caller's order; for diagnostics and tests). */
  lastGradient(): Float64Array {
    return this.inCallerOrder(this.grad, new Float64Array(this.grad.length));
  }

  private inCallerOrder<T extends Float32Array | Float64Array>(internal: Float64Array, out: T): T {
    const order = this.order;
    if (!order) {
      out.set(internal);
      return out;
    }
    for (let a = 0; a < order.length; a++) {
      const i = order[a];
      out[2 * i] = internal[2 * a];
      out[2 * i + 1] = internal[2 * a + 1];
    }
    return out;
  }
}

/** Phases reported by `runTsne`. */
export type TsnePhase = 'knn' | 'affinities' | 'optimise';

/** A progress report: phase, iterations done (0 before optimisation), and fraction of the phase done. */
export interface TsneProgress {
  phase: TsnePhase;
  iteration: number;
  fraction: number;
}

/** Callbacks and pacing of `runTsne` (frames every 10 iterations by default). */
export type TsneRunCallbacks = MapJobHooks<TsneProgress>;

/** What `runTsne` returns. */
export interface TsneResult {
  /** The final map, n × 2 row-major. */
  embedding: Float32Array;
  /** Iterations run. */
  iterations: number;
  /** Whether `shouldStop` ended the run early. */
  stopped: boolean;
}

/**
 * Run t-SNE on `data` (n × d row-major) to completion or until `shouldStop()`, yielding to the event
 * loop between chunks of about `chunkMs` of work (a timer per iteration would cost ≥ 4 ms each in
 * browsers). The neighbour search is one synchronous chunk. `attractionOf` says where the attractive forces
 * are computed (see tsne-attraction.ts); whatever it starts is released when the run ends, however it ends.
 */
export async function runTsne(
  data: Float32Array,
  n: number,
  d: number,
  options: Partial<TsneOptions> = {},
  callbacks: TsneRunCallbacks = {},
  attractionOf?: AttractionFactory,
): Promise<TsneResult> {
  const merged: TsneOptions = { ...DEFAULT_TSNE_OPTIONS, ...options, fft: { ...options.fft } };
  const rng = merged.rng ?? mulberry32(merged.seed);
  const tsne = new Tsne({ ...merged, rng }, attractionOf);
  try {
    return await optimise(tsne, data, n, d, merged, rng, callbacks);
  } finally {
    tsne.dispose();
  }
}

/** The body of `runTsne`: neighbours, affinities, then the iterations in chunks. */
async function optimise(
  tsne: Tsne,
  data: Float32Array,
  n: number,
  d: number,
  merged: TsneOptions,
  rng: Rng,
  callbacks: TsneRunCallbacks,
): Promise<TsneResult> {
  const { onProgress, onFrame, shouldStop } = callbacks;
  const frameEvery = Math.max(1, Math.floor(callbacks.frameEvery ?? 10));
  const chunkMs = callbacks.chunkMs ?? 30;
  if (n < 2) throw new Error('t-SNE needs at least two points');
  if (data.length < n * d) throw new Error(`data holds ${data.length} values, fewer than n·d = ${n * d}`);

  onProgress?.({ phase: 'knn', iteration: 0, fraction: 0 });
  await yieldToEventLoop();
  const graph = tsneKnn(data, n, d, merged, rng, (fraction) => onProgress?.({ phase: 'knn', iteration: 0, fraction }));
  if (shouldStop?.()) return { embedding: new Float32Array(2 * n), iterations: 0, stopped: true };
  onProgress?.({ phase: 'affinities', iteration: 0, fraction: 0 });
  await yieldToEventLoop();
  const P = jointAffinities(graph, merged.perplexity);
  tsne.initializeFromAffinities(P, tsne.initialEmbedding(data, n, d));
  onProgress?.({ phase: 'affinities', iteration: 0, fraction: 1 });

  let stopped = false;
  while (!tsne.done) {
    await yieldToEventLoop();
    if (shouldStop?.()) {
      stopped = true;
      break;
    }
    const t0 = Date.now();
    do {
      tsne.step();
      if (onFrame && tsne.iteration % frameEvery === 0) onFrame(tsne.embedding(), tsne.iteration);
    } while (!tsne.done && Date.now() - t0 < chunkMs);
    onProgress?.({ phase: 'optimise', iteration: tsne.iteration, fraction: tsne.iteration / merged.iterations });
  }
  const embedding = tsne.embedding();
  if (onFrame && tsne.iteration % frameEvery !== 0) onFrame(embedding.slice(), tsne.iteration);
  return { embedding, iterations: tsne.iteration, stopped };
}
