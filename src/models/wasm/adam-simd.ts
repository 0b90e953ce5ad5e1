/**
 * Keras's Adam update of one variable as one WebAssembly SIMD pass, in tfjs-backend-wasm's own memory (see
 * ../wasm-adam):
 *
 *   m′ = m·β₁ + g·(1 − β₁);  v′ = v·β₂ + g²·(1 − β₂);  p′ = p + m′ / (√v′ + ε) · (−αₜ)
 *
 * Why: as tfjs ops ../keras-adam makes eleven elementwise passes per variable (each reading and writing whole
 * tensors) plus three copies; for the dense model's 614,656-weight kernel that was ~5 ms of a ~38 ms training
 * step (Node, one thread). Here each element is read once and written once.
 *
 * Every operation is the one the tfjs ops perform, in the same order, each rounded to float32 (WebAssembly's
 * float32 arithmetic, square root included, is correctly rounded, as XNNPACK's kernels behind those ops
 * are), so the result equals theirs bit for bit ({@link adamReference}; tested against the ops).
 */

import { instantiateKernels, kernelsOnMemory, type FunctionWriter, type Local, ModuleCache, ModuleWriter, ValType, whileLess } from '../../analysis/wasm/encoder';

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

/** The module's bytes, importing a shared memory (threaded tfjs-wasm) or a plain one. */
export function adamModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const m = new ModuleWriter(shared);
  writeAdam(m);
  return m.encode();
}

export interface AdamExports {
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

function isAdamExports(e: WebAssembly.Exports): e is WebAssembly.Exports & AdamExports {
  return typeof e.adam === 'function';
}

const modules = new ModuleCache();

/** The kernel on `memory` (another module's, shared or not), or null where WebAssembly SIMD is unavailable. */
export function adamKernels(memory: WebAssembly.Memory): AdamExports | null {
  return kernelsOnMemory(modules, memory, adamModuleBytes, isAdamExports);
}

/** The kernel on a fresh memory of `bytes` bytes (for tests), with the memory, or null. */
export function standaloneAdamKernels(bytes: number): { exports: AdamExports; memory: WebAssembly.Memory } | null {
  const module = modules.get('plain', () => adamModuleBytes(false));
  return module ? instantiateKernels(module, bytes, isAdamExports) : null;
}
