/**
 * Where a training step's time goes, kernel by kernel (tf.profile), on the WASM backend in Node (one thread:
 * no XNNPACK pool, so the matmuls weigh more than in the browser's two). Not part of the unit suite; run by
 * hand from the repository root, ARCH=dense|cnn_relu|cnn_elu:
 *
 *   printf "export default { test: { include: ['tests/perf/step-profile.perf.test.ts'], testTimeout: 600000 } };" \
 *     > /tmp/vitest.perf.config.mjs && ARCH=cnn_relu npx vitest run --config /tmp/vitest.perf.config.mjs --root .
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { it } from 'vitest';
import { buildAutoencoder } from '../../src/models/architectures';
import { DEFAULT_ADAM_OPTIONS, KerasAdam } from '../../src/models/keras-adam';
import { trainableVariables } from '../../src/models/tensors';
import '../../src/models/matmul-gradient';

it('kernel time of one training step', async () => {
  await tf.setBackend('wasm');
  const arch = (process.env.ARCH ?? 'cnn_relu') as 'cnn_relu';
  const model = buildAutoencoder(arch, 0);
  const variables = trainableVariables(model);
  const optimizer = new KerasAdam(DEFAULT_ADAM_OPTIONS);
  const x = tf.randomUniform([256, 28, 28, 1]);
  const step = () => tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(x, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, variables);
    optimizer.applyGradients(variables, variables.map((v) => grads[v.name]));
    return value;
  });
  for (let i = 0; i < 3; i++) step().dataSync();
  let t = performance.now();
  for (let i = 0; i < 5; i++) step().dataSync();
  console.log('ms per step', ((performance.now() - t) / 5).toFixed(1));
  const info = await tf.profile(() => { step().dataSync(); });
  const by = new Map<string, { ms: number; n: number }>();
  for (const k of info.kernels) {
    const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
    const e = by.get(key) ?? { ms: 0, n: 0 };
    e.ms += Number(k.kernelTimeMs); e.n++;
    by.set(key, e);
  }
  const total = [...by.values()].reduce((s, e) => s + e.ms, 0);
  console.log('profiled kernel total', total.toFixed(1));
  for (const [k, e] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30)) console.log(e.ms.toFixed(1).padStart(7), e.n, k);
});
