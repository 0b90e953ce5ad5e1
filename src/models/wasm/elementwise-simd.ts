/**
 * Elementwise steps of training as WebAssembly SIMD passes in tfjs-backend-wasm's own memory (see
 * ../wasm-elementwise): Keras's Adam update of one variable, and the ReLU gradient.
 *
 * Adam:
 *   m′ = m·β₁ + g·(1 − β₁);  v′ = v·β₂ + g²·(1 − β₂);  p′ = p + m′ / (√v′ + ε) · (−αₜ)
 *
 * Why: as tfjs ops ../keras-adam makes eleven elementwise passes per variable, each reading and writing whole
 * tensors. Here each element is read once and written once: a dense-model training step went from 38.0 to
 * 32.6 ms (Node, one thread).
 *
 * ReLU gradient: dz = dy·step(y), as ../matmul-layer writes it with tfjs ops (Step, then Multiply: two passes
 * and a tensor in between), here one pass: step(y) is 1 where y > 0, NaN where y is NaN and +0 elsewhere, as
 * tfjs-wasm's Step gives, multiplied in registers.
 *
 * Sigmoid gradient: dz = dy·(y·(1 − y)), as ../matmul-layer writes it with tfjs ops (three passes), here one
 * pass that also flushes a negligible dz (below {@link NEGLIGIBLE_GRADIENT}) to zero, keeping its sign. Why the
 * flush: for a pixel the decoder is sure is background, y is ~1e-20 and dy ~1e-5·y, so after an epoch or two
 * of training dz and its products with the weights below fall under float32's smallest normal number (1.2e-38).
 * Every operation on such a subnormal number takes a microcode assist on Intel CPUs (WebAssembly cannot switch
 * them to flush-to-zero): on this project's Intel machine tfjs-wasm's products ran 127× slower on subnormal
 * inputs, and a CNN training step slowed from 86 to 236 ms within 400 steps of MNIST (Node, one thread); with
 * the flush it stays at 86–92 ms. TensorFlow flushes subnormals on CPUs itself (flush-to-zero in its threads),
 * so the reference runs did too.
 *
 * Every operation is the one the tfjs ops perform, in the same order, each rounded to float32 (WebAssembly's
 * float32 arithmetic, square root included, is correctly rounded, as XNNPACK's kernels behind those ops
 * are), so the results equal theirs bit for bit ({@link adamReference}, {@link reluGradientReference},
 * {@link sigmoidGradientReference} apart from the flush; tested against the ops).
 */

import { kernelsOnMemory, standaloneKernels, type FunctionWriter, type Local, ModuleCache, ModuleWriter, ValType, whileLess } from '../../analysis/wasm/encoder';

const { i32, f32, v128 } = ValType;

/** The update's scalars, each rounded to float32 as `tf.scalar` rounds them. */
export interface AdamScalars {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  negAlpha: number;
  epsilon: number;
}

/** The update in float32, element by element: the kernel's arithmetic (and the tfjs ops'), for tests. */
export function adamReference(
  p: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  s: AdamScalars,
): { p: Float32Array; m: Float32Array; v: Float32Array } {
  const f = Math.fround;
  const [b1, c1, b2, c2, na, eps] = [s.beta1, s.oneMinusBeta1, s.beta2, s.oneMinusBeta2, s.negAlpha, s.epsilon].map(f);
  const out = { p: new Float32Array(p.length), m: new Float32Array(p.length), v: new Float32Array(p.length) };
  for (let i = 0; i < p.length; i++) {
    const mi = f(f(m[i] * b1) + f(g[i] * c1));
    const vi = f(f(v[i] * b2) + f(f(g[i] * g[i]) * c2));
    out.m[i] = mi;
    out.v[i] = vi;
    out.p[i] = f(p[i] + f(f(mi / f(f(Math.sqrt(vi)) + eps)) * na));
  }
  return out;
}

/** dy·step(y) in float32, element by element (step: 1 where y > 0, NaN where y is, else 0): the kernel's arithmetic, for tests. */
export function reluGradientReference(dy: Float32Array, y: Float32Array): Float32Array {
  return dy.map((d, i) => Math.fround(d * (y[i] > 0 ? 1 : Number.isNaN(y[i]) ? Number.NaN : 0)));
}

/**
 * Sigmoid gradients smaller than this are flushed to zero. Subnormal ones alone are not enough: a dz just above
 * float32's smallest normal number (1.2e-38) still makes subnormal products with the weights in the layers
 * below. A gradient this small changes nothing in training: Adam moves a weight by about lr·g/ε for |g| ≪ ε
 * (1e-7), under 1e-16 here, which no float32 weight above 1e-8 can take up; and in a sum with any gradient
 * above 1e-12 it is below float32's rounding.
 */
export const NEGLIGIBLE_GRADIENT = Math.fround(1e-20);

/** dy·(y·(1 − y)) in float32, results below {@link NEGLIGIBLE_GRADIENT} flushed to a zero of their sign: the kernel's arithmetic, for tests. */
export function sigmoidGradientReference(dy: Float32Array, y: Float32Array): Float32Array {
  const f = Math.fround;
  return dy.map((d, i) => {
    const dz = f(d * f(y[i] * f(1 - y[i])));
    return Math.abs(dz) < NEGLIGIBLE_GRADIENT ? (Object.is(dz, -0) || dz < 0 ? -0 : 0) : dz;
  });
}

/** The three updates of one lane (v128) or one element (f32) at the addresses in `at`, byte offset `offset`. */
function emitUpdate(w: FunctionWriter, lanes: 4 | 1, at: AdamAddresses, scalars: readonly Local[], offset: Local, t: { g: Local; m: Local; v: Local }): void {
  const [b1, c1, b2, c2, negAlpha, eps] = scalars;
  const load = (base: Local) => (lanes === 4 ? w.get(base).get(offset).i32Add().v128Load(0) : w.get(base).get(offset).i32Add().f32Load(0));
  const mul = () => (lanes === 4 ? w.f32x4Mul() : w.f32Mul());
  const add = () => (lanes === 4 ? w.f32x4Add() : w.f32Add());
  const store = (base: Local, value: Local) => {
    w.get(base).get(offset).i32Add().get(value);
    if (lanes === 4) w.v128Store(0);
    else w.f32Store(0);
  };
  load(at.g).set(t.g);
  // m′ = m·β₁ + g·(1 − β₁)
  load(at.m).get(b1);
  mul();
  w.get(t.g).get(c1);
  mul();
  add();
  w.set(t.m);
  store(at.mOut, t.m);
  // v′ = v·β₂ + (g·g)·(1 − β₂)
  load(at.v).get(b2);
  mul();
  w.get(t.g).get(t.g);
  mul();
  w.get(c2);
  mul();
  add();
  w.set(t.v);
  store(at.vOut, t.v);
  // p′ = p + (m′ / (√v′ + ε))·(−αₜ); t.g is free again and holds p′.
  load(at.p).get(t.m).get(t.v);
  if (lanes === 4) w.f32x4Sqrt();
  else w.f32Sqrt();
  w.get(eps);
  add();
  if (lanes === 4) w.f32x4Div();
  else w.f32Div();
  w.get(negAlpha);
  mul();
  add();
  w.set(t.g);
  store(at.pOut, t.g);
}

interface AdamAddresses {
  p: Local;
  m: Local;
  v: Local;
  g: Local;
  pOut: Local;
  mOut: Local;
  vOut: Local;
}

/**
 * `adam(size, p, m, v, g, pOut, mOut, vOut, β₁, 1 − β₁, β₂, 1 − β₂, −αₜ, ε)`: byte addresses of float32 arrays
 * of `size` elements; four at a time, then the rest one by one. Outputs may not overlap the inputs.
 */
function writeAdam(m: ModuleWriter): void {
  const { writer: w } = m.addFunction('adam', [i32, i32, i32, i32, i32, i32, i32, i32, f32, f32, f32, f32, f32, f32], []);
  const [size, p, mIn, v, g, pOut, mOut, vOut, ...scalarParams] = w.params;
  const at: AdamAddresses = { p, m: mIn, v, g, pOut, mOut, vOut };
  const offset = w.local(i32);
  const wholeBytes = w.local(i32);
  const allBytes = w.local(i32);
  const vectors = { g: w.local(v128), m: w.local(v128), v: w.local(v128) };
  const singles = { g: w.local(f32), m: w.local(f32), v: w.local(f32) };
  const splats = scalarParams.map((s) => {
    const l = w.local(v128);
    w.get(s).f32x4Splat().set(l);
    return l;
  });
  w.get(size).i32Const(2).i32Shl().set(allBytes);
  w.get(allBytes).i32Const(-16).i32And().set(wholeBytes);
  const quads = whileLess(w, offset, wholeBytes);
  emitUpdate(w, 4, at, splats, offset, vectors);
  w.get(offset).i32Const(16).i32Add().set(offset);
  quads.close();
  const rest = whileLess(w, offset, allBytes);
  emitUpdate(w, 1, at, scalarParams, offset, singles);
  w.get(offset).i32Const(4).i32Add().set(offset);
  rest.close();
}

/**
 * An activation's gradient `name(size, dy, y, dz)`: byte addresses of float32 arrays of `size` elements, a
 * multiple of 4 (the callers' tensors: ../wasm-elementwise checks). `prepare` declares and sets the kernel's
 * constants once; per vector of four, `emit` finds dy and y in `lanes` and leaves dz on the stack.
 */
function writeActivationGradient<C>(
  m: ModuleWriter,
  name: string,
  prepare: (w: FunctionWriter) => C,
  emit: (w: FunctionWriter, lanes: { dy: Local; y: Local }, constants: C) => void,
): void {
  const { writer: w } = m.addFunction(name, [i32, i32, i32, i32], []);
  const [size, dy, y, dz] = w.params;
  const offset = w.local(i32);
  const bytes = w.local(i32);
  const lanes = { dy: w.local(v128), y: w.local(v128) };
  const constants = prepare(w);
  w.get(size).i32Const(2).i32Shl().set(bytes);
  const loop = whileLess(w, offset, bytes);
  w.get(dy).get(offset).i32Add().v128Load(0).set(lanes.dy);
  w.get(y).get(offset).i32Add().v128Load(0).set(lanes.y);
  w.get(dz).get(offset).i32Add();
  emit(w, lanes, constants);
  w.v128Store(0);
  w.get(offset).i32Const(16).i32Add().set(offset);
  loop.close();
}

/** A v128 local holding `value` in all four float32 lanes. */
function splatF32(w: FunctionWriter, value: number): Local {
  const l = w.local(v128);
  w.f32Const(value).f32x4Splat().set(l);
  return l;
}

/** `reluGradient`: dz = dy · step(y). */
function writeReluGradient(m: ModuleWriter): void {
  writeActivationGradient(
    m,
    'reluGradient',
    (w) => ({ zero: w.local(v128), one: splatF32(w, 1), nan: splatF32(w, Number.NaN) }),
    (w, { dy, y }, { zero, one, nan }) => {
      // step(y) = 0 < y ? 1 : (y is NaN ? NaN : +0): comparison masks select the bits of 1.0 and of NaN (y ≠ y
      // only for NaN).
      w.get(dy);
      w.get(zero).get(y).f32x4Lt().get(one).v128And();
      w.get(nan).get(y).get(y).f32x4Eq().v128AndNot();
      w.v128Or();
      w.f32x4Mul();
    },
  );
}

/** `sigmoidGradient`: dz = dy · (y · (1 − y)), lanes below {@link NEGLIGIBLE_GRADIENT} flushed. */
function writeSigmoidGradient(m: ModuleWriter): void {
  writeActivationGradient(
    m,
    'sigmoidGradient',
    (w) => {
      const magnitude = w.local(v128);
      w.i32Const(0x7fffffff).i32x4Splat().set(magnitude);
      return { one: splatF32(w, 1), negligible: splatF32(w, NEGLIGIBLE_GRADIENT), magnitude, value: w.local(v128) };
    },
    (w, { dy, y }, { one, negligible, magnitude, value }) => {
      // value = dy · (y · (1 − y)), tfjs's order.
      w.get(dy);
      w.get(y).get(one).get(y).f32x4Sub().f32x4Mul();
      w.f32x4Mul().set(value);
      // Lanes with |value| < NEGLIGIBLE_GRADIENT lose every bit but the sign (NaN compares false and stays).
      w.get(value);
      w.get(value).get(magnitude).v128And().get(negligible).f32x4Lt().get(magnitude).v128And();
      w.v128AndNot();
    },
  );
}

/** The module's bytes, importing a shared memory (threaded tfjs-wasm) or a plain one. */
export function elementwiseModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const m = new ModuleWriter(shared);
  writeAdam(m);
  writeReluGradient(m);
  writeSigmoidGradient(m);
  return m.encode();
}

export interface ElementwiseExports {
  reluGradient(size: number, dy: number, y: number, dz: number): void;
  sigmoidGradient(size: number, dy: number, y: number, dz: number): void;
  adam(
    size: number,
    p: number,
    m: number,
    v: number,
    g: number,
    pOut: number,
    mOut: number,
    vOut: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    negAlpha: number,
    epsilon: number,
  ): void;
}

function isElementwiseExports(e: WebAssembly.Exports): e is WebAssembly.Exports & ElementwiseExports {
  return typeof e.adam === 'function' && typeof e.reluGradient === 'function' && typeof e.sigmoidGradient === 'function';
}

const modules = new ModuleCache();

/** The kernels on `memory` (another module's, shared or not), or null where WebAssembly SIMD is unavailable. */
export function elementwiseKernels(memory: WebAssembly.Memory): ElementwiseExports | null {
  return kernelsOnMemory(modules, memory, elementwiseModuleBytes, isElementwiseExports);
}

/** The kernels on a fresh memory of `bytes` bytes (for tests), with the memory, or null. */
export function standaloneElementwiseKernels(bytes: number): { exports: ElementwiseExports; memory: WebAssembly.Memory } | null {
  return standaloneKernels(modules, bytes, elementwiseModuleBytes, isElementwiseExports);
}
