/** Small IDX files built in memory, and the error code a parse ends with, for the IDX parser tests. */
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, IdxError, encodeIdx, type IdxErrorCode } from '../../src/data/idx';

/** An IDX image file of `count` side × side images whose i-th pixel byte is `fill(i)`. */
export function idxImages(count: number, side = 28, fill = (i: number) => i % 256): Uint8Array {
  const values = new Uint8Array(count * side * side).map((_, i) => fill(i));
  return encodeIdx(IDX_IMAGES_MAGIC, [count, side, side], values);
}

export function idxLabels(values: number[]): Uint8Array {
  return encodeIdx(IDX_LABELS_MAGIC, [values.length], Uint8Array.from(values));
}

/** The IdxError code `run` throws, or 'no error'; any other error is rethrown. */
export function idxErrorCode(run: () => unknown): IdxErrorCode | 'no error' {
  try {
    run();
    return 'no error';
  } catch (error) {
    if (error instanceof IdxError) return error.code;
    throw error;
  }
}
