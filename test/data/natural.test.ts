import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors';
import { fft2d } from '../../src/data/fft';
import { decodeImage, downsample2x, type GrayImage } from '../../src/data/images';
import { naturalImagesFromFiles, prepareNaturalImages } from '../../src/data/natural';
import { loadNaturalImages, naturalImagePaths } from '../../src/data/natural-node';
import { readFileBytes } from '../../src/data/node';
import { samplePatches } from '../../src/data/patches';

/** Mean spectral power of an image in the band lo ≤ f < hi (cycles per pixel). */
function bandPower({ width, height, pixels }: GrayImage, lo: number, hi: number): number {
  const re = Float64Array.from(pixels);
  const mean = re.reduce((a, b) => a + b, 0) / re.length;
  for (let i = 0; i < re.length; i++) re[i] -= mean;
  const im = new Float64Array(re.length);
  fft2d(re, im, width, height);
  let sum = 0;
  let count = 0;
  for (let v = 0; v < height; v++) {
    const fy = (v < height / 2 ? v : v - height) / height;
    for (let u = 0; u < width; u++) {
      const fx = (u < width / 2 ? u : u - width) / width;
      const f = Math.sqrt(fx * fx + fy * fy);
      if (f >= lo && f < hi) {
        sum += re[v * width + u] ** 2 + im[v * width + u] ** 2;
        count++;
      }
    }
  }
  return sum / count;
}

describe('natural images', () => {
  it('loads nine photos, downsampled and whitened to pooled variance 0.1, with a flattened spectrum', async () => {
    const started = performance.now();
    const images = await loadNaturalImages();
    const seconds = (performance.now() - started) / 1000;
    expect(seconds).toBeLessThan(15);

    expect(images).toHaveLength(9);
    // The first photo (black canyon) is 1024×750, so 512×375 after downsampling.
    expect([images[0].width, images[0].height]).toEqual([512, 375]);
    for (const image of images) {
      expect(Math.max(image.width, image.height)).toBe(512);
      expect(image.pixels.length).toBe(image.width * image.height);
      expect(image.name).toMatch(/image\.jpg$/);
    }
    let count = 0;
    let sum = 0;
    for (const { pixels } of images) {
      for (const v of pixels) {
        if (!Number.isFinite(v)) throw new Error('non-finite pixel');
        sum += v;
        count++;
      }
    }
    const mean = sum / count;
    let squares = 0;
    for (const { pixels } of images) for (const v of pixels) squares += (v - mean) ** 2;
    expect(Math.abs(mean)).toBeLessThan(1e-12);
    expect(squares / (count - 1)).toBeCloseTo(0.1, 12);

    // Before whitening a photo's power falls steeply with frequency (≈ 1/f²); after, it is
    // roughly flat up to the roll-off.
    const original = downsample2x(decodeImage(await readFileBytes(naturalImagePaths()[0]), 'black canyon'));
    const ratio = (image: GrayImage) => bandPower(image, 0.03, 0.06) / bandPower(image, 0.15, 0.2);
    expect(ratio(original)).toBeGreaterThan(8);
    expect(ratio(images[0])).toBeGreaterThan(0.3);
    expect(ratio(images[0])).toBeLessThan(3);

    // UFLDL's default training set: 10,000 8×8 patches in [0.1, 0.9].
    const patches = samplePatches(images, { seed: 1 });
    expect(patches.examples).toBe(10_000);
    expect(patches.visibleSize).toBe(64);
    let min = Infinity;
    let max = -Infinity;
    for (const v of patches.data) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeGreaterThanOrEqual(0.1);
    expect(max).toBeLessThanOrEqual(0.9);
  });

  it('reports bad input to the isomorphic pipeline as DataErrors', () => {
    expect(() => prepareNaturalImages([])).toThrow(DataError);
    expect(() => naturalImagesFromFiles([{ name: 'x.bmp', bytes: Uint8Array.from([0x42, 0x4d, 0, 0]) }])).toThrow(
      /x\.bmp: not a PNG or JPEG image/,
    );
  });
});
