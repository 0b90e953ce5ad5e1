/**
 * The encoder half of a trained autoencoder run on the CPU without tfjs: each layer is one call of the
 * sparse-input kernel (./wasm/sparse-affine-simd), which skips the zero inputs that make up ~81% of MNIST's
 * pixels and about half of every ReLU layer's outputs. Latent vectors of many images are the one large
 * inference job, and on the WASM backend this does it in about a third of tfjs's time on the same thread
 * (tfjs's dense matmuls multiply every zero). Results equal tfjs's up to the order of float32 additions.
 *
 * A plan is made from the encoder's own layers (this project's matmul layers: dense, kernel-2 / stride-2
 * convolutions, flatten), so weights are read from the model as trained; anything else (an unknown layer,
 * a hidden width that is not a multiple of 4) gives no plan and the caller uses tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { inputShapeOf, type ArchId } from './architectures';
import { SpaceToDepthConv2D } from './conv-layers';
import { MatmulDense } from './dense-layer';
import type { MatmulActivation } from './matmul-layer';
import { denseGeometry, listFloats, patchGeometry, type Region, type RowGeometry, SparseAffineSimd } from './wasm/sparse-affine-simd';

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

function activationOf(layer: tf.layers.Layer): MatmulActivation | null {
  const activation = layer.getConfig().activation ?? 'linear';
  return activation === 'linear' || activation === 'relu' || activation === 'elu' || activation === 'sigmoid' ? activation : null;
}

/** Kernel [k, units] and bias [units] of a matmul layer, the kernel padded to n columns. */
function paddedWeights(layer: tf.layers.Layer, k: number, units: number, n: number): { weights: Float32Array; bias: Float32Array } | null {
  const [kernel, bias] = layer.getWeights();
  if (kernel === undefined || bias === undefined || kernel.size !== k * units || bias.size !== units) return null;
  const kernelValues = kernel.dataSync();
  const weights = new Float32Array(k * n);
  for (let t = 0; t < k; t++) weights.set(kernelValues.subarray(t * units, (t + 1) * units), t * n);
  const padded = new Float32Array(n);
  padded.set(bias.dataSync());
  return { weights, bias: padded };
}

/**
 * The plan of `encoder` (the encoder half of an `arch` autoencoder, from `splitAutoencoder`), or null when
 * one of its layers is not one the kernel runs.
 */
export function encoderPlan(encoder: tf.LayersModel, arch: ArchId): EncoderPlan | null {
  let shape = inputShapeOf(arch);
  const inputSize = shape.reduce((a, b) => a * b, 1);
  const layers: PlanLayer[] = [];
  for (const layer of encoder.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') continue;
    if (className === 'Flatten') {
      shape = [shape.reduce((a, b) => a * b, 1)];
      continue;
    }
    const activation = activationOf(layer);
    if (activation === null) return null;
    const last = layers[layers.length - 1];
    // The next layer reads this one's rows back to back: hidden widths must need no padding.
    if (last !== undefined && last.n !== last.units) return null;
    let geometry: RowGeometry;
    let k: number;
    let units: number;
    let next: number[];
    if (layer instanceof MatmulDense && shape.length === 1) {
      k = shape[0];
      units = layer.getConfig().units as number;
      geometry = denseGeometry(k);
      next = [units];
    } else if (layer instanceof SpaceToDepthConv2D && shape.length === 3) {
      const [h, w, c] = shape;
      if (h % 2 !== 0 || w % 2 !== 0) return null;
      k = 4 * c;
      units = layer.getConfig().filters as number;
      geometry = patchGeometry(h, w, c);
      next = [h / 2, w / 2, units];
    } else {
      return null;
    }
    if (!Number.isInteger(units) || units < 1) return null;
    const n = Math.ceil(units / 4) * 4;
    const values = paddedWeights(layer, k, units, n);
    if (values === null) return null;
    layers.push({ geometry, k, n, units, activation, ...values });
    shape = next;
  }
  const last = layers[layers.length - 1];
  if (last === undefined || shape.length !== 1) return null;
  return { inputSize, layers, codeSize: last.units };
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

/** A plan loaded into one kernel instance, encoding batches of up to `batch` images. */
export class SparseEncoder {
  private readonly input: Region;
  private readonly layers: { plan: PlanLayer; weights: Region; bias: Region; out: Region }[];
  private readonly list: Region;

  private constructor(
    private readonly kernel: SparseAffineSimd,
    readonly plan: EncoderPlan,
    readonly batch: number,
  ) {
    this.input = kernel.region(batch * plan.inputSize);
    this.layers = plan.layers.map((l) => {
      const weights = kernel.region(l.weights.length);
      weights.view.set(l.weights);
      const bias = kernel.region(l.bias.length);
      bias.view.set(l.bias);
      return { plan: l, weights, bias, out: kernel.region(batch * l.geometry.rowsPerImage * l.n) };
    });
    this.list = kernel.region(listFloats(Math.max(...plan.layers.map((l) => l.k))));
  }

  /** A runner for `plan`, or null where WebAssembly SIMD is unavailable. */
  static create(plan: EncoderPlan, batch: number): SparseEncoder | null {
    const kernel = SparseAffineSimd.create(memoryBytes(plan, batch));
    return kernel ? new SparseEncoder(kernel, plan, batch) : null;
  }

  /**
   * Codes of `count` ≤ batch images into `out` (count × codeSize, row-major).
   * @param images count × inputSize values, as the model takes them (pixels in [0, 1], NHWC for the CNNs)
   */
  encode(images: Float32Array, count: number, out: Float32Array): void {
    const { plan } = this;
    if (count > this.batch) throw new RangeError(`SparseEncoder: ${count} images exceed the batch of ${this.batch}`);
    if (images.length < count * plan.inputSize || out.length < count * plan.codeSize) throw new RangeError('SparseEncoder: arrays too short for the count');
    this.input.view.set(images.subarray(0, count * plan.inputSize));
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
