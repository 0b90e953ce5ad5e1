/**
 * The shape of one MNIST-style example, in one place: every module that slices images out of a flat
 * `count × IMAGE_PIXELS` array, draws a digit, or counts classes imports these instead of writing 784,
 * 28 or 10 itself. A data set a person drops on the page must have this shape too (the IDX parser
 * refuses any other), because the three architectures are built for exactly it.
 */

/** Side of an image in pixels: MNIST digits are 28 × 28, and so are Fashion-MNIST and KMNIST. */
export const IMAGE_SIDE = 28;

/** Pixels per image (IMAGE_SIDE², 784): the stride between images in a flat row-major `count × 784` array. */
export const IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE;

/** Classes a label can name: the digits 0–9 (or any 10-class set such as Fashion-MNIST); labels are 0…CLASS_COUNT − 1. */
export const CLASS_COUNT = 10;
