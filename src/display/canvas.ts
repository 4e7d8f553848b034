/**
 * Draws a display_network picture on an HTML canvas (browser only). Pixels are enlarged by
 * an integer factor in the ImageData itself, so no smoothing can blur the filters.
 */
import { toGray8, upscaleGray8, type NetworkImage } from './network';

export interface CanvasOptions {
  /** Integer nearest-neighbour enlargement (default 4). */
  scale?: number;
}

/** Resizes the canvas to the picture (times scale) and draws it. */
export function drawNetwork(canvas: HTMLCanvasElement, image: NetworkImage, { scale = 4 }: CanvasOptions = {}): void {
  const width = image.width * scale;
  const height = image.height * scale;
  canvas.width = width;
  canvas.height = height;
  // Keep the pixels square if CSS later stretches the canvas.
  canvas.style.imageRendering = 'pixelated';
  const context = canvas.getContext('2d');
  if (!context) throw new Error('the canvas has no 2D context');
  context.imageSmoothingEnabled = false;

  const gray = upscaleGray8(toGray8(image), image.width, image.height, scale);
  const pixels = context.createImageData(width, height);
  const rgba = pixels.data;
  for (let i = 0; i < gray.length; i++) {
    const v = gray[i];
    rgba[4 * i] = v;
    rgba[4 * i + 1] = v;
    rgba[4 * i + 2] = v;
    rgba[4 * i + 3] = 255;
  }
  context.putImageData(pixels, 0, 0);
}
