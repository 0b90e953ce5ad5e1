/**
 * MNIST-style pre-processing of a drawn digit: known inputs to known outputs (bounding box into the 20×20
 * box with the aspect ratio kept, area-averaged, centre of mass moved to (14, 14)), and an empty drawing.
 */
import { describe, expect, it } from 'vitest';
import { DIGIT_BOX, centreOfMass, drawingToImage, fitToBox, inkBounds, mnistStyleImage, rasterizeStrokes } from '../../src/data/drawing';
import { IMAGE_PIXELS, IMAGE_SIDE } from '../../src/data/mnist-shape';

/** A width × height canvas with ink 1 in the rectangle [x0, x1) × [y0, y1). */
function rectangle(width: number, height: number, x0: number, y0: number, x1: number, y1: number): Float32Array {
  const ink = new Float32Array(width * height);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) ink[y * width + x] = 1;
  return ink;
}

/** Bounding box of the pixels above `threshold` in a 28×28 image. */
function box28(image: Float32Array, threshold = 0) {
  return inkBounds(image.map((v) => (v > threshold ? v : 0)), IMAGE_SIDE, IMAGE_SIDE);
}

const sum = (values: Float32Array) => values.reduce((a, b) => a + b, 0);

describe('MNIST-style pre-processing of a drawing', () => {
  it('an empty canvas, or no strokes, gives null', () => {
    expect(mnistStyleImage(new Float32Array(280 * 280), 280, 280)).toBeNull();
    expect(drawingToImage([], 280, 280, 10)).toBeNull();
    expect(fitToBox(new Float32Array(16), 4, 4)).toBeNull();
  });

  it('a filled square drawn off-centre fills the 20×20 box exactly and ends centred at (14, 14)', () => {
    // 100 × 100 canvas units in the top-left corner of a 280 × 280 canvas: 5 canvas units per output pixel.
    const image = mnistStyleImage(rectangle(280, 280, 10, 20, 110, 120), 280, 280);
    if (!image) throw new Error('expected an image');
    expect(image).toHaveLength(IMAGE_PIXELS);
    expect(box28(image)).toEqual({ x0: 4, y0: 4, x1: 24, y1: 24 });
    const centre = centreOfMass(image, IMAGE_SIDE);
    expect(centre?.x).toBeCloseTo(14, 6);
    expect(centre?.y).toBeCloseTo(14, 6);
    for (let y = 4; y < 24; y++) for (let x = 4; x < 24; x++) expect(image[y * IMAGE_SIDE + x]).toBeCloseTo(1, 6);
    expect(sum(image)).toBeCloseTo(400, 3);
  });

  it('keeps the aspect ratio: a 2:1 rectangle becomes 20 × 10', () => {
    const image = mnistStyleImage(rectangle(280, 280, 200, 30, 260, 60), 280, 280);
    if (!image) throw new Error('expected an image');
    const box = box28(image);
    expect(box && box.x1 - box.x0).toBe(20);
    expect(box && box.y1 - box.y0).toBe(10);
    const centre = centreOfMass(image, IMAGE_SIDE);
    expect(Math.abs((centre?.x ?? 0) - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs((centre?.y ?? 0) - 14)).toBeLessThanOrEqual(0.5);
  });

  it('area-averages (anti-aliases): a thin line becomes two rows of 0.05, not a row of 0 or 1', () => {
    // A horizontal line 200 units long and 1 unit thick: the bounding square is 200 wide, so each output pixel
    // covers 10 × 10 canvas units. The square is centred on the line, so a pixel-row boundary runs through the
    // line's middle: each of the two rows holds half a unit of ink per pixel, a mean of 0.05. Nearest-neighbour
    // sampling would give whole pixels of 0 or 1.
    const image = mnistStyleImage(rectangle(280, 280, 40, 133, 240, 134), 280, 280);
    if (!image) throw new Error('expected an image');
    const inked = Array.from(image).map((v, i) => [i, v] as const).filter(([, v]) => v > 0);
    expect(inked).toHaveLength(40);
    for (const [, v] of inked) expect(v).toBeCloseTo(0.05, 6);
    expect([...new Set(inked.map(([i]) => Math.floor(i / IMAGE_SIDE)))]).toEqual([13, 14]);
    expect(sum(image)).toBeCloseTo(2, 5);
    const centre = centreOfMass(image, IMAGE_SIDE);
    expect(centre?.x).toBeCloseTo(14, 6);
    expect(centre?.y).toBeCloseTo(14, 6);
  });

  it('box filter with fractional overlaps: a 30-unit square maps 1.5 units to a pixel, mass conserved', () => {
    const box = fitToBox(rectangle(64, 64, 7, 9, 37, 39), 64, 64);
    if (!box) throw new Error('expected a box');
    expect(box).toHaveLength(DIGIT_BOX * DIGIT_BOX);
    // Ink 30 × 30 = 900 units² at (1.5)² units² per pixel: 400 pixels of mean 1.
    expect(sum(box)).toBeCloseTo(400, 3);
  });

  it('moves the centre of mass, not the box centre, to (14, 14): an L-shape shifts towards its heavy corner', () => {
    // An L: a vertical bar on the left and a short foot. The bounding box is square, its mass sits left and low.
    const ink = rectangle(100, 100, 0, 0, 20, 100);
    for (let y = 80; y < 100; y++) for (let x = 20; x < 100; x++) ink[y * 100 + x] = 1;
    const image = mnistStyleImage(ink, 100, 100);
    if (!image) throw new Error('expected an image');
    const centre = centreOfMass(image, IMAGE_SIDE);
    expect(Math.abs((centre?.x ?? 0) - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs((centre?.y ?? 0) - 14)).toBeLessThanOrEqual(0.5);
    const box = box28(image);
    // The box (20 wide) moved right and up of the centred position [4, 24).
    expect(box?.x0).toBeGreaterThan(4);
    expect(box?.y1).toBeLessThan(24);
    expect(sum(image)).toBeCloseTo(((20 * 100 + 80 * 20) / 100) * 4, 3);
  });

  it('rasterises round-nibbed strokes: a dot, a line, and values in [0, 1]', () => {
    const dot = rasterizeStrokes([[50.5, 50.5]], 100, 100, 5);
    expect(dot[50 * 100 + 50]).toBe(1);
    expect(dot[50 * 100 + 55]).toBe(1); // pixel centre 5 units away: on the nib's edge
    expect(dot[50 * 100 + 56]).toBe(0); // 6 units: past the 1-unit soft edge
    // Pixel centre 5.5 units away: halfway through the soft edge.
    expect(rasterizeStrokes([[50, 50.5]], 100, 100, 5)[50 * 100 + 55]).toBeCloseTo(0.5, 6);
    const line = rasterizeStrokes([[10, 50, 90, 50]], 100, 100, 2);
    expect(inkBounds(line, 100, 100)).toEqual({ x0: 7, y0: 47, x1: 93, y1: 53 });
    expect(Math.max(...line)).toBe(1);
    expect(Math.min(...line)).toBe(0);
  });

  it('a drawn "1" (a vertical stroke) becomes a narrow upright digit in the middle', () => {
    const image = drawingToImage([[140, 30, 142, 130, 144, 250]], 280, 280, 11);
    if (!image) throw new Error('expected an image');
    const box = box28(image, 0.05);
    expect(box && box.y1 - box.y0).toBeGreaterThanOrEqual(19);
    expect(box && box.x1 - box.x0).toBeLessThanOrEqual(5);
    const centre = centreOfMass(image, IMAGE_SIDE);
    expect(Math.abs((centre?.x ?? 0) - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs((centre?.y ?? 0) - 14)).toBeLessThanOrEqual(0.5);
  });
});
