/**
 * The plan of an encoder for the sparse kernel (./sparse-encoder): its layers — this project's matmul layers
 * (dense, kernel-2 / stride-2 convolutions) and flatten — with their weights as trained. Anything else (an
 * unknown layer, a hidden width that is not a multiple of 4) gives no plan, and the caller uses tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { inputShapeOf, type ArchId } from './architectures';
import { SpaceToDepthConv2D } from './conv-layers';
import { MatmulDense } from './dense-layer';
import type { MatmulActivation } from './matmul-layer';
import type { EncoderPlan, PlanLayer } from './sparse-encoder';
import { denseGeometry, patchGeometry, type RowGeometry } from './wasm/sparse-affine-simd';

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
