import { describe, expect, it } from 'vitest';
import { ModuleWriter, ValType } from '../../src/analysis/wasm/encoder';

/** The float32, extra i32 and f32x4/i32x4 instructions the kNN kernels added to the encoder, one by one. */

const { i32, f32, v128 } = ValType;

function instantiate(m: ModuleWriter): { exports: WebAssembly.Exports; memory: WebAssembly.Memory } {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(m.encode()), { env: { memory } });
  return { exports: instance.exports, memory };
}

function fn(exports: WebAssembly.Exports, name: string): (...args: number[]) => number {
  const f = exports[name];
  if (typeof f !== 'function') throw new Error(`export ${name} is not a function`);
  return (...args: number[]) => Number(f(...args));
}

describe('WebAssembly encoder: float32 and f32x4 / i32x4', () => {
  it('scalar float32 arithmetic, comparisons, conversions and constants', () => {
    const m = new ModuleWriter();
    const binary = (name: string, emit: (w: ReturnType<ModuleWriter['addFunction']>['writer']) => void, result: ValType): void => {
      const { writer: w } = m.addFunction(name, [f32, f32], [result]);
      w.get(w.params[0]).get(w.params[1]);
      emit(w);
    };
    binary('add', (w) => w.f32Add(), f32);
    binary('sub', (w) => w.f32Sub(), f32);
    binary('mul', (w) => w.f32Mul(), f32);
    binary('eq', (w) => w.f32Eq(), i32);
    binary('lt', (w) => w.f32Lt(), i32);
    binary('gt', (w) => w.f32Gt(), i32);
    binary('le', (w) => w.f32Le(), i32);
    binary('ge', (w) => w.f32Ge(), i32);
    const { writer: demote } = m.addFunction('demote', [ValType.f64], [f32]);
    demote.get(demote.params[0]).f32DemoteF64();
    const { writer: convert } = m.addFunction('convert', [i32], [f32]);
    convert.get(convert.params[0]).f32ConvertI32S();
    const { writer: k } = m.addFunction('third', [], [f32]);
    k.f32Const(1 / 3);
    const { exports } = instantiate(m);
    const f = Math.fround;
    expect(fn(exports, 'add')(0.1, 0.2)).toBe(f(f(0.1) + f(0.2)));
    expect(fn(exports, 'sub')(0.1, 0.2)).toBe(f(f(0.1) - f(0.2)));
    expect(fn(exports, 'mul')(0.1, 3)).toBe(f(f(0.1) * 3));
    for (const [a, b] of [
      [1, 2],
      [2, 1],
      [2, 2],
      [NaN, 1],
    ]) {
      expect(fn(exports, 'eq')(a, b)).toBe(a === b ? 1 : 0);
      expect(fn(exports, 'lt')(a, b)).toBe(a < b ? 1 : 0);
      expect(fn(exports, 'gt')(a, b)).toBe(a > b ? 1 : 0);
      expect(fn(exports, 'le')(a, b)).toBe(a <= b ? 1 : 0);
      expect(fn(exports, 'ge')(a, b)).toBe(a >= b ? 1 : 0);
    }
    expect(fn(exports, 'demote')(0.1)).toBe(f(0.1));
    expect(fn(exports, 'convert')(-16777217)).toBe(f(-16777217));
    expect(fn(exports, 'third')()).toBe(f(1 / 3));
  });

  it('i32 extras: unsigned compares, ctz, xor, byte loads and stores', () => {
    const m = new ModuleWriter();
    for (const [name, emit] of [
      ['leU', (w: ReturnType<ModuleWriter['addFunction']>['writer']) => w.i32LeU()],
      ['gtU', (w: ReturnType<ModuleWriter['addFunction']>['writer']) => w.i32GtU()],
      ['xor', (w: ReturnType<ModuleWriter['addFunction']>['writer']) => w.i32Xor()],
    ] as const) {
      const { writer: w } = m.addFunction(name, [i32, i32], [i32]);
      w.get(w.params[0]).get(w.params[1]);
      emit(w);
    }
    const { writer: ctz } = m.addFunction('ctz', [i32], [i32]);
    ctz.get(ctz.params[0]).i32Ctz();
    // storeLoad(addr, v): mem8[addr] = v; return mem8[addr + 1] (a separate byte, untouched)
    const { writer: sl } = m.addFunction('storeLoad', [i32, i32], [i32]);
    sl.get(sl.params[0]).get(sl.params[1]).i32Store8(0);
    sl.get(sl.params[0]).i32Load8U(0);
    const { exports, memory } = instantiate(m);
    expect(fn(exports, 'leU')(-1, 1)).toBe(0);
    expect(fn(exports, 'leU')(1, 1)).toBe(1);
    expect(fn(exports, 'gtU')(-1, 1)).toBe(1);
    expect(fn(exports, 'xor')(0b1100, 0b1010)).toBe(0b0110);
    expect(fn(exports, 'ctz')(0b101000)).toBe(3);
    expect(fn(exports, 'ctz')(0)).toBe(32);
    expect(fn(exports, 'storeLoad')(10, 0x1ff)).toBe(0xff);
    expect(new Uint8Array(memory.buffer)[11]).toBe(0);
  });

  it('f32x4 and i32x4: splat, lanes, arithmetic, compares, masks', () => {
    const m = new ModuleWriter();
    // lanes(a, b): v = splat(a) · (load(0) − splat(b)) + load(0); stores v at 16; returns bitmask(v < load(0)).
    const { writer: w } = m.addFunction('lanes', [f32, f32], [i32]);
    const v = w.local(v128);
    w.get(w.params[0]).f32x4Splat();
    w.i32Const(0).v128Load().get(w.params[1]).f32x4Splat().f32x4Sub();
    w.f32x4Mul().i32Const(0).v128Load().f32x4Add().set(v);
    w.i32Const(16).get(v).v128Store();
    w.get(v).i32Const(0).v128Load().f32x4Lt().i32x4Bitmask();
    // lane(i): f32 lane i of the vector at 16, via extract_lane (unrolled by i).
    for (const lane of [0, 1, 2, 3] as const) {
      const { writer: x } = m.addFunction(`lane${lane}`, [], [f32]);
      x.i32Const(16).v128Load().f32x4ExtractLane(lane);
      const { writer: y } = m.addFunction(`ilane${lane}`, [i32], [i32]);
      y.get(y.params[0]).i32x4Splat().i32Const(32).v128Load().i32x4Eq().i32x4ExtractLane(lane);
    }
    // any(j): any lane of (load(32) == splat(j)) & load(48)
    const { writer: any } = m.addFunction('any', [i32], [i32]);
    any.i32Const(32).v128Load().get(any.params[0]).i32x4Splat().i32x4Eq().i32Const(48).v128Load().v128And().v128AnyTrue();
    const { exports, memory } = instantiate(m);
    const f32v = new Float32Array(memory.buffer, 0, 8);
    f32v.set([1, -2, 3, 0.5]);
    const mask = fn(exports, 'lanes')(2, 1);
    const f = Math.fround;
    const want = [1, -2, 3, 0.5].map((x) => f(f(2 * f(x - 1)) + x));
    expect([0, 1, 2, 3].map((l) => fn(exports, `lane${l}`)())).toEqual(want);
    expect(mask).toBe(want.reduce((acc, x, l) => acc | (x < [1, -2, 3, 0.5][l] ? 1 << l : 0), 0));
    const ints = new Int32Array(memory.buffer, 32, 8);
    ints.set([5, 7, 5, 9, 0, -1, 0, 0]);
    expect([0, 1, 2, 3].map((l) => fn(exports, `ilane${l}`)(5))).toEqual([-1, 0, -1, 0]);
    expect(fn(exports, 'any')(7)).toBe(1);
    expect(fn(exports, 'any')(5)).toBe(0);
    expect(fn(exports, 'any')(4)).toBe(0);
  });
});
