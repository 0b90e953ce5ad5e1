/**
 * The three reference MNIST autoencoders, built as functional tfjs models with Keras defaults
 * (glorot-uniform kernels, zero biases), plus a Keras-style summary and an encoder/decoder split.
 *
 * Layer names follow what Keras would assign (`dense`, `latent`, `dense_1`, `conv2d`, …) so summaries read
 * like the reference notebook's. The trainable layers are this project's matmul layers (`./dense-layer`,
 * `./conv-layers`): the Keras layers' weights and maths, on one fast, every-backend code path.
 */
import * as tf from '@tensorflow/tfjs';
import { DepthToSpaceConv2DTranspose, SpaceToDepthConv2D } from './conv-layers';
import { MatmulDense } from './dense-layer';
import type { MatmulActivation } from './matmul-layer';
import { isShapeList } from './tensors';
import { IMAGE_PIXELS, IMAGE_SIDE, LATENT_DIM, LATENT_LAYER_NAME, type ArchId, type LayerRow } from './arch-spec';

export * from './arch-spec';

/** The model's input shape without the batch dimension: [784] for dense, [28, 28, 1] for the CNNs. */
export function inputShapeOf(arch: ArchId): number[] {
  return arch === 'dense' ? [IMAGE_PIXELS] : [IMAGE_SIDE, IMAGE_SIDE, 1];
}

/**
 * Initialiser seeds: tfjs's seeded initialisers restart their generator on every call, so each layer needs
 * its own seed or all same-shaped kernels would be identical.
 */
function seeder(seed: number | undefined): () => number | undefined {
  let layer = 0;
  return () => (seed === undefined ? undefined : seed + layer++);
}

function asSymbolic(out: tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
  if (out instanceof tf.SymbolicTensor) return out;
  throw new Error('Expected a single symbolic tensor while building a model');
}

function buildDense(nextSeed: () => number | undefined, latentDim: number): tf.LayersModel {
  const input = tf.input({ shape: [IMAGE_PIXELS], name: 'input' });
  const dense = (units: number, activation: MatmulActivation, name: string, inputGradient = true) =>
    new MatmulDense({ units, activation, name, seed: nextSeed(), inputGradient });
  // The first layer's input is the images: nothing needs their gradient.
  let x = asSymbolic(dense(IMAGE_PIXELS, 'relu', 'dense', false).apply(input));
  x = asSymbolic(dense(latentDim, 'relu', LATENT_LAYER_NAME).apply(x));
  x = asSymbolic(dense(IMAGE_PIXELS, 'sigmoid', 'dense_1').apply(x));
  return tf.model({ inputs: input, outputs: x, name: 'dense_autoencoder' });
}

function buildCnn(bottleneck: 'relu' | 'elu', nextSeed: () => number | undefined, name: string, latentDim: number): tf.LayersModel {
  const input = tf.input({ shape: [IMAGE_SIDE, IMAGE_SIDE, 1], name: 'input' });
  const conv = (filters: number, layerName: string, inputGradient = true) =>
    new SpaceToDepthConv2D({ filters, activation: 'relu', name: layerName, seed: nextSeed(), inputGradient });
  const deconv = (filters: number, activation: MatmulActivation, layerName: string) =>
    new DepthToSpaceConv2DTranspose({ filters, activation, name: layerName, seed: nextSeed() });
  const dense = (units: number, layerName: string) =>
    new MatmulDense({ units, activation: bottleneck, name: layerName, seed: nextSeed() });
  const featureSide = IMAGE_SIDE / 4; // two stride-2 convolutions
  const featureChannels = 64;

  // The first layer's input is the images: nothing needs their gradient.
  let x = asSymbolic(conv(32, 'conv2d', false).apply(input));
  x = asSymbolic(conv(featureChannels, 'conv2d_1').apply(x));
  x = asSymbolic(tf.layers.flatten({ name: 'flatten' }).apply(x));
  x = asSymbolic(dense(latentDim, LATENT_LAYER_NAME).apply(x));
  x = asSymbolic(dense(featureSide * featureSide * featureChannels, 'dense').apply(x));
  x = asSymbolic(
    tf.layers.reshape({ targetShape: [featureSide, featureSide, featureChannels], name: 'reshape' }).apply(x),
  );
  x = asSymbolic(deconv(32, bottleneck, 'conv2d_transpose').apply(x));
  x = asSymbolic(deconv(1, 'sigmoid', 'conv2d_transpose_1').apply(x));
  return tf.model({ inputs: input, outputs: x, name });
}

/**
 * Builds a fresh, untrained autoencoder.
 * Input [batch, ...inputShapeOf(arch)] in [0, 1]; output the same shape, sigmoid-bounded.
 * @param seed seeds every kernel initialiser (layer i gets seed + i); omit for unseeded weights.
 * @param latentDim width of the code (a run's `settings.latentDim`); the reference 64 by default
 */
export function buildAutoencoder(arch: ArchId, seed?: number, latentDim: number = LATENT_DIM): tf.LayersModel {
  if (!Number.isInteger(latentDim) || latentDim < 1) throw new Error(`A code needs a whole number of units, not ${latentDim}`);
  const nextSeed = seeder(seed);
  switch (arch) {
    case 'dense':
      return buildDense(nextSeed, latentDim);
    case 'cnn_relu':
      return buildCnn('relu', nextSeed, 'cnn_relu_autoencoder', latentDim);
    case 'cnn_elu':
      return buildCnn('elu', nextSeed, 'cnn_elu_autoencoder', latentDim);
    default: {
      const unknown: never = arch;
      throw new Error(`Unknown architecture ${String(unknown)}`);
    }
  }
}


/** Our matmul layers are numerically the Keras layers below; summaries show the Keras name. */
const KERAS_CLASS_NAMES: Readonly<Record<string, string>> = {
  [MatmulDense.className]: 'Dense',
  [SpaceToDepthConv2D.className]: 'Conv2D',
  [DepthToSpaceConv2DTranspose.className]: 'Conv2DTranspose',
};

/** Keras-style summary rows, input layer first, in topological order. */
export function summarize(model: tf.LayersModel): LayerRow[] {
  return model.layers.map((layer) => {
    const className = layer.getClassName();
    // Every layer here is used once, so it has one output shape (InputLayer reports it in a list).
    const shape = layer.outputShape;
    return {
      name: layer.name,
      type: KERAS_CLASS_NAMES[className] ?? className,
      outputShape: [...(isShapeList(shape) ? shape[0] : shape)],
      params: layer.countParams(),
      activation: activationOf(layer),
    };
  });
}

/** A layer's activation from its config, as Keras names it; null where the layer has none. */
function activationOf(layer: tf.layers.Layer): string | null {
  const activation = layer.getConfig().activation;
  return typeof activation === 'string' ? activation : null;
}

/**
 * Splits an autoencoder at its `latent` layer into two models that share the trained layers (no weight
 * copies): encoder input → d-dimensional code, decoder [batch, d] → reconstruction, where d is the model's own
 * code width (read from its `latent` layer, so a 2-d run's decoder takes 2 numbers).
 *
 * Ownership: tfjs layers are reference-counted per model that uses them. The encoder and decoder each add a
 * reference to their layers, so `model`, `encoder` and `decoder` may be disposed in any order and the weights
 * are freed once every model using them is disposed.
 */
export function splitAutoencoder(model: tf.LayersModel): { encoder: tf.LayersModel; decoder: tf.LayersModel } {
  const layers = model.layers;
  const latentIndex = layers.findIndex((l) => l.name === LATENT_LAYER_NAME);
  if (latentIndex < 1) throw new Error(`Model '${model.name}' has no '${LATENT_LAYER_NAME}' layer`);
  if (layers[0].getClassName() !== 'InputLayer' || model.inputs.length !== 1) {
    throw new Error(`Model '${model.name}' is not a single-input chain`);
  }
  // Re-applying the layers to fresh inputs (rather than reusing model.inputs) makes both halves hold their
  // own reference to the shared layers; see Ownership above. This assumes a chain, which all three are.
  const chain = (from: tf.SymbolicTensor, chainLayers: readonly tf.layers.Layer[]) =>
    chainLayers.reduce((x, layer) => asSymbolic(layer.apply(x)), from);

  const inputShape = model.inputs[0].shape.slice(1).map((d) => {
    if (d === null) throw new Error('splitAutoencoder needs a fully known input shape');
    return d;
  });
  const encoderInput = tf.input({ shape: inputShape, name: 'encoder_input' });
  const encoder = tf.model({
    inputs: encoderInput,
    outputs: chain(encoderInput, layers.slice(1, latentIndex + 1)),
    name: `${model.name}_encoder`,
  });
  const decoderInput = tf.input({ shape: [latentDimOf(model)], name: 'decoder_input' });
  const decoder = tf.model({
    inputs: decoderInput,
    outputs: chain(decoderInput, layers.slice(latentIndex + 1)),
    name: `${model.name}_decoder`,
  });
  return { encoder, decoder };
}

/** The width of a built autoencoder's code: its `latent` layer's output units. */
export function latentDimOf(model: tf.LayersModel): number {
  const shape = model.getLayer(LATENT_LAYER_NAME).outputShape;
  const units = (isShapeList(shape) ? shape[0] : shape).at(-1);
  if (typeof units !== 'number') throw new Error(`Model '${model.name}' has a code of unknown width`);
  return units;
}
