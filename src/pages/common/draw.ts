/** Pictures on canvases: tiles of examples beside their reconstructions. */
import type { TileSize } from '../../display/network';

/** Chooses an integer enlargement so that `size` pixels fill about `target` CSS pixels. */
export function integerScale(size: number, target: number, max = 16): number {
  return Math.max(1, Math.min(max, Math.floor(target / size)));
}

/**
 * Two rows: `count` examples on top, their reconstructions below, on one gray scale (the
 * data's range, at least [0, 1]) so that a faithful reconstruction looks the same. With
 * `channels` 3 each example is three planes R, G, B of the tile (color patches), drawn in color;
 * values centred on zero (whitened patches) are drawn about mid-gray, ±their largest magnitude.
 */
export function drawPairs(
  canvas: HTMLCanvasElement,
  inputs: ArrayLike<number>,
  outputs: ArrayLike<number> | undefined,
  count: number,
  tile: TileSize,
  scale: number,
  channels: 1 | 3 = 1,
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
  if (channels === 3 && lo < 0) {
    const m = Math.max(-lo, hi, 1e-12);
    lo = -m;
    hi = m;
  }
  const image = ctx.createImageData(width, height);
  const rgba = image.data;
  const level = (v: number) => Math.round(Math.min(1, Math.max(0, (v - lo) / (hi - lo))) * 255);
  // Transparent background; tiles opaque.
  const paint = (values: ArrayLike<number>, k: number, top: number) => {
    const plane = tile.width * tile.height;
    const left = k * (tw + gap);
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const at = k * plane * channels + Math.floor(y / scale) * tile.width + Math.floor(x / scale);
        const o = 4 * ((top + y) * width + left + x);
        if (channels === 3) {
          for (let c = 0; c < 3; c++) rgba[o + c] = level(values[at + c * plane]);
        } else {
          rgba[o] = rgba[o + 1] = rgba[o + 2] = level(values[at]);
        }
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
