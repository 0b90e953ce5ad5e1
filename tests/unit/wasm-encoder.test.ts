import { describe, expect, it } from 'vitest';
import { ModuleWriter, signedLeb128, unsignedLeb128, ValType } from '../../src/analysis/wasm/encoder';

function leb(fn: (v: number, out: number[]) => void, v: number): number[] {
  const out: number[] = [];
  fn(v, out);
  return out;
}

/** Instantiates a module whose only import is env.memory. */
function instantiate(bytes: Uint8Array<ArrayBuffer>, pages = 1): { exports: WebAssembly.Exports; memory: WebAssembly.Memory } {
  const memory = new WebAssembly.Memory({ initial: pages });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return { exports: instance.exports, memory };
}

function callable(exports: WebAssembly.Exports, name: string): (...args: number[]) => number {
  const f = exports[name];
  if (typeof f !== 'function') throw new Error(`export ${name} is not a function`);
  return (...args: number[]) => Number(f(...args));
}

describe('WebAssembly encoder', () => {
  it('writes LEB128 as the specification’s examples', () => {
    expect(leb(unsignedLeb128, 0)).toEqual([0x00]);
    expect(leb(unsignedLeb128, 127)).toEqual([0x7f]);
    expect(leb(unsignedLeb128, 128)).toEqual([0x80, 0x01]);
    expect(leb(unsignedLeb128, 624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(leb(unsignedLeb128, 0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(leb(signedLeb128, 0)).toEqual([0x00]);
    expect(leb(signedLeb128, 63)).toEqual([0x3f]);
    expect(leb(signedLeb128, 64)).toEqual([0xc0, 0x00]);
    expect(leb(signedLeb128, -1)).toEqual([0x7f]);
    expect(leb(signedLeb128, -64)).toEqual([0x40]);
    expect(leb(signedLeb128, -65)).toEqual([0xbf, 0x7f]);
    expect(leb(signedLeb128, -123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(() => leb(unsignedLeb128, -1)).toThrow(RangeError);
    expect(() => leb(signedLeb128, 2 ** 31)).toThrow(RangeError);
  });

  it('builds a module with loops, branches, memory and calls that runs as written', () => {
    const m = new ModuleWriter();
    // sum(ptr, n): Σ of n float64 values at ptr, in order.
    const { writer: sum, index: sumIndex } = m.addFunction('sum', [ValType.i32, ValType.i32], [ValType.f64]);
    {
      const [ptr, n] = sum.params;
      const i = sum.local(ValType.i32);
      const acc = sum.local(ValType.f64);
      const done = sum.block();
      const top = sum.loop();
      sum.get(i).get(n).i32GeS().brIf(done);
      sum.get(acc).get(ptr).get(i).i32Const(3).i32Shl().i32Add().f64Load().f64Add().set(acc);
      sum.get(i).i32Const(1).i32Add().set(i);
      sum.br(top);
      sum.end(top);
      sum.end(done);
      sum.get(acc);
    }
    // twiceSum(ptr, n) = 2 · sum(ptr, n), through a call; negative n gives −1 through if/else.
    const { writer: twice } = m.addFunction('twiceSum', [ValType.i32, ValType.i32], [ValType.f64]);
    {
      const [ptr, n] = twice.params;
      const out = twice.local(ValType.f64);
      twice.get(n).i32Const(0).i32LtS();
      const negative = twice.if_();
      twice.f64Const(-1).set(out);
      twice.else_(negative);
      twice.get(ptr).get(n).call(sumIndex).f64Const(2).f64Mul().set(out);
      twice.end(negative);
      twice.get(out);
    }
    // pairSum(ptr): lanes of one f64x2 load, added.
    const { writer: pair } = m.addFunction('pairSum', [ValType.i32], [ValType.f64]);
    {
      const [ptr] = pair.params;
      const v = pair.local(ValType.v128);
      pair.get(ptr).v128Load().set(v);
      pair.get(v).f64x2ExtractLane(0).get(v).f64x2ExtractLane(1).f64Add();
    }
    const bytes = m.encode();
    expect(WebAssembly.validate(bytes)).toBe(true);
    const { exports, memory } = instantiate(bytes);
    new Float64Array(memory.buffer, 64, 5).set([1.5, 2, -4, 8, 0.25]);
    expect(callable(exports, 'sum')(64, 5)).toBe(7.75);
    expect(callable(exports, 'twiceSum')(64, 4)).toBe(15);
    expect(callable(exports, 'twiceSum')(64, -2)).toBe(-1);
    expect(callable(exports, 'pairSum')(72)).toBe(-2);
  });

  it('refuses branches to closed labels and unbalanced blocks', () => {
    const m = new ModuleWriter();
    const { writer: w } = m.addFunction('f', [], []);
    const outer = w.block();
    const inner = w.block();
    expect(() => w.end(outer)).toThrow(/not innermost/);
    w.end(inner);
    expect(() => w.br(inner)).toThrow(/not open/);
    expect(() => m.encode()).toThrow(/unclosed/);
  });
});
