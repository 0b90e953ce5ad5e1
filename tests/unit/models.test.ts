/**
 * The three reference architectures: layer-by-layer shapes and parameter counts as Keras reports them, the
 * registry metadata, seeding, and the encoder/decoder split sharing weights with the trained model.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ARCH_IDS,
  ARCHITECTURES,
  buildAutoencoder,
  inputShapeOf,
  isArchId,
  splitAutoencoder,
  summarize,
  type ArchId,
  type LayerRow,
} from '../../src/models/architectures';

/** Keras's `model.summary()` of the reference notebook's models: [name, type, output shape, params]. */
const DENSE_ROWS: [string, string, (number | null)[], number][] = [
  ['input', 'InputLayer', [null, 784], 0],
  ['dense', 'Dense', [null, 784], 615_440],
  ['latent', 'Dense', [null, 64], 50_240],
  ['dense_1', 'Dense', [null, 784], 50_960],
];
const CNN_ROWS: [string, string, (number | null)[], number][] = [
  ['input', 'InputLayer', [null, 28, 28, 1], 0],
  ['conv2d', 'Conv2D', [null, 14, 14, 32], 160],
  ['conv2d_1', 'Conv2D', [null, 7, 7, 64], 8_256],
  ['flatten', 'Flatten', [null, 3136], 0],
  ['latent', 'Dense', [null, 64], 200_768],
  ['dense', 'Dense', [null, 3136], 203_840],
  ['reshape', 'Reshape', [null, 7, 7, 64], 0],
  ['conv2d_transpose', 'Conv2DTranspose', [null, 14, 14, 32], 8_224],
  ['conv2d_transpose_1', 'Conv2DTranspose', [null, 28, 28, 1], 129],
];
const EXPECTED: Record<ArchId, { rows: typeof DENSE_ROWS; total: number }> = {
  dense: { rows: DENSE_ROWS, total: 716_640 },
  cnn_relu: { rows: CNN_ROWS, total: 421_377 },
  cnn_elu: { rows: CNN_ROWS, total: 421_377 },
};

function asTensor(out: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(out)) throw new Error('expected one tensor');
  return out;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function randomImages(arch: ArchId, count: number, seed: number): tf.Tensor {
  return tf.randomUniform([count, ...inputShapeOf(arch)], 0, 1, 'float32', seed);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('architecture registry', () => {
  it('lists the three ids with labels and Keras parameter counts', () => {
    expect(ARCH_IDS).toEqual(['dense', 'cnn_relu', 'cnn_elu']);
    for (const id of ARCH_IDS) {
      expect(ARCHITECTURES[id].id).toBe(id);
      expect(ARCHITECTURES[id].params).toBe(EXPECTED[id].total);
      expect(ARCHITECTURES[id].blurb.length).toBeGreaterThan(10);
    }
    expect(ARCHITECTURES.cnn_elu.label).toBe('CNN · ELU');
  });

  it('recognises ids and nothing else', () => {
    expect(ARCH_IDS.every(isArchId)).toBe(true);
    for (const bad of ['', 'Dense', 'cnn', null, undefined, 3, {}]) expect(isArchId(bad)).toBe(false);
  });

  it('gives input shapes without the batch dimension', () => {
    expect(inputShapeOf('dense')).toEqual([784]);
    expect(inputShapeOf('cnn_relu')).toEqual([28, 28, 1]);
    expect(inputShapeOf('cnn_elu')).toEqual([28, 28, 1]);
  });
});

describe.each(ARCH_IDS)('%s autoencoder', (arch) => {
  it('matches the Keras summary layer by layer', () => {
    const model = buildAutoencoder(arch, 0);
    const rows: LayerRow[] = summarize(model);
    expect(rows.map((r) => [r.name, r.type, r.outputShape, r.params])).toEqual(EXPECTED[arch].rows);
    expect(model.countParams()).toBe(EXPECTED[arch].total);
    expect(rows.reduce((sum, r) => sum + r.params, 0)).toBe(ARCHITECTURES[arch].params);
    expect(model.getLayer('latent').outputShape).toEqual([null, 64]);
    model.dispose();
  });

  it('uses the architecture’s activations, and the summary shows them', () => {
    const model = buildAutoencoder(arch, 0);
    const shown = new Map(summarize(model).map((row) => [row.name, row.activation]));
    const activationOf = (name: string) => {
      const config = model.getLayer(name).getConfig();
      expect(shown.get(name)).toBe(config.activation);
      return config.activation;
    };
    expect(shown.get('input')).toBeNull();
    if (arch === 'dense') {
      expect(['dense', 'latent', 'dense_1'].map(activationOf)).toEqual(['relu', 'relu', 'sigmoid']);
    } else {
      const act = arch === 'cnn_relu' ? 'relu' : 'elu';
      expect(
        ['conv2d', 'conv2d_1', 'latent', 'dense', 'conv2d_transpose', 'conv2d_transpose_1'].map(activationOf),
      ).toEqual(['relu', 'relu', act, act, act, 'sigmoid']);
    }
    model.dispose();
  });

  it('maps images to same-shaped outputs in (0, 1)', () => {
    const model = buildAutoencoder(arch, 0);
    tf.tidy(() => {
      const x = randomImages(arch, 3, 1);
      const y = asTensor(model.predict(x));
      expect(y.shape).toEqual(x.shape);
      expect(tf.min(y).dataSync()[0]).toBeGreaterThan(0);
      expect(tf.max(y).dataSync()[0]).toBeLessThan(1);
    });
    model.dispose();
  });

  it('is reproducible from its seed, with distinct kernels per layer', () => {
    const a = buildAutoencoder(arch, 5);
    const b = buildAutoencoder(arch, 5);
    const c = buildAutoencoder(arch, 6);
    const wa = a.getWeights();
    const wb = b.getWeights();
    const wc = c.getWeights();
    wa.forEach((w, i) => expect(maxAbsDiff(w, wb[i])).toBe(0));
    // Every kernel differs from the other seed's (biases start at zero in both).
    wa.forEach((w, i) => {
      if (w.rank > 1) expect(maxAbsDiff(w, wc[i])).toBeGreaterThan(0);
    });
    if (arch !== 'dense') {
      // The CNNs' first and last kernels have the same shape [2, 2, 1, 32] and the same Glorot limit: with a
      // shared seed they would be identical, so each layer must get its own.
      const first = a.getLayer('conv2d').getWeights()[0];
      const last = a.getLayer('conv2d_transpose_1').getWeights()[0];
      expect(first.shape).toEqual(last.shape);
      expect(maxAbsDiff(first, last)).toBeGreaterThan(0);
    }
    [a, b, c].forEach((m) => m.dispose());
  });

  it('splits into an encoder (→ 64-d) and a decoder that compose to the full model', () => {
    const model = buildAutoencoder(arch, 1);
    const { encoder, decoder } = splitAutoencoder(model);
    expect(encoder.outputs[0].shape).toEqual([null, 64]);
    expect(decoder.inputs[0].shape).toEqual([null, 64]);
    expect(decoder.outputs[0].shape).toEqual(model.outputs[0].shape);
    tf.tidy(() => {
      const x = randomImages(arch, 4, 2);
      const latent = asTensor(encoder.predict(x));
      expect(latent.shape).toEqual([4, 64]);
      expect(maxAbsDiff(asTensor(decoder.predict(latent)), asTensor(model.predict(x)))).toBeLessThan(1e-6);
    });
    [model, encoder, decoder].forEach((m) => m.dispose());
  });

  it('shares weights between the split models and the full model (no copies)', () => {
    const model = buildAutoencoder(arch, 1);
    const { encoder, decoder } = splitAutoencoder(model);
    const encoderSide = arch === 'dense' ? 'dense' : 'conv2d';
    const decoderSide = arch === 'dense' ? 'dense_1' : 'conv2d_transpose_1';
    expect(encoder.getLayer(encoderSide)).toBe(model.getLayer(encoderSide));
    expect(decoder.getLayer(decoderSide)).toBe(model.getLayer(decoderSide));

    tf.tidy(() => {
      const x = randomImages(arch, 2, 3);
      const latentBefore = asTensor(encoder.predict(x));
      const z = tf.randomNormal([2, 64], 0, 1, 'float32', 4);
      const decodedBefore = asTensor(decoder.predict(z));
      // Change one weight on each side through the full model; both halves must see it.
      for (const name of [encoderSide, decoderSide]) {
        const layer = model.getLayer(name);
        const [kernel, bias] = layer.getWeights();
        layer.setWeights([kernel, tf.add(bias, 0.25)]);
      }
      expect(maxAbsDiff(asTensor(encoder.predict(x)), latentBefore)).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(asTensor(decoder.predict(z)), decodedBefore)).toBeGreaterThan(1e-3);
      const composed = asTensor(decoder.predict(asTensor(encoder.predict(x))));
      expect(maxAbsDiff(composed, asTensor(model.predict(x)))).toBeLessThan(1e-6);
    });
    [model, encoder, decoder].forEach((m) => m.dispose());
  });

  it('saves and loads through the serialization registry with identical outputs', async () => {
    const model = buildAutoencoder(arch, 3);
    let artifacts: tf.io.ModelArtifacts | null = null;
    await model.save(
      tf.io.withSaveHandler(async (saved) => {
        artifacts = saved;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    if (artifacts === null) throw new Error('nothing saved');
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    expect(summarize(loaded)).toEqual(summarize(model));
    tf.tidy(() => {
      const x = randomImages(arch, 2, 6);
      expect(maxAbsDiff(asTensor(loaded.predict(x)), asTensor(model.predict(x)))).toBe(0);
    });
    model.dispose();
    loaded.dispose();
  });

  it('frees every weight once the model and both halves are disposed, in any order', () => {
    const before = tf.memory().numTensors;
    const model = buildAutoencoder(arch, 2);
    const { encoder, decoder } = splitAutoencoder(model);
    model.dispose();
    // The halves hold their own references: still usable after the full model is gone.
    tf.tidy(() => {
      expect(asTensor(decoder.predict(asTensor(encoder.predict(randomImages(arch, 1, 5))))).shape[0]).toBe(1);
    });
    decoder.dispose();
    encoder.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
