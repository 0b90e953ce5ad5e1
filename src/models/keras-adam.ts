/**
 * Adam in the exact form Keras (and TensorFlow's `ApplyAdam` kernel) applies it:
 *
 *   t ← t + 1;  αₜ = lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ)
 *   m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  p ← p − αₜ·m / (√v + ε)
 *
 * `tf.train.adam` instead divides the bias-corrected moments, m̂ / (√v̂ + ε), i.e. its ε is effectively
 * √(1 − β₂ᵗ) times larger. With this project's gradients (1e-7 … 1e-6, comparable to ε = 1e-7) the two
 * trajectories part within a few steps and end at measurably different losses (reference/figures.md), so the
 * reference runs can only be reproduced with this form.
 *
 * Subnormal moments are not flushed to zero. On AMD EPYC machines tfjs's cpu and wasm elementwise kernels ran no
 * slower on subnormal float32 inputs; on this project's Intel machine they ran ~19× slower (products 127×), but
 * in a traced CNN run only tens of the 200,704 moments of a dense kernel were subnormal at a time, so they are
 * left as they are (a flush would change the Adam arithmetic for no measurable gain). What did slow training
 * there was the sigmoid gradient (see ./wasm/elementwise-simd).
 */
import * as tf from '@tensorflow/tfjs';
import { wasmAdamUpdate } from './wasm-elementwise';

/** Adam hyper-parameters (Keras names and meaning). */
export interface KerasAdamOptions {
  /** Step size lr (dimensionless multiplier of the normalised update). */
  learningRate: number;
  /** Decay of the first-moment average. */
  beta1: number;
  /** Decay of the second-moment average. */
  beta2: number;
  /** Added to √v (not to the bias-corrected √v̂). */
  epsilon: number;
}

/**
 * Keras's defaults. Always passed explicitly: on WebGL tfjs's own default epsilon becomes 1e-4 because the
 * backend reports 16-bit float precision.
 */
export const DEFAULT_ADAM_OPTIONS: KerasAdamOptions = Object.freeze({
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-7,
});

interface Moments {
  m: tf.Variable;
  v: tf.Variable;
}

/**
 * An optimiser's full state copied to host memory, so training can go on from it on another backend
 * (after a lost GPU): the update count and both moments of every variable, in the variables' order.
 */
export interface AdamState {
  iterations: number;
  m: Float32Array[];
  v: Float32Array[];
}

/** Adam optimiser with Keras's epsilon placement. Owns its moment variables: call `dispose()` when done. */
export class KerasAdam {
  private readonly options: KerasAdamOptions;
  private readonly moments = new Map<tf.Variable, Moments>();
  private step = 0;
  private disposed = false;

  constructor(options: Partial<KerasAdamOptions> = {}) {
    this.options = { ...DEFAULT_ADAM_OPTIONS, ...options };
    const { learningRate, beta1, beta2, epsilon } = this.options;
    if (!(learningRate > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon >= 0)) {
      throw new Error(`Invalid Adam options ${JSON.stringify(this.options)}`);
    }
  }

  /** Number of updates applied so far (Keras's `iterations`); the next update uses t = iterations + 1. */
  get iterations(): number {
    return this.step;
  }

  /**
   * Applies one Adam update to every variable. `gradients[i]` must have `variables[i]`'s shape.
   * Moments are created (zeros) the first time a variable is seen. Neither argument is disposed.
   */
  applyGradients(variables: readonly tf.Variable[], gradients: readonly tf.Tensor[]): void {
    if (this.disposed) throw new Error('KerasAdam has been disposed');
    if (variables.length !== gradients.length) {
      throw new Error(`Got ${variables.length} variables but ${gradients.length} gradients`);
    }
    const { learningRate, beta1, beta2, epsilon } = this.options;
    this.step += 1;
    const t = this.step;
    // The bias corrections are folded into one scalar computed in float64 on the host.
    const alpha = (learningRate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    const scalars = { beta1, oneMinusBeta1: 1 - beta1, beta2, oneMinusBeta2: 1 - beta2, negAlpha: -alpha, epsilon };
    tf.tidy(() => {
      const b1 = tf.scalar(beta1);
      const oneMinusB1 = tf.scalar(1 - beta1);
      const b2 = tf.scalar(beta2);
      const oneMinusB2 = tf.scalar(1 - beta2);
      const negAlpha = tf.scalar(-alpha);
      const eps = tf.scalar(epsilon);
      variables.forEach((variable, i) => {
        const g = gradients[i];
        if (!tf.util.arraysEqual(g.shape, variable.shape)) {
          throw new Error(`Gradient shape [${g.shape}] does not match variable '${variable.name}' [${variable.shape}]`);
        }
        const { m, v } = this.momentsOf(variable);
        // On wasm one SIMD pass computes exactly what the ops below compute (./wasm/elementwise-simd).
        const fused = wasmAdamUpdate(variable, m, v, g, scalars);
        if (fused !== null) {
          const [p2, m2, v2] = fused;
          m.assign(m2);
          v.assign(v2);
          variable.assign(p2);
          return;
        }
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, oneMinusB1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), oneMinusB2)));
        variable.assign(tf.add(variable, tf.mul(tf.div(m, tf.add(tf.sqrt(v), eps)), negAlpha)));
      });
    });
  }

  /**
   * Copies the state for `variables` (zeros for any not updated yet) to host memory. Async: tfjs-webgpu's
   * synchronous read is unreliable (see `forEachChunk` in ./train).
   */
  async readState(variables: readonly tf.Variable[]): Promise<AdamState> {
    const iterations = this.step;
    const read = (t: tf.Tensor) => t.data() as Promise<Float32Array>;
    const m = await Promise.all(variables.map((variable) => read(this.momentsOf(variable).m)));
    const v = await Promise.all(variables.map((variable) => read(this.momentsOf(variable).v)));
    return { iterations, m: m.map((a) => a.slice()), v: v.map((a) => a.slice()) };
  }

  /** Continues from `state` (taken from the same variables in the same order, on any backend). */
  restoreState(variables: readonly tf.Variable[], state: AdamState): void {
    if (state.m.length !== variables.length || state.v.length !== variables.length) {
      throw new Error(`Adam state holds ${state.m.length} moments for ${variables.length} variables`);
    }
    variables.forEach((variable, i) => {
      const { m, v } = this.momentsOf(variable);
      if (state.m[i].length !== variable.size || state.v[i].length !== variable.size) {
        throw new Error(`Adam state does not fit variable '${variable.name}' [${variable.shape}]`);
      }
      tf.tidy(() => {
        m.assign(tf.tensor(state.m[i], variable.shape));
        v.assign(tf.tensor(state.v[i], variable.shape));
      });
    });
    this.step = state.iterations;
  }

  /** Frees the moment variables. The optimiser cannot be used afterwards. */
  dispose(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
    this.disposed = true;
  }

  private momentsOf(variable: tf.Variable): Moments {
    let entry = this.moments.get(variable);
    if (entry === undefined) {
      // tidy never frees variables; it only drops the temporary zero tensors they were made from.
      entry = tf.tidy(() => ({
        m: tf.variable(tf.zerosLike(variable), false),
        v: tf.variable(tf.zerosLike(variable), false),
      }));
      this.moments.set(variable, entry);
    }
    return entry;
  }
}
