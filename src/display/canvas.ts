/**
 * Draws a display_network (or displayColorNetwork) picture on an HTML canvas (browser only). Pixels are enlarged by
 * an integer factor in the ImageData itself, so no smoothing can blur the filters.
 */
import { toBytes8, upscalePixels8, type NetworkImage } from './network';

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

  const channels = image.channels ?? 1;
  const bytes = upscalePixels8(toBytes8(image), image.width, image.height, scale, channels);
  const pixels = context.createImageData(width, height);
  const rgba = pixels.data;
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) rgba[4 * i + c] = bytes[i * channels + (channels === 3 ? c : 0)];
    rgba[4 * i + 3] = 255;
  }
  context.putImageData(pixels, 0, 0);
}
