/**
 * The encoder half of a trained autoencoder run on the CPU without tfjs: each layer is one call of the
 * sparse-input kernel (./wasm/sparse-affine-simd), which skips the zero inputs that make up ~81% of MNIST's
 * pixels and about half of every ReLU layer's outputs. Latent vectors of many images are the one large
 * inference job, and on the WASM backend this does it in about a third of tfjs's time on the same thread
 * (tfjs's dense matmuls multiply every zero). Results equal tfjs's up to the order of float32 additions.
 *
 * A plan (./encoder-plan) is made from the encoder's own layers, so weights are read from the model as
 * trained. This module needs no tfjs: the latents helper thread (../worker/latents.worker) runs it alone.
 */
import type { MatmulActivation } from './matmul-layer';
import { listFloats, type Region, type RowGeometry, SparseAffineSimd } from './wasm/sparse-affine-simd';

/** One layer of a plan: an affine map on rows of `k` inputs read through `geometry`, `n` outputs (padded to 4). */
export interface PlanLayer {
  readonly geometry: RowGeometry;
  readonly k: number;
  /** Outputs per row as stored: `units` rounded up to a multiple of 4 (padded with zero weights). */
  readonly n: number;
  readonly units: number;
  /** k × n row-major. */
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  readonly activation: MatmulActivation;
}

/** The layers of an encoder as the kernel runs them, and the size of its input and code. */
export interface EncoderPlan {
  /** Floats per input image. */
  readonly inputSize: number;
  readonly layers: readonly PlanLayer[];
  /** Numbers per latent vector (the last layer's units). */
  readonly codeSize: number;
}

/** Applies a non-ReLU activation in place to the first `units` of every row (`stride` floats apart). */
function activate(values: Float32Array, rows: number, units: number, stride: number, activation: MatmulActivation): void {
  if (activation === 'linear' || activation === 'relu') return;
  for (let r = 0; r < rows; r++) {
    for (let j = r * stride, end = j + units; j < end; j++) {
      const v = values[j];
      values[j] = activation === 'elu' ? (v > 0 ? v : Math.expm1(v)) : 1 / (1 + Math.exp(-v));
    }
  }
}

/** Bytes of kernel memory a runner for `plan` with batches of `batch` images uses. */
function memoryBytes(plan: EncoderPlan, batch: number): number {
  let floats = batch * plan.inputSize;
  let maxK = 0;
  for (const l of plan.layers) {
    floats += l.weights.length + l.bias.length + batch * l.geometry.rowsPerImage * l.n;
    maxK = Math.max(maxK, l.k);
  }
  floats += listFloats(maxK);
  // Each region rounds up to 16 bytes.
  return 4 * floats + 16 * (2 * plan.layers.length + 3);
}

/**
 * Images per pass through the layers: every layer's output for them stays in the core's cache for the next
 * layer (a CNN's first convolution makes 25 KB of activations per image), and the kernel memory stays small.
 */
export const SPARSE_BATCH = 256;

/** A plan loaded into one kernel instance, encoding {@link SPARSE_BATCH} images (or `batch`) per pass. */
/** Whether two layers have the same shapes (so one's kernel memory can hold the other's weights). */
function sameShape(a: PlanLayer, b: PlanLayer): boolean {
  return a.k === b.k && a.n === b.n && a.units === b.units && JSON.stringify(a.geometry) === JSON.stringify(b.geometry);
}

export class SparseEncoder {
  private readonly input: Region;
  private readonly layers: { plan: PlanLayer; weights: Region; bias: Region; out: Region }[];
  private readonly list: Region;

  private constructor(
    private readonly kernel: SparseAffineSimd,
    private current: EncoderPlan,
    readonly batch: number,
  ) {
    this.input = kernel.region(batch * current.inputSize);
    this.layers = current.layers.map((l) => ({
      plan: l,
      weights: kernel.region(l.weights.length),
      bias: kernel.region(l.bias.length),
      out: kernel.region(batch * l.geometry.rowsPerImage * l.n),
    }));
    this.list = kernel.region(listFloats(Math.max(...current.layers.map((l) => l.k))));
    this.load(current);
  }

  /** A runner for `plan`, or null where WebAssembly SIMD is unavailable. */
  static create(plan: EncoderPlan, batch = SPARSE_BATCH): SparseEncoder | null {
    const kernel = SparseAffineSimd.create(memoryBytes(plan, batch));
    return kernel ? new SparseEncoder(kernel, plan, batch) : null;
  }

  /**
   * `previous` with `plan`'s weights when it has the same shapes and batch (a later latents job of the same
   * kind of model: no fresh memory to allocate and fault in), else a new runner; null without SIMD.
   */
  static reuse(previous: SparseEncoder | null, plan: EncoderPlan, batch = SPARSE_BATCH): SparseEncoder | null {
    if (previous && previous.fits(plan, batch)) {
      previous.load(plan);
      return previous;
    }
    return SparseEncoder.create(plan, batch);
  }

  /** The plan whose weights are loaded. */
  get plan(): EncoderPlan {
    return this.current;
  }

  private fits(plan: EncoderPlan, batch: number): boolean {
    const layers = this.current.layers;
    return batch === this.batch && plan.inputSize === this.current.inputSize && plan.layers.length === layers.length && plan.layers.every((l, i) => sameShape(l, layers[i]));
  }

  private load(plan: EncoderPlan): void {
    plan.layers.forEach((l, i) => {
      const slot = this.layers[i];
      slot.weights.view.set(l.weights);
      slot.bias.view.set(l.bias);
      slot.plan = l;
    });
    this.current = plan;
  }

  /**
   * Codes of `count` images into `out` (count × codeSize, row-major), {@link batch} images at a time.
   * @param images count × inputSize values, as the model takes them (pixels in [0, 1], NHWC for the CNNs)
   */
  encode(images: Float32Array, count: number, out: Float32Array): void {
    const { plan, batch } = this;
    if (images.length < count * plan.inputSize || out.length < count * plan.codeSize) throw new RangeError('SparseEncoder: arrays too short for the count');
    for (let start = 0; start < count; start += batch) {
      const size = Math.min(batch, count - start);
      this.encodeBatch(images.subarray(start * plan.inputSize, (start + size) * plan.inputSize), size, out.subarray(start * plan.codeSize));
    }
  }

  private encodeBatch(images: Float32Array, count: number, out: Float32Array): void {
    this.input.view.set(images);
    let input = this.input;
    for (const { plan: l, weights, bias, out: layerOut } of this.layers) {
      const rows = count * l.geometry.rowsPerImage;
      this.kernel.affine(l.geometry, 0, rows, l.n, l.n, input, weights, bias, layerOut, this.list, l.activation === 'relu');
      activate(layerOut.view, rows, l.units, l.n, l.activation);
      input = layerOut;
    }
    const last = this.layers[this.layers.length - 1];
    const { n, units } = last.plan;
    if (n === units) out.set(last.out.view.subarray(0, count * units));
    else for (let r = 0; r < count; r++) out.set(last.out.view.subarray(r * n, r * n + units), r * units);
  }
}
