/**
 * A WebAssembly SIMD kernel for an encoder layer on the CPU: out[r] = act(bias + Σ_t x[r, t] · W[t]) over
 * the nonzero x[r, t] only. MNIST images are ~81% zero pixels and the ReLU layers after them about half
 * zero, so skipping zeros does a fifth to a half of a dense product's work; a zero input adds ±0 to a sum
 * that starts at the bias, so the result is the dense product's up to the order of float32 additions.
 *
 * Per row: the nonzero inputs are first listed (their value and the byte offset of their weight row), four
 * inputs at a time where the row allows (one compare, then a swizzle from {@link packTable} packs the nonzero
 * ones to the front, with no branch: a sixth less time for the CNN encoder than one input at a time); then,
 * 24 output columns at a time, six f32x4 accumulators run over that list with one splat, six loads, six
 * multiplies and six adds per input. (Eight accumulators ran 1.5× slower in V8: with the splat and the
 * loaded values they no longer fit the 16 SIMD registers and spill.) Sums start at the bias and add the products in increasing t,
 * each product and each sum rounded to float32 (no fused multiply-add), exactly as
 * {@link sparseAffineReference} does in JavaScript, so the two agree bit for bit.
 *
 * Rows are read through a small geometry so the same kernel does both layer kinds of the encoders:
 * a dense layer's row is one image vector; a kernel-2 / stride-2 convolution's row is one 2×2 patch of an
 * NHWC image, two runs of 2·c contiguous values (top and bottom pixel pairs) — the space-to-depth
 * rearrangement happens in the listing, never in memory.
 */

import { instantiateKernels, type Local, ModuleCache, ModuleWriter, ValType, whileLess } from '../../analysis/wasm/encoder';

const { i32, v128 } = ValType;

/** Where row r of a layer's input lies: see {@link rowAddress}. Byte sizes except where named floats. */
export interface RowGeometry {
  /** Rows per image (1 for a dense layer; ho·wo patches for a convolution). */
  rowsPerImage: number;
  /** Patches per patch row (1 for a dense layer). */
  rowWidth: number;
  imageBytes: number;
  /** Bytes from one patch row to the next. */
  lineBytes: number;
  /** Bytes from one patch to the next along a patch row. */
  pixBytes: number;
  /** Floats in the first and second run of a row, and the bytes from the first run's start to the second's. */
  run0: number;
  run1: number;
  runStride: number;
}

/** The geometry of a dense layer on K-value rows. */
export function denseGeometry(k: number): RowGeometry {
  return { rowsPerImage: 1, rowWidth: 1, imageBytes: 4 * k, lineBytes: 0, pixBytes: 0, run0: k, run1: 0, runStride: 0 };
}

/** The geometry of a kernel-2 / stride-2 convolution on [h, w, c] images (h, w even): one row per 2×2 patch. */
export function patchGeometry(h: number, w: number, c: number): RowGeometry {
  return {
    rowsPerImage: (h / 2) * (w / 2),
    rowWidth: w / 2,
    imageBytes: 4 * h * w * c,
    lineBytes: 4 * 2 * w * c,
    pixBytes: 4 * 2 * c,
    run0: 2 * c,
    run1: 2 * c,
    runStride: 4 * w * c,
  };
}

/** Byte offset of row r's first run from the start of the input. */
export function rowAddress(g: RowGeometry, r: number): number {
  const image = Math.floor(r / g.rowsPerImage);
  const q = r - image * g.rowsPerImage;
  const y = Math.floor(q / g.rowWidth);
  return image * g.imageBytes + y * g.lineBytes + (q - y * g.rowWidth) * g.pixBytes;
}

/**
 * The kernel's arithmetic in JavaScript (float32 throughout): the fallback and the tests' reference.
 * `x`, `w` (K×n row-major, K = run0 + run1), `bias` (n) and `out` (rows × outStride) are float32 arrays;
 * `relu` applies max(·, 0) (NaN stays NaN).
 */
export function sparseAffineReference(
  g: RowGeometry,
  rowStart: number,
  rowEnd: number,
  n: number,
  outStride: number,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  out: Float32Array,
  relu: boolean,
): void {
  const k = g.run0 + g.run1;
  const values = new Float32Array(k);
  const rows = new Int32Array(k);
  const acc = new Float32Array(n);
  for (let r = rowStart; r < rowEnd; r++) {
    const at = rowAddress(g, r) / 4;
    let count = 0;
    for (let t = 0; t < k; t++) {
      const v = t < g.run0 ? x[at + t] : x[at + g.runStride / 4 + t - g.run0];
      if (v !== 0) {
        values[count] = v;
        rows[count++] = t * n;
      }
    }
    acc.set(bias.subarray(0, n));
    for (let e = 0; e < count; e++) {
      const v = values[e];
      const o = rows[e];
      for (let j = 0; j < n; j++) acc[j] = acc[j] + Math.fround(v * w[o + j]);
    }
    const base = r * outStride;
    for (let j = 0; j < n; j++) out[base + j] = relu ? Math.max(acc[j], 0) : acc[j];
  }
}

/** Rows listed, then multiplied, together: each column slice of the weights is read once per block from the cache. */
export const ROW_BLOCK = 16;

/**
 * `affine(rowStart, rowEnd, rowsPerImage, rowWidth, imageBytes, lineBytes, pixBytes, run0, run1, runStride,
 *  n, outStride, x, w, bias, out, list, relu)`: byte addresses for x, w, bias, out and `list` (scratch of
 * {@link listFloats} floats); n a multiple of 4; outStride in floats.
 *
 * Rows go in blocks of {@link ROW_BLOCK}: all rows of a block are listed first (row b's list at
 * list + b·8K: K weight-row offsets, then K values; its end at ends[b], after the lists), then each column
 * slice runs over every row of the block, so that the slice's weights stay in cache across the block
 * instead of the whole weight matrix streaming through it once per row.
 */
function writeAffine(m: ModuleWriter): void {
  const params = Array.from({ length: 19 }, () => i32);
  const { writer: w } = m.addFunction('affine', params, []);
  const [rowStart, rowEnd, rowsPerImage, rowWidth, imageBytes, lineBytes, pixBytes, run0, run1, runStride, n, outStride, x, wts, bias, out, list, relu, packTable] = w.params;
  const nBytes = w.local(i32);
  const outBytes = w.local(i32);
  const listBytes = w.local(i32);
  const valuesOffset = w.local(i32);
  const ends = w.local(i32);
  const blockEnd = w.local(i32);
  const r = w.local(i32);
  const image = w.local(i32);
  const q = w.local(i32);
  const y = w.local(i32);
  const src = w.local(i32);
  const a = w.local(i32);
  const end = w.local(i32);
  const weightRow = w.local(i32);
  const listAt = w.local(i32);
  const listEnd = w.local(i32);
  const v = w.local(ValType.f32);
  const c = w.local(i32);
  const e = w.local(i32);
  const row = w.local(i32);
  const base = w.local(i32);
  const s = w.local(v128);
  const zero = w.local(v128);
  const acc = Array.from({ length: 6 }, () => w.local(v128));
  const chunkEnd = w.local(i32);
  const mask = w.local(i32);
  const chunkBytes = w.local(i32);
  const values = w.local(v128);
  const pack = w.local(v128);
  const laneStep = w.local(v128);

  w.get(n).i32Const(2).i32Shl().set(nBytes);
  w.get(outStride).i32Const(2).i32Shl().set(outBytes);
  // Four inputs' weight rows are 4·nBytes apart; within a chunk, lane m's is m·nBytes after the first.
  w.get(nBytes).i32Const(2).i32Shl().set(chunkBytes);
  w.get(nBytes).i32x4Splat().i32x4Const([0, 1, 2, 3]).i32x4Mul().set(laneStep);
  w.get(run0).get(run1).i32Add().i32Const(2).i32Shl().tee(valuesOffset).i32Const(1).i32Shl().set(listBytes);
  w.get(listBytes).i32Const(ROW_BLOCK).i32Mul().get(list).i32Add().set(ends);

  const blocks = whileLess(w, rowStart, rowEnd);
  w.get(rowStart).i32Const(ROW_BLOCK).i32Add().set(blockEnd);
  w.get(blockEnd).get(rowEnd).get(blockEnd).get(rowEnd).i32LtS().select().set(blockEnd);
  // Row r's list starts at list + (r − rowStart)·listBytes; its end goes to ends[r − rowStart].
  const listStartOf = (): void => {
    w.get(r).get(rowStart).i32Sub().get(listBytes).i32Mul().get(list).i32Add();
  };
  const endSlotOf = (): void => {
    w.get(r).get(rowStart).i32Sub().i32Const(2).i32Shl().get(ends).i32Add();
  };

  w.get(rowStart).set(r);
  const listing = whileLess(w, r, blockEnd);
  // src = x + image·imageBytes + y·lineBytes + (q − y·rowWidth)·pixBytes.
  w.get(r).get(rowsPerImage).i32DivU().set(image);
  w.get(r).get(image).get(rowsPerImage).i32Mul().i32Sub().set(q);
  w.get(q).get(rowWidth).i32DivU().set(y);
  w.get(x).get(image).get(imageBytes).i32Mul().i32Add();
  w.get(y).get(lineBytes).i32Mul().i32Add();
  w.get(q).get(y).get(rowWidth).i32Mul().i32Sub().get(pixBytes).i32Mul().i32Add().set(src);
  // List the nonzero inputs of both runs: always write, advance only past a nonzero (no branch).
  listStartOf();
  w.set(listEnd);
  w.i32Const(0).set(weightRow);
  const listRun = (startOffset: Local | null, floats: Local): void => {
    w.get(src);
    if (startOffset) w.get(startOffset).i32Add();
    w.tee(a).get(floats).i32Const(2).i32Shl().i32Add().set(end);
    // Whole chunks of four: compare all four with zero, then pack the nonzero ones (values and weight-row
    // offsets, in order) to the front of a vector with the table's swizzle for that mask, store all four
    // lanes and advance past the nonzero ones. A chunk of zeros writes and advances nothing; the stores past
    // the end are overwritten by the next chunk or lie past the list's end.
    w.get(a).get(floats).i32Const(-4).i32And().i32Const(2).i32Shl().i32Add().set(chunkEnd);
    const chunks = whileLess(w, a, chunkEnd);
    w.get(a).v128Load().tee(values).get(zero).f32x4Ne().i32x4Bitmask().set(mask);
    w.get(packTable).get(mask).i32Const(4).i32Shl().i32Add().v128Load().set(pack);
    w.get(listEnd).get(valuesOffset).i32Add().get(values).get(pack).i8x16Swizzle().v128Store();
    w.get(listEnd).get(weightRow).i32x4Splat().get(laneStep).i32x4Add().get(pack).i8x16Swizzle().v128Store();
    w.get(listEnd).get(mask).i32Popcnt().i32Const(2).i32Shl().i32Add().set(listEnd);
    w.get(weightRow).get(chunkBytes).i32Add().set(weightRow);
    w.get(a).i32Const(16).i32Add().set(a);
    chunks.close();
    // The rest one at a time: always write, advance only past a nonzero (no branch).
    const elements = whileLess(w, a, end);
    w.get(a).f32Load().set(v);
    w.get(listEnd).get(weightRow).i32Store();
    w.get(listEnd).get(valuesOffset).i32Add().get(v).f32Store();
    w.get(listEnd).get(v).f32Const(0).f32Ne().i32Const(2).i32Shl().i32Add().set(listEnd);
    w.get(weightRow).get(nBytes).i32Add().set(weightRow);
    w.get(a).i32Const(4).i32Add().set(a);
    elements.close();
  };
  listRun(null, run0);
  listRun(runStride, run1);
  endSlotOf();
  w.get(listEnd).i32Store();
  w.get(r).i32Const(1).i32Add().set(r);
  listing.close();

  // Output columns in slices of 6, then 4, 2 and 1 vectors (n is a multiple of 4); each slice over every row.
  w.i32Const(0).set(c);
  const slice = (vectors: number): void => {
    const exit = w.block();
    const top = w.loop();
    w.get(c).i32Const(16 * vectors).i32Add().get(nBytes).i32GtS().brIf(exit);
    w.get(wts).get(c).i32Add().set(base);
    w.get(rowStart).set(r);
    const blockRows = whileLess(w, r, blockEnd);
    for (let k = 0; k < vectors; k++) w.get(bias).get(c).i32Add().v128Load(16 * k).set(acc[k]);
    listStartOf();
    w.set(e);
    endSlotOf();
    w.i32Load().set(listAt);
    const inputs = whileLess(w, e, listAt);
    w.get(e).get(valuesOffset).i32Add().v128Load32Splat().set(s);
    w.get(e).i32Load().get(base).i32Add().set(row);
    for (let k = 0; k < vectors; k++) w.get(acc[k]).get(s).get(row).v128Load(16 * k).f32x4Mul().f32x4Add().set(acc[k]);
    w.get(e).i32Const(4).i32Add().set(e);
    inputs.close();
    w.get(relu);
    const rectify = w.if_();
    for (let k = 0; k < vectors; k++) w.get(acc[k]).get(zero).f32x4Max().set(acc[k]);
    w.end(rectify);
    w.get(out).get(r).get(outBytes).i32Mul().i32Add().get(c).i32Add().set(row);
    for (let k = 0; k < vectors; k++) w.get(row).get(acc[k]).v128Store(16 * k);
    w.get(r).i32Const(1).i32Add().set(r);
    blockRows.close();
    w.get(c).i32Const(16 * vectors).i32Add().set(c);
    w.br(top);
    w.end(top);
    w.end(exit);
  };
  slice(6);
  slice(4);
  slice(2);
  slice(1);
  w.get(blockEnd).set(rowStart);
  blocks.close();
}

const PACK_TABLE_BYTES = 16 * 16;

/**
 * For each 4-bit mask of a chunk's nonzero lanes, the i8x16.swizzle indices that move those lanes (4 bytes
 * each), in order, to the front of a vector; the other bytes are 0x80, which swizzle turns into zeros.
 */
export function packTable(): Uint8Array {
  const table = new Uint8Array(PACK_TABLE_BYTES).fill(0x80);
  for (let mask = 0; mask < 16; mask++) {
    let to = 0;
    for (let lane = 0; lane < 4; lane++) {
      if ((mask & (1 << lane)) === 0) continue;
      for (let b = 0; b < 4; b++) table[16 * mask + 4 * to + b] = 4 * lane + b;
      to++;
    }
  }
  return table;
}

/** Floats of listing scratch the kernel needs for rows of K inputs. */
export function listFloats(k: number): number {
  return ROW_BLOCK * 2 * k + ROW_BLOCK;
}

/** The module's bytes. */
export function sparseAffineModuleBytes(): Uint8Array<ArrayBuffer> {
  const m = new ModuleWriter();
  writeAffine(m);
  return m.encode();
}

interface SparseAffineExports {
  affine(...args: number[]): void;
}

function isSparseAffineExports(e: WebAssembly.Exports): e is WebAssembly.Exports & SparseAffineExports {
  return typeof e.affine === 'function';
}

const modules = new ModuleCache();

/** A region of the kernel's memory: its byte address and a float32 view. */
export interface Region {
  readonly at: number;
  readonly view: Float32Array;
}

/**
 * The kernel on its own memory, laid out once by the caller: `region(floats)` hands out 16-byte-aligned
 * float32 regions (weights, biases, activations, the listing scratch), then `affine` runs on them.
 */
export class SparseAffineSimd {
  private top = 16;
  /** The listing's swizzles, one per 4-bit mask of nonzero lanes (see {@link packTable}). */
  private readonly packTable: number;

  private constructor(
    private readonly exports: SparseAffineExports,
    private readonly memory: WebAssembly.Memory,
  ) {
    const table = packTable();
    this.packTable = this.top;
    new Uint8Array(memory.buffer, this.packTable, table.length).set(table);
    this.top += table.length;
  }

  /** The kernel on a memory of `bytes` bytes (regions must fit in it), or null where SIMD is unavailable. */
  static create(bytes: number): SparseAffineSimd | null {
    const module = modules.get('affine', sparseAffineModuleBytes);
    if (!module) return null;
    const kernels = instantiateKernels(module, bytes + 64 + PACK_TABLE_BYTES, isSparseAffineExports);
    return kernels ? new SparseAffineSimd(kernels.exports, kernels.memory) : null;
  }

  /** A fresh 16-byte-aligned region of `floats` float32 values (zeroed: the memory is fresh and regions never overlap). */
  region(floats: number): Region {
    const at = this.top;
    const bytes = Math.ceil((4 * floats) / 16) * 16;
    if (at + bytes > this.memory.buffer.byteLength) throw new Error('SparseAffineSimd: regions exceed the memory it was created with');
    this.top = at + bytes;
    return { at, view: new Float32Array(this.memory.buffer, at, floats) };
  }

  /**
   * Rows [rowStart, rowEnd) of one layer: x in `input` with geometry `g`, weights K×n (n a multiple of 4),
   * output rows `outStride` floats apart; `list` a region of at least {@link listFloats}(K) floats.
   */
  affine(g: RowGeometry, rowStart: number, rowEnd: number, n: number, outStride: number, input: Region, weights: Region, bias: Region, out: Region, list: Region, relu: boolean): void {
    if (n % 4 !== 0) throw new RangeError(`SparseAffineSimd: n = ${n} is not a multiple of 4`);
    this.exports.affine(
      rowStart, rowEnd, g.rowsPerImage, g.rowWidth, g.imageBytes, g.lineBytes, g.pixBytes, g.run0, g.run1, g.runStride,
      n, outStride, input.at, weights.at, bias.at, out.at, list.at, relu ? 1 : 0, this.packTable,
    );
  }
}
