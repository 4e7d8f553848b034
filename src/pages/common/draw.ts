/** Pictures on canvases: tiles of examples beside their reconstructions. */
import type { TileSize } from '../../display/network';

/** Chooses an integer enlargement so that `size` pixels fill about `target` CSS pixels. */
export function integerScale(size: number, target: number, max = 16): number {
  return Math.max(1, Math.min(max, Math.floor(target / size)));
}

/**
 * Two rows: `count` examples on top, their reconstructions below, on one gray scale (the
 * data's range, at least [0, 1]) so that a faithful reconstruction looks the same.
 */
export function drawPairs(
  canvas: HTMLCanvasElement,
  inputs: ArrayLike<number>,
  outputs: ArrayLike<number> | undefined,
  count: number,
  tile: TileSize,
  scale: number,
): void {
  const gap = 2;
  const rowGap = 6;
  const tw = tile.width * scale;
  const th = tile.height * scale;
  const width = count * tw + (count - 1) * gap;
  const height = 2 * th + rowGap;
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, width, height);
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < inputs.length; i++) {
    lo = Math.min(lo, inputs[i]);
    hi = Math.max(hi, inputs[i]);
  }
  const image = ctx.createImageData(width, height);
  const rgba = image.data;
  // Transparent background; tiles opaque.
  const paint = (values: ArrayLike<number>, k: number, top: number) => {
    const size = tile.width * tile.height;
    const left = k * (tw + gap);
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const v = values[k * size + Math.floor(y / scale) * tile.width + Math.floor(x / scale)];
        const g = Math.round(Math.min(1, Math.max(0, (v - lo) / (hi - lo))) * 255);
        const o = 4 * ((top + y) * width + left + x);
        rgba[o] = rgba[o + 1] = rgba[o + 2] = g;
        rgba[o + 3] = 255;
      }
    }
  };
  for (let k = 0; k < count; k++) {
    paint(inputs, k, 0);
    if (outputs) paint(outputs, k, th + rowGap);
  }
  ctx.putImageData(image, 0, 0);
  canvas.style.imageRendering = 'pixelated';
}
