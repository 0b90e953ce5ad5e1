/**
 * Every layer's output for one image: what each layer of a trained autoencoder "sees" (CNN Explainer's
 * view). The three architectures are single-input chains (see `splitAutoencoder`), so the layers are
 * applied one after another to the image and each intermediate tensor is kept and read back.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS, inputShapeOf, summarize, type ArchId, type LayerActivation } from './architectures';
import { asTensor } from './tensors';

/**
 * Runs one image through `model` layer by layer.
 * @param image 784 pixels in [0, 1], row-major
 * @returns one entry per layer after the input, in order; the last one is the model's output
 */
export async function layerActivations(model: tf.LayersModel, arch: ArchId, image: Float32Array): Promise<LayerActivation[]> {
  if (image.length !== IMAGE_PIXELS) throw new Error(`Expected one image of ${IMAGE_PIXELS} pixels, got ${image.length} values.`);
  const rows = summarize(model);
  const layers = model.layers;
  if (layers[0]?.getClassName() !== 'InputLayer') throw new Error(`Model '${model.name}' does not start with its input layer`);
  const outputs = tf.tidy(() => {
    let x = tf.tensor(image, [1, ...inputShapeOf(arch)]);
    const kept: tf.Tensor[] = [];
    for (const layer of layers.slice(1)) {
      x = asTensor(layer.apply(x, { training: false }));
      kept.push(x);
    }
    return kept;
  });
  try {
    // Async reads: a synchronous one blocks a GPU backend's worker (and returns zeros on tfjs-webgpu's software adapter).
    const values = await Promise.all(outputs.map((t) => t.data()));
    return outputs.map((t, i) => ({
      name: rows[i + 1].name,
      type: rows[i + 1].type,
      activation: rows[i + 1].activation,
      shape: t.shape.slice(1),
      values: Float32Array.from(values[i]),
    }));
  } finally {
    outputs.forEach((t) => t.dispose());
  }
}
