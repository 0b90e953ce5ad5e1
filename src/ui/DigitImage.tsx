import { useEffect, useRef } from 'react';
import { IMAGE_PIXELS, IMAGE_SIDE } from '../data/mnist-shape';

/**
 * One 28×28 grayscale digit drawn pixel-exact on a canvas; CSS scales it up with nearest-neighbour
 * sampling (`image-rendering: pixelated`) so reconstructions stay crisp.
 * @param pixels 784 values in [0, 1], row-major (a subarray is fine)
 */
export function DigitImage({ pixels, size = 56, label, testId }: { pixels: Float32Array; size?: number; label: string; testId?: string }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvasRef.current?.getContext('2d');
    if (!context) return;
    const image = context.createImageData(IMAGE_SIDE, IMAGE_SIDE);
    for (let i = 0; i < IMAGE_PIXELS; i++) {
      // Ink is dark on light paper, as people write digits.
      const value = 255 - Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
      image.data[4 * i] = value;
      image.data[4 * i + 1] = value;
      image.data[4 * i + 2] = value;
      image.data[4 * i + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  }, [pixels]);
  return (
    <canvas
      ref={canvasRef}
      className="digit"
      width={IMAGE_SIDE}
      height={IMAGE_SIDE}
      style={{ width: size, height: size }}
      role="img"
      aria-label={label}
      data-testid={testId}
    />
  );
}
