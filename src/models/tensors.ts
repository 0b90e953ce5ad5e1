/**
 * Small typed bridges between tfjs-layers' loosely typed APIs and plain tensors.
 */
import * as tf from '@tensorflow/tfjs';

/** Narrows a layer/model `apply` result to the single eager tensor our models produce. */
export function asTensor(out: tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[]): tf.Tensor {
  if (out instanceof tf.Tensor) return out;
  throw new Error('Expected a single eager tensor from the model');
}

/**
 * The `tf.Variable`s behind a model's trainable weights, in `model.trainableWeights` order. tfjs-layers
 * types `LayerVariable.read()` as a plain Tensor although it returns the backing Variable, which is what
 * `tf.variableGrads` and optimisers need.
 */
export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((weight) => {
    const value = weight.read();
    if (!(value instanceof tf.Variable)) throw new Error(`Weight '${weight.name}' is not backed by a tf.Variable`);
    return value;
  });
}

/** Whether a tfjs-layers shape argument is a list of shapes (multi-input/-output) rather than one shape. */
export function isShapeList(shape: tf.Shape | tf.Shape[]): shape is tf.Shape[] {
  return shape.length > 0 && Array.isArray(shape[0]);
}
