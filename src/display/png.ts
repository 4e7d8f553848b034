/**
 * PNG files of display_network pictures, via fast-png (pure JavaScript, so it works in Node
 * and in the browser alike).
 */
import { encode } from 'fast-png';
import { toBytes8, upscalePixels8, type NetworkImage } from './network';

export interface PngOptions {
  /**
   * Integer nearest-neighbour enlargement. The default 4 turns an 8 × 8 filter into 32 × 32
   * screen pixels, large enough to see while keeping every pixel a crisp square.
   */
  scale?: number;
}

/** An 8-bit PNG of the picture (grayscale, or RGB for a color one), each pixel enlarged to scale × scale. */
export function encodePng(image: NetworkImage, { scale = 4 }: PngOptions = {}): Uint8Array {
  const channels = image.channels ?? 1;
  const data = upscalePixels8(toBytes8(image), image.width, image.height, scale, channels);
  return encode({ width: image.width * scale, height: image.height * scale, data, channels, depth: 8 });
}
