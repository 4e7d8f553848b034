import { encode as encodePng } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { colorPatchIndex, CONTRAST_OVERSAMPLING, downsampleColor2x, sampleColorPatches } from '../../src/data/color';
import { decodeColorImage, decodeImage, type RgbImage } from '../../src/data/images';
import { Random } from '../../src/random';
import { expectDataError } from './expect-data-error';

/** Channel c's pixel (y, x) of image k is k·100000 + c·10000 + y·100 + x: a patch tells where it came from. */
function codedImage(k: number, width: number, height: number): RgbImage {
  const n = width * height;
  const pixels = new Float64Array(3 * n);
  for (let c = 0; c < 3; c++) for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[c * n + y * width + x] = k * 100000 + c * 10000 + y * 100 + x;
  return { width, height, pixels };
}

describe('decodeColorImage', () => {
  it('keeps R, G and B of a PNG as three planes in [0, 1], beside the gray decoding', () => {
    // 2×1 RGB: pure red, then (10, 20, 30).
    const png = encodePng({ width: 2, height: 1, data: new Uint8Array([255, 0, 0, 10, 20, 30]), channels: 3, depth: 8 });
    const color = decodeColorImage(png, 'two.png');
    expect([color.width, color.height]).toEqual([2, 1]);
    expect(Array.from(color.pixels)).toEqual([1, 10 / 255, 0, 20 / 255, 0, 30 / 255]);
    expect(decodeImage(png, 'two.png').pixels[0]).toBeCloseTo(0.299, 14);
  });

  it('gives a gray PNG R = G = B, and refuses bytes that are no image, naming them', () => {
    const png = encodePng({ width: 1, height: 2, data: new Uint8Array([0, 51]), channels: 1, depth: 8 });
    expect(Array.from(decodeColorImage(png, 'g.png').pixels)).toEqual([0, 0.2, 0, 0.2, 0, 0.2]);
    expectDataError(() => decodeColorImage(new Uint8Array([1, 2, 3]), 'junk.bin'), /^junk\.bin: not a PNG or JPEG image/);
  });
});

describe('downsampleColor2x', () => {
  it('averages each channel’s 2×2 blocks on its own', () => {
    const image = codedImage(0, 4, 2);
    const half = downsampleColor2x(image);
    expect([half.width, half.height]).toEqual([2, 1]);
    // Block (0, 0) of channel c averages c·10000 + {0, 1, 100, 101}.
    expect(Array.from(half.pixels)).toEqual([50.5, 52.5, 10050.5, 10052.5, 20050.5, 20052.5]);
  });
});

describe('sampleColorPatches', () => {
  it('copies each channel plane of a p×p patch row-major, R then G then B', () => {
    const images = [codedImage(1, 9, 7), codedImage(2, 6, 5)];
    const p = 3;
    const d = sampleColorPatches(images, { patchSize: p, count: 20, seed: 3 });
    expect(d.visibleSize).toBe(27);
    expect(d.examples).toBe(20);
    for (let k = 0; k < d.examples; k++) {
      const first = d.data[k * 27];
      const image = Math.floor(first / 100000);
      const top = Math.floor((first % 10000) / 100);
      const left = first % 100;
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < p; y++) {
          for (let x = 0; x < p; x++) {
            expect(d.data[k * 27 + colorPatchIndex(c, y, x, p)]).toBe(image * 100000 + c * 10000 + (top + y) * 100 + left + x);
          }
        }
      }
    }
  });

  it('keeps the more contrasted patches: from half flat, half noisy images only noisy ones', () => {
    const rng = new Random(4);
    const flat: RgbImage = { width: 16, height: 16, pixels: new Float64Array(3 * 256).fill(0.5) };
    const noisy: RgbImage = { width: 16, height: 16, pixels: Float64Array.from({ length: 3 * 256 }, () => rng.uniform()) };
    const d = sampleColorPatches([flat, noisy], { patchSize: 4, count: 50, seed: 9 });
    expect(CONTRAST_OVERSAMPLING).toBe(2);
    let flatPatches = 0;
    for (let k = 0; k < d.examples; k++) if (d.data.subarray(k * 48, (k + 1) * 48).every((v) => v === 0.5)) flatPatches++;
    expect(flatPatches).toBe(0);
  });

  it('is reproducible by seed and refuses too many patches or bad pixels in one line', () => {
    const images = [codedImage(1, 20, 20)];
    const a = sampleColorPatches(images, { patchSize: 5, count: 30, seed: 7 });
    expect(sampleColorPatches(images, { patchSize: 5, count: 30, seed: 7 }).data).toEqual(a.data);
    expect(sampleColorPatches(images, { patchSize: 5, count: 30, seed: 8 }).data).not.toEqual(a.data);
    expectDataError(() => sampleColorPatches(images, { patchSize: 5, count: 200, seed: 1 }), /^color patches: 200 patches need 400 cut .* only 256 patch positions$/);
    const bad = codedImage(1, 8, 8);
    bad.pixels[70] = NaN;
    bad.name = 'bad.jpg';
    expectDataError(() => sampleColorPatches([bad], { patchSize: 2, count: 3, seed: 1 }), /^bad\.jpg: holds a pixel that is not a finite number$/);
  });
});
