import * as tf from '@tensorflow/tfjs';

/** The tf.Variables behind a built layer's trainable weights ([kernel, bias]), for tf.variableGrads. */
export function layerVariables(layer: tf.layers.Layer): tf.Variable[] {
  return layer.trainableWeights.map((w) => {
    const v = w.read();
    if (!(v instanceof tf.Variable)) throw new Error('not a variable');
    return v;
  });
}
