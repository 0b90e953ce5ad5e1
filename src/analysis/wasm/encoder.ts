/**
 * A tiny WebAssembly binary encoder: just enough to write small numeric kernels as readable TypeScript
 * (one method per instruction, named as in the text format) instead of shipping a compiled binary.
 *
 * Only what the kernels use is here: one imported memory, functions with i32/f64/v128 values, structured
 * control flow and the scalar and SIMD instructions listed below. Branch targets are label objects
 * returned by `block()`/`loop()`/`if_()`; the writer turns them into the relative depths the binary
 * format wants, so a kernel never counts nesting levels by hand.
 *
 * References: the WebAssembly core specification, section 5 (binary format), and the SIMD proposal's
 * BinarySIMD.md for the 0xFD-prefixed opcodes.
 */

/** Value types (binary encodings). */
export const ValType = {
  i32: 0x7f,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
} as const;
export type ValType = (typeof ValType)[keyof typeof ValType];

/** Single-byte opcodes of the core instruction set used here. */
const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  call: 0x10,
  drop: 0x1a,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  f32Load: 0x2a,
  f64Load: 0x2b,
  i32Store: 0x36,
  f32Store: 0x38,
  f64Store: 0x39,
  i32Const: 0x41,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32LeS: 0x4c,
  i32GeS: 0x4e,
  i32GeU: 0x4f,
  f64Eq: 0x61,
  f64Ne: 0x62,
  f64Lt: 0x63,
  f64Gt: 0x64,
  f64Le: 0x65,
  f64Ge: 0x66,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32DivU: 0x6e,
  i32And: 0x71,
  i32Or: 0x72,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  f64Neg: 0x9a,
  f64Sqrt: 0x9f,
  f64Add: 0xa0,
  f64Sub: 0xa1,
  f64Mul: 0xa2,
  f64Div: 0xa3,
  f64Min: 0xa4,
  f64Max: 0xa5,
  f64ConvertI32S: 0xb7,
  f64PromoteF32: 0xbb,
  // float32 scalars and a few more i32 operations (k-nearest-neighbour kernels).
  i32Load8U: 0x2d,
  i32Store8: 0x3a,
  f32Const: 0x43,
  i32LeU: 0x4d,
  i32GtU: 0x4b,
  f32Eq: 0x5b,
  f32Ne: 0x5c,
  f32Lt: 0x5d,
  f32Gt: 0x5e,
  f32Le: 0x5f,
  f32Ge: 0x60,
  i32Ctz: 0x68,
  i32Popcnt: 0x69,
  i32Xor: 0x73,
  f32Add: 0x92,
  f32Sub: 0x93,
  f32Mul: 0x94,
  f32Div: 0x95,
  f32Sqrt: 0x91,
  f32DemoteF64: 0xb6,
  f32ConvertI32S: 0xb2,
  simdPrefix: 0xfd,
} as const;

/** SIMD opcodes (after the 0xFD prefix, LEB128-encoded). */
const SimdOp = {
  v128Load: 0x00,
  v128Load32Splat: 0x09,
  v128Load64Splat: 0x0a,
  v128Store: 0x0b,
  v128Const: 0x0c,
  i8x16Shuffle: 0x0d,
  i8x16Swizzle: 0x0e,
  f64x2Splat: 0x14,
  f64x2ExtractLane: 0x21,
  f64x2Le: 0x4b,
  f64x2Ge: 0x4c,
  v128And: 0x4e,
  v128AndNot: 0x4f,
  v128Or: 0x50,
  i64x2Bitmask: 0xc4,
  f64x2ReplaceLane: 0x22,
  v128Load64Zero: 0x5d,
  f64x2PromoteLowF32x4: 0x5f,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Neg: 0xed,
  f64x2Sqrt: 0xef,
  f64x2Mul: 0xf2,
  f64x2Div: 0xf3,
  f64x2Pmin: 0xf6,
  f64x2Pmax: 0xf7,
  // f32x4 and i32x4 (k-nearest-neighbour kernels).
  i32x4Splat: 0x11,
  f32x4Splat: 0x13,
  i32x4ExtractLane: 0x1b,
  f32x4ExtractLane: 0x1f,
  i32x4Eq: 0x37,
  f32x4Eq: 0x41,
  f32x4Ne: 0x42,
  f32x4Lt: 0x43,
  v128AnyTrue: 0x53,
  i32x4Bitmask: 0xa4,
  i32x4Add: 0xae,
  i32x4Mul: 0xb5,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  // Adam's update.
  f32x4Sqrt: 0xe3,
  f32x4Div: 0xe7,
  // Sparse-input affine kernels (the encoders' fast path).
  f32x4Max: 0xe9,
  // Relaxed SIMD (fused multiply-add where the CPU has it).
  f32x4RelaxedMadd: 0x105,
} as const;

/** Block type "no result". */
const EMPTY_BLOCK = 0x40;

/** Appends the unsigned LEB128 encoding of a non-negative integer below 2³². */
export function unsignedLeb128(value: number, out: number[]): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`unsignedLeb128: ${value}`);
  let v = value;
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

/** Appends the signed LEB128 encoding of a 32-bit integer. */
export function signedLeb128(value: number, out: number[]): void {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new RangeError(`signedLeb128: ${value}`);
  let v = value;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    // Done once the remaining bits are all copies of the sign bit just written.
    const signBit = byte & 0x40;
    if ((v === 0 && signBit === 0) || (v === -1 && signBit !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

/** A UTF-8 name with its length prefix. */
function encodeName(name: string, out: number[]): void {
  const bytes = new TextEncoder().encode(name);
  unsignedLeb128(bytes.length, out);
  for (const b of bytes) out.push(b);
}

/** A branch target: opened by `block()`, `loop()` or `if_()`, closed by `end()`. */
export interface Label {
  readonly kind: 'block' | 'loop' | 'if';
}

/** A local variable (or parameter) of the function being written. */
export interface Local {
  readonly index: number;
  readonly type: ValType;
}

/**
 * Writes one function body. Parameters are the first locals, in order; `local(type)` adds more.
 * Memory instructions take a byte offset that is added to the address on the stack, and assume natural
 * alignment of the address (the hint only; misaligned access stays correct).
 */
export class FunctionWriter {
  readonly params: readonly Local[];
  private readonly extraLocals: Local[] = [];
  private readonly code: number[] = [];
  private readonly controlStack: Label[] = [];

  constructor(
    readonly paramTypes: readonly ValType[],
    readonly resultTypes: readonly ValType[],
  ) {
    this.params = paramTypes.map((type, index) => ({ index, type }));
  }

  /** Declares a further local, zero-initialised as WebAssembly guarantees. */
  local(type: ValType): Local {
    const l: Local = { index: this.paramTypes.length + this.extraLocals.length, type };
    this.extraLocals.push(l);
    return l;
  }

  private op(byte: number): this {
    this.code.push(byte);
    return this;
  }

  private simd(opcode: number): this {
    this.code.push(Op.simdPrefix);
    unsignedLeb128(opcode, this.code);
    return this;
  }

  private memarg(alignLog2: number, offset: number): this {
    unsignedLeb128(alignLog2, this.code);
    unsignedLeb128(offset, this.code);
    return this;
  }

  private depthOf(label: Label): number {
    const at = this.controlStack.lastIndexOf(label);
    if (at < 0) throw new Error('FunctionWriter: branch to a label that is not open');
    return this.controlStack.length - 1 - at;
  }

  // Control flow.
  block(): Label {
    const label: Label = { kind: 'block' };
    this.op(Op.block).op(EMPTY_BLOCK);
    this.controlStack.push(label);
    return label;
  }
  loop(): Label {
    const label: Label = { kind: 'loop' };
    this.op(Op.loop).op(EMPTY_BLOCK);
    this.controlStack.push(label);
    return label;
  }
  /** Pops an i32 condition; the body runs when it is non-zero. */
  if_(): Label {
    const label: Label = { kind: 'if' };
    this.op(Op.if).op(EMPTY_BLOCK);
    this.controlStack.push(label);
    return label;
  }
  else_(label: Label): this {
    if (this.controlStack[this.controlStack.length - 1] !== label || label.kind !== 'if') {
      throw new Error('FunctionWriter: else_ outside its if');
    }
    return this.op(Op.else);
  }
  /** Closes the innermost open label, which must be `label`. */
  end(label: Label): this {
    if (this.controlStack[this.controlStack.length - 1] !== label) {
      throw new Error('FunctionWriter: end() of a label that is not innermost');
    }
    this.controlStack.pop();
    return this.op(Op.end);
  }
  /** To the end of a block/if, or back to the start of a loop. */
  br(label: Label): this {
    this.op(Op.br);
    unsignedLeb128(this.depthOf(label), this.code);
    return this;
  }
  brIf(label: Label): this {
    this.op(Op.brIf);
    unsignedLeb128(this.depthOf(label), this.code);
    return this;
  }
  return_(): this {
    return this.op(Op.return);
  }
  call(functionIndex: number): this {
    this.op(Op.call);
    unsignedLeb128(functionIndex, this.code);
    return this;
  }
  drop(): this {
    return this.op(Op.drop);
  }
  /** Pops c, b, a: a when c ≠ 0, else b. */
  select(): this {
    return this.op(Op.select);
  }

  // Locals.
  get(l: Local): this {
    this.op(Op.localGet);
    unsignedLeb128(l.index, this.code);
    return this;
  }
  set(l: Local): this {
    this.op(Op.localSet);
    unsignedLeb128(l.index, this.code);
    return this;
  }
  tee(l: Local): this {
    this.op(Op.localTee);
    unsignedLeb128(l.index, this.code);
    return this;
  }

  // Memory.
  i32Load(offset = 0): this {
    return this.op(Op.i32Load).memarg(2, offset);
  }
  f32Load(offset = 0): this {
    return this.op(Op.f32Load).memarg(2, offset);
  }
  f64Load(offset = 0): this {
    return this.op(Op.f64Load).memarg(3, offset);
  }
  i32Store(offset = 0): this {
    return this.op(Op.i32Store).memarg(2, offset);
  }
  f32Store(offset = 0): this {
    return this.op(Op.f32Store).memarg(2, offset);
  }
  f64Store(offset = 0): this {
    return this.op(Op.f64Store).memarg(3, offset);
  }
  v128Load(offset = 0): this {
    return this.simd(SimdOp.v128Load).memarg(3, offset);
  }
  v128Store(offset = 0): this {
    return this.simd(SimdOp.v128Store).memarg(3, offset);
  }
  /** 8 bytes into lane 0, lane 1 zeroed (two float32 values, ready for promotion). */
  v128Load64Zero(offset = 0): this {
    return this.simd(SimdOp.v128Load64Zero).memarg(3, offset);
  }
  /** 4 bytes into all four 32-bit lanes. */
  v128Load32Splat(offset = 0): this {
    return this.simd(SimdOp.v128Load32Splat).memarg(2, offset);
  }
  /** 8 bytes into both 64-bit lanes. */
  v128Load64Splat(offset = 0): this {
    return this.simd(SimdOp.v128Load64Splat).memarg(3, offset);
  }

  // Constants.
  i32Const(value: number): this {
    this.op(Op.i32Const);
    signedLeb128(value, this.code);
    return this;
  }
  f64Const(value: number): this {
    this.op(Op.f64Const);
    const bytes = new Uint8Array(new Float64Array([value]).buffer);
    for (const b of bytes) this.code.push(b);
    return this;
  }
  /** A v128 of four i32 lanes. */
  i32x4Const(lanes: readonly [number, number, number, number]): this {
    this.simd(SimdOp.v128Const);
    const bytes = new Uint8Array(new Int32Array(lanes).buffer);
    for (const b of bytes) this.code.push(b);
    return this;
  }
  /** A v128 with both f64 lanes equal to `value`. */
  f64x2Const(value: number): this {
    this.simd(SimdOp.v128Const);
    const bytes = new Uint8Array(new Float64Array([value, value]).buffer);
    for (const b of bytes) this.code.push(b);
    return this;
  }

  // i32 arithmetic and comparisons.
  i32Eqz(): this {
    return this.op(Op.i32Eqz);
  }
  i32Eq(): this {
    return this.op(Op.i32Eq);
  }
  i32Ne(): this {
    return this.op(Op.i32Ne);
  }
  i32LtS(): this {
    return this.op(Op.i32LtS);
  }
  i32LtU(): this {
    return this.op(Op.i32LtU);
  }
  i32GtS(): this {
    return this.op(Op.i32GtS);
  }
  i32LeS(): this {
    return this.op(Op.i32LeS);
  }
  i32GeS(): this {
    return this.op(Op.i32GeS);
  }
  i32GeU(): this {
    return this.op(Op.i32GeU);
  }
  i32Add(): this {
    return this.op(Op.i32Add);
  }
  i32Sub(): this {
    return this.op(Op.i32Sub);
  }
  i32Mul(): this {
    return this.op(Op.i32Mul);
  }
  i32And(): this {
    return this.op(Op.i32And);
  }
  i32Or(): this {
    return this.op(Op.i32Or);
  }
  i32Shl(): this {
    return this.op(Op.i32Shl);
  }
  i32ShrU(): this {
    return this.op(Op.i32ShrU);
  }

  // f64 arithmetic and comparisons (comparisons push an i32 0/1).
  f64Eq(): this {
    return this.op(Op.f64Eq);
  }
  f64Ne(): this {
    return this.op(Op.f64Ne);
  }
  f64Lt(): this {
    return this.op(Op.f64Lt);
  }
  f64Gt(): this {
    return this.op(Op.f64Gt);
  }
  f64Le(): this {
    return this.op(Op.f64Le);
  }
  f64Ge(): this {
    return this.op(Op.f64Ge);
  }
  f64Neg(): this {
    return this.op(Op.f64Neg);
  }
  f64Sqrt(): this {
    return this.op(Op.f64Sqrt);
  }
  f64Add(): this {
    return this.op(Op.f64Add);
  }
  f64Sub(): this {
    return this.op(Op.f64Sub);
  }
  f64Mul(): this {
    return this.op(Op.f64Mul);
  }
  f64Div(): this {
    return this.op(Op.f64Div);
  }
  f64ConvertI32S(): this {
    return this.op(Op.f64ConvertI32S);
  }
  f64PromoteF32(): this {
    return this.op(Op.f64PromoteF32);
  }

  // SIMD (f64x2).
  f64x2Splat(): this {
    return this.simd(SimdOp.f64x2Splat);
  }
  f64x2ExtractLane(lane: 0 | 1): this {
    this.simd(SimdOp.f64x2ExtractLane);
    this.code.push(lane);
    return this;
  }
  f64x2ReplaceLane(lane: 0 | 1): this {
    this.simd(SimdOp.f64x2ReplaceLane);
    this.code.push(lane);
    return this;
  }
  /** The two low float32 lanes, widened exactly to float64. */
  f64x2PromoteLowF32x4(): this {
    return this.simd(SimdOp.f64x2PromoteLowF32x4);
  }
  f64x2Add(): this {
    return this.simd(SimdOp.f64x2Add);
  }
  /** Per lane all ones where a ≤ b (pops b, a), else zeros. */
  f64x2Le(): this {
    return this.simd(SimdOp.f64x2Le);
  }
  /** Per lane all ones where a ≥ b (pops b, a), else zeros. */
  f64x2Ge(): this {
    return this.simd(SimdOp.f64x2Ge);
  }
  v128Or(): this {
    return this.simd(SimdOp.v128Or);
  }
  /** The top bit of each 64-bit lane as an i32: lane 0 in bit 0, lane 1 in bit 1. */
  i64x2Bitmask(): this {
    return this.simd(SimdOp.i64x2Bitmask);
  }
  f64x2Sub(): this {
    return this.simd(SimdOp.f64x2Sub);
  }
  f64x2Mul(): this {
    return this.simd(SimdOp.f64x2Mul);
  }
  f64x2Neg(): this {
    return this.simd(SimdOp.f64x2Neg);
  }
  /** Per lane square root, correctly rounded as f64.sqrt. */
  f64x2Sqrt(): this {
    return this.simd(SimdOp.f64x2Sqrt);
  }
  /** Pops b, a: the 16 bytes `lanes` picks from a (0–15) and b (16–31). */
  i8x16Shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16 || lanes.some((lane) => !Number.isInteger(lane) || lane < 0 || lane > 31)) {
      throw new RangeError('i8x16.shuffle takes 16 lane indices in 0…31');
    }
    this.simd(SimdOp.i8x16Shuffle);
    for (const lane of lanes) this.code.push(lane);
    return this;
  }
  /** Pops b, a: a with its two f64 lanes swapped (i8x16.shuffle picking only from a; push a twice). */
  f64x2SwapLanes(): this {
    this.simd(SimdOp.i8x16Shuffle);
    for (let byte = 8; byte < 16; byte++) this.code.push(byte);
    for (let byte = 0; byte < 8; byte++) this.code.push(byte);
    return this;
  }
  f64x2Div(): this {
    return this.simd(SimdOp.f64x2Div);
  }
  /** Pops b, a: a & b, bitwise. */
  v128And(): this {
    return this.simd(SimdOp.v128And);
  }
  /** Pops b, a: a & ~b, bitwise. */
  v128AndNot(): this {
    return this.simd(SimdOp.v128AndNot);
  }
  /** Pops b, a: per lane `b < a ? b : a` (so pmin(m, v) is exactly `v < m ? v : m`). */
  f64x2Pmin(): this {
    return this.simd(SimdOp.f64x2Pmin);
  }
  /** Pops b, a: per lane `a < b ? b : a` (so pmax(0, v) is exactly `v > 0 ? v : 0`, NaN included). */
  f64x2Pmax(): this {
    return this.simd(SimdOp.f64x2Pmax);
  }

  // float32 scalars, more i32, f32x4 and i32x4 (used by the k-nearest-neighbour kernels).
  i32Load8U(offset = 0): this {
    return this.op(Op.i32Load8U).memarg(0, offset);
  }
  /** Pops value, address: stores the low byte of the i32 value. */
  i32Store8(offset = 0): this {
    return this.op(Op.i32Store8).memarg(0, offset);
  }
  f32Const(value: number): this {
    this.op(Op.f32Const);
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    for (const b of bytes) this.code.push(b);
    return this;
  }
  i32LeU(): this {
    return this.op(Op.i32LeU);
  }
  i32GtU(): this {
    return this.op(Op.i32GtU);
  }
  /** Number of trailing zero bits (32 for 0). */
  i32Popcnt(): this {
    return this.op(Op.i32Popcnt);
  }
  i32Ctz(): this {
    return this.op(Op.i32Ctz);
  }
  i32Xor(): this {
    return this.op(Op.i32Xor);
  }
  f32Eq(): this {
    return this.op(Op.f32Eq);
  }
  f32Lt(): this {
    return this.op(Op.f32Lt);
  }
  f32Gt(): this {
    return this.op(Op.f32Gt);
  }
  f32Le(): this {
    return this.op(Op.f32Le);
  }
  f32Ge(): this {
    return this.op(Op.f32Ge);
  }
  f32Add(): this {
    return this.op(Op.f32Add);
  }
  f32Sub(): this {
    return this.op(Op.f32Sub);
  }
  f32Mul(): this {
    return this.op(Op.f32Mul);
  }
  /** a / b, correctly rounded (pops b, a). */
  f32Div(): this {
    return this.op(Op.f32Div);
  }
  /** √a, correctly rounded. */
  f32Sqrt(): this {
    return this.op(Op.f32Sqrt);
  }
  /** A signed i32 to the nearest float32. */
  f32ConvertI32S(): this {
    return this.op(Op.f32ConvertI32S);
  }
  /** float64 to the nearest float32. */
  f32DemoteF64(): this {
    return this.op(Op.f32DemoteF64);
  }
  i32x4Splat(): this {
    return this.simd(SimdOp.i32x4Splat);
  }
  f32x4Splat(): this {
    return this.simd(SimdOp.f32x4Splat);
  }
  i32x4ExtractLane(lane: 0 | 1 | 2 | 3): this {
    this.simd(SimdOp.i32x4ExtractLane);
    this.code.push(lane);
    return this;
  }
  f32x4ExtractLane(lane: 0 | 1 | 2 | 3): this {
    this.simd(SimdOp.f32x4ExtractLane);
    this.code.push(lane);
    return this;
  }
  /** Per lane all ones where a = b (pops b, a). */
  i32x4Eq(): this {
    return this.simd(SimdOp.i32x4Eq);
  }
  /** Per lane all ones where a = b (pops b, a); false where either is NaN. */
  f32x4Eq(): this {
    return this.simd(SimdOp.f32x4Eq);
  }
  /** Per lane all ones where a ≠ b (pops b, a); true where either is NaN. */
  f32x4Ne(): this {
    return this.simd(SimdOp.f32x4Ne);
  }
  i32x4Add(): this {
    return this.simd(SimdOp.i32x4Add);
  }
  /** Per lane a·b modulo 2³². */
  i32x4Mul(): this {
    return this.simd(SimdOp.i32x4Mul);
  }
  /** Byte m of the result is byte s[m] of a, or 0 where s[m] ≥ 16 (pops s, a). */
  i8x16Swizzle(): this {
    return this.simd(SimdOp.i8x16Swizzle);
  }
  /** Per lane all ones where a < b (pops b, a); false where either is NaN. */
  f32x4Lt(): this {
    return this.simd(SimdOp.f32x4Lt);
  }
  /** 1 if any bit of the v128 is set, else 0. */
  v128AnyTrue(): this {
    return this.simd(SimdOp.v128AnyTrue);
  }
  /** The top bit of each 32-bit lane as an i32: lane m in bit m. */
  i32x4Bitmask(): this {
    return this.simd(SimdOp.i32x4Bitmask);
  }
  f32x4Add(): this {
    return this.simd(SimdOp.f32x4Add);
  }
  f32x4Sub(): this {
    return this.simd(SimdOp.f32x4Sub);
  }
  f32x4Mul(): this {
    return this.simd(SimdOp.f32x4Mul);
  }
  /**
   * Per lane a·b + c (pops c, b, a), relaxed SIMD: fused (one rounding) where the CPU has FMA, else a
   * rounded product and a rounded sum. Modules using it validate only where relaxed SIMD is enabled.
   */
  f32x4RelaxedMadd(): this {
    return this.simd(SimdOp.f32x4RelaxedMadd);
  }
  /** Per lane a / b, correctly rounded (pops b, a). */
  f32x4Div(): this {
    return this.simd(SimdOp.f32x4Div);
  }
  /** Per lane √a, correctly rounded. */
  f32x4Sqrt(): this {
    return this.simd(SimdOp.f32x4Sqrt);
  }
  /** Per lane the larger of a and b, NaN if either is NaN, +0 over −0 (pops b, a). */
  f32x4Max(): this {
    return this.simd(SimdOp.f32x4Max);
  }
  /** 1 where a ≠ b, also where either is NaN (pops b, a). */
  f32Ne(): this {
    return this.op(Op.f32Ne);
  }
  /** Unsigned integer division (pops b, a); traps on b = 0. */
  i32DivU(): this {
    return this.op(Op.i32DivU);
  }

  /** The body as the code section wants it: size, local declarations, instructions, `end`. */
  encodeBody(): Uint8Array<ArrayBuffer> {
    if (this.controlStack.length !== 0) throw new Error('FunctionWriter: unclosed block at the end of the body');
    const locals: number[] = [];
    // Runs of equal types share one declaration.
    const groups: { count: number; type: ValType }[] = [];
    for (const l of this.extraLocals) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last.type === l.type) last.count++;
      else groups.push({ count: 1, type: l.type });
    }
    unsignedLeb128(groups.length, locals);
    for (const g of groups) {
      unsignedLeb128(g.count, locals);
      locals.push(g.type);
    }
    const size: number[] = [];
    unsignedLeb128(locals.length + this.code.length + 1, size);
    return concatBytes([size, locals, this.code, [Op.end]]);
  }
}

/**
 * Opens `while (counter < limit) {` (signed compare) in `w`; the caller writes the body, which advances the
 * counter, then calls `close()`. The one loop shape every kernel here uses.
 */
export function whileLess(w: FunctionWriter, counter: Local, limit: Local): { close: () => void } {
  const exit = w.block();
  const top = w.loop();
  w.get(counter).get(limit).i32GeS().brIf(exit);
  return {
    close: () => {
      w.br(top);
      w.end(top);
      w.end(exit);
    },
  };
}

/** Bytes as the writers collect them (numbers 0–255) or as an encoded body. */
type ByteRun = readonly number[] | Uint8Array;

/**
 * The runs one after the other in one array. Bulk copies: the writers run once per worker, before any of it is
 * optimised, and a copy byte by byte took milliseconds of a kernel module's generation.
 */
function concatBytes(runs: readonly ByteRun[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(runs.reduce((sum, run) => sum + run.length, 0));
  let at = 0;
  for (const run of runs) {
    out.set(run, at);
    at += run.length;
  }
  return out;
}

/** One exported function of a {@link ModuleWriter}. */
interface ExportedFunction {
  readonly name: string;
  readonly writer: FunctionWriter;
}

/**
 * A module that imports one linear memory as `env.memory` and defines exported functions. Functions are
 * numbered in the order they are added (there are no imported functions), so `call(index)` can refer to
 * any of them, earlier or later.
 */
export class ModuleWriter {
  private readonly functions: ExportedFunction[] = [];

  /**
   * @param sharedMemory import a shared memory (limits 1 page to the 4 GiB maximum, as a threaded module's
   * memory is declared) instead of a plain one; an instance then works on another module's shared memory
   */
  constructor(private readonly sharedMemory = false) {}

  /** Starts a new exported function; returns its writer and its index for `call`. */
  addFunction(name: string, params: readonly ValType[], results: readonly ValType[]): { writer: FunctionWriter; index: number } {
    const writer = new FunctionWriter(params, results);
    this.functions.push({ name, writer });
    return { writer, index: this.functions.length - 1 };
  }

  /** The complete binary module. */
  encode(): Uint8Array<ArrayBuffer> {
    const parts: ByteRun[] = [[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]];
    const section = (id: number, ...content: ByteRun[]): void => {
      const head = [id];
      unsignedLeb128(content.reduce((sum, run) => sum + run.length, 0), head);
      parts.push(head, ...content);
    };

    // Type section: one signature per function (duplicates are allowed and keep this simple).
    const types: number[] = [];
    unsignedLeb128(this.functions.length, types);
    for (const { writer } of this.functions) {
      types.push(0x60);
      unsignedLeb128(writer.paramTypes.length, types);
      for (const t of writer.paramTypes) types.push(t);
      unsignedLeb128(writer.resultTypes.length, types);
      for (const t of writer.resultTypes) types.push(t);
    }
    section(1, types);

    // Import section: env.memory, minimum 1 page, no maximum (the instance takes whatever memory it gets); a
    // shared memory must declare a maximum, and any shared memory's maximum is at most 65,536 pages.
    const imports: number[] = [];
    unsignedLeb128(1, imports);
    encodeName('env', imports);
    encodeName('memory', imports);
    imports.push(0x02, this.sharedMemory ? 0x03 : 0x00);
    unsignedLeb128(1, imports);
    if (this.sharedMemory) unsignedLeb128(65536, imports);
    section(2, imports);

    // Function section: function i has type i.
    const funcs: number[] = [];
    unsignedLeb128(this.functions.length, funcs);
    this.functions.forEach((_, i) => unsignedLeb128(i, funcs));
    section(3, funcs);

    // Export section.
    const exports: number[] = [];
    unsignedLeb128(this.functions.length, exports);
    this.functions.forEach(({ name }, i) => {
      encodeName(name, exports);
      exports.push(0x00);
      unsignedLeb128(i, exports);
    });
    section(7, exports);

    // Code section.
    const count: number[] = [];
    unsignedLeb128(this.functions.length, count);
    section(10, count, ...this.functions.map(({ writer }) => writer.encodeBody()));

    return concatBytes(parts);
  }
}

/**
 * Compiled kernel modules of one kind, by key: each compiled once per worker, on first use. A module is null where
 * WebAssembly or its SIMD is missing (`validate` is false) or compiling failed, and the caller then runs its
 * JavaScript. Synchronous on purpose: the modules are a few kilobytes and are compiled in workers.
 */
export class ModuleCache {
  private readonly modules = new Map<string | number, WebAssembly.Module | null>();

  /**
   * The compiled module for `key`, or null where it cannot run.
   * @param bytesOf the module's binary (only called on a cache miss)
   */
  get(key: string | number, bytesOf: () => Uint8Array<ArrayBuffer>): WebAssembly.Module | null {
    const cached = this.modules.get(key);
    if (cached !== undefined) return cached;
    let module: WebAssembly.Module | null = null;
    try {
      if (typeof WebAssembly === 'object') {
        const bytes = bytesOf();
        if (WebAssembly.validate(bytes)) module = new WebAssembly.Module(bytes);
      }
    } catch {
      module = null;
    }
    this.modules.set(key, module);
    return module;
  }
}

/**
 * An instance of `module` on a fresh memory of at least `bytes` bytes (imported as env.memory), with its exports
 * checked by `isExports`; null where that memory cannot be had (kernel addresses are i32: it must stay under 2 GiB)
 * or the instance fails. The memory never grows, so views of it stay attached.
 */
export function instantiateKernels<E extends WebAssembly.Exports>(
  module: WebAssembly.Module,
  bytes: number,
  isExports: (exports: WebAssembly.Exports) => exports is E,
): { exports: E; memory: WebAssembly.Memory } | null {
  if (bytes >= 2 ** 31) return null;
  try {
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    return isExports(exports) ? { exports, memory } : null;
  } catch {
    return null;
  }
}

/**
 * The kernels of a module built by `bytesOf(shared)`, instantiated on another module's `memory` (shared, as in
 * threaded tfjs-wasm, or plain), each kind compiled once; null where WebAssembly SIMD is missing or the instance
 * fails.
 */
export function kernelsOnMemory<E extends WebAssembly.Exports>(
  modules: ModuleCache,
  memory: WebAssembly.Memory,
  bytesOf: (shared: boolean) => Uint8Array<ArrayBuffer>,
  isExports: (exports: WebAssembly.Exports) => exports is E,
): E | null {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const module = modules.get(shared ? 'shared' : 'plain', () => bytesOf(shared));
  if (!module) return null;
  try {
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    return isExports(exports) ? exports : null;
  } catch {
    return null;
  }
}

/** The kernels of a module built by `bytesOf(false)` on a fresh plain memory of `bytes` bytes (for tests), or null. */
export function standaloneKernels<E extends WebAssembly.Exports>(
  modules: ModuleCache,
  bytes: number,
  bytesOf: (shared: boolean) => Uint8Array<ArrayBuffer>,
  isExports: (exports: WebAssembly.Exports) => exports is E,
): { exports: E; memory: WebAssembly.Memory } | null {
  const module = modules.get('plain', () => bytesOf(false));
  return module ? instantiateKernels(module, bytes, isExports) : null;
}
