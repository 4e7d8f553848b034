import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import {
  BORDER,
  displayFeatures,
  displayNetwork,
  displayPatches,
  featureImages,
  gridLayout,
  toGray8,
  type NetworkImage,
} from '../../src/display/network';
import { encodePng } from '../../src/display/png';
import type { Dataset } from '../../src/reference/autoencoder';
import { initializeParameters, type Shape } from '../../src/reference/params';
import { Random } from '../../src/random';

function randomTiles(count: number, width: number, height: number, seed: number) {
  const rng = new Random(seed);
  const data = Float64Array.from({ length: count * width * height }, () => rng.normal());
  return { data, count, tileWidth: width, tileHeight: height };
}

/** The pixels of tile k of a picture laid out with `columns` columns. */
function tilePixels(image: NetworkImage, k: number, columns: number, tw: number, th: number): number[] {
  const left = BORDER + (k % columns) * (tw + BORDER);
  const top = BORDER + Math.floor(k / columns) * (th + BORDER);
  const out: number[] = [];
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) out.push(image.values[(top + y) * image.width + left + x]);
  return out;
}

describe('gridLayout (display_network.m)', () => {
  it('is square for a perfect square', () => {
    expect(gridLayout(25)).toEqual({ columns: 5, rows: 5 });
    expect(gridLayout(100)).toEqual({ columns: 10, rows: 10 });
    expect(gridLayout(1)).toEqual({ columns: 1, rows: 1 });
  });

  it('widens from ⌈√M⌉ up to 1.2√M looking for an even division', () => {
    expect(gridLayout(200)).toEqual({ columns: 17, rows: 12 }); // 15, 16 do not divide 200; 17 ≥ 16.97
    expect(gridLayout(12)).toEqual({ columns: 4, rows: 3 });
    expect(gridLayout(10)).toEqual({ columns: 4, rows: 3 });
    expect(gridLayout(3)).toEqual({ columns: 3, rows: 1 });
  });

  it('takes an explicit column count (display_network’s cols)', () => {
    expect(gridLayout(200, 15)).toEqual({ columns: 15, rows: 14 });
  });
});

describe('displayNetwork', () => {
  it('tiles 25 filters of 8×8 into a 5×5 grid of 1 + 5·(8 + 1) = 46 pixels square', () => {
    const image = displayNetwork(randomTiles(25, 8, 8, 1));
    expect(image.width).toBe(46);
    expect(image.height).toBe(46);
    expect(image.values.length).toBe(46 * 46);
  });

  it('draws −1 borders around and between tiles', () => {
    const image = displayNetwork(randomTiles(25, 8, 8, 2));
    for (let y = 0; y < 46; y++) {
      for (let x = 0; x < 46; x++) {
        if (y % 9 === 0 || x % 9 === 0) expect(image.values[y * 46 + x]).toBe(-1);
      }
    }
  });

  it('scales each tile to its own largest |value| after removing the global mean', () => {
    const tiles = randomTiles(25, 8, 8, 3);
    for (let i = 0; i < 64; i++) tiles.data[i] *= 1000; // one loud tile must not dim the others
    const image = displayNetwork(tiles);
    let mean = 0;
    for (const v of tiles.data) mean += v;
    mean /= tiles.data.length;
    for (let k = 0; k < 25; k++) {
      const pixels = tilePixels(image, k, 5, 8, 8);
      expect(Math.max(...pixels.map(Math.abs))).toBeCloseTo(1, 6);
      const raw = Array.from(tiles.data.subarray(k * 64, (k + 1) * 64), (v) => v - mean);
      const clim = Math.max(...raw.map(Math.abs));
      pixels.forEach((p, i) => expect(p).toBeCloseTo(raw[i] / clim, 6));
    }
  });

  it('puts a known image at the right place, row-major and not transposed', () => {
    // One 4-wide, 2-high image with mean 0: +1 at (row 0, col 0), −1 at (row 1, col 3).
    const data = [1, 0, 0, 0, 0, 0, 0, -1];
    const image = displayNetwork({ data, count: 1, tileWidth: 4, tileHeight: 2 });
    expect([image.width, image.height]).toEqual([6, 4]);
    const at = (y: number, x: number) => image.values[y * image.width + x];
    expect(at(1, 1)).toBe(1);
    expect(at(2, 4)).toBe(-1);
    for (const [y, x] of [
      [1, 2],
      [1, 3],
      [1, 4],
      [2, 1],
      [2, 2],
      [2, 3],
    ]) {
      expect(at(y, x)).toBe(0);
    }
  });

  it('places tile k in row ⌊k/columns⌋, column k mod columns, and leaves empty cells black', () => {
    // 200 patches of 8×8: 17 × 12 grid, 154 × 109 pixels, 4 empty cells at the end.
    const tiles = randomTiles(200, 8, 8, 4);
    const image = displayNetwork(tiles);
    expect([image.width, image.height]).toEqual([1 + 17 * 9, 1 + 12 * 9]);
    // Mark tile 37 by its largest pixel: it must appear in grid row 2, column 3.
    const k = 37;
    const raw = Array.from(tiles.data.subarray(k * 64, (k + 1) * 64));
    const brightest = raw.indexOf(Math.max(...raw));
    const [y, x] = [Math.floor(brightest / 8), brightest % 8];
    const pixel = image.values[(1 + 2 * 9 + y) * image.width + 1 + 3 * 9 + x];
    expect(pixel).toBeCloseTo(Math.max(...tilePixels(image, k, 17, 8, 8)), 6);
    for (let cell = 200; cell < 204; cell++) expect(tilePixels(image, cell, 17, 8, 8).every((v) => v === -1)).toBe(true);
  });

  it('draws a constant image as 0 instead of dividing by zero', () => {
    // All values equal the mean: every pixel is 0 after centring (MATLAB would give 0/0 = NaN).
    const image = displayNetwork({ data: [3, 3, 3, 3], count: 1, tileWidth: 2, tileHeight: 2 });
    expect(tilePixels(image, 0, 1, 2, 2)).toEqual([0, 0, 0, 0]);
  });
});

describe('featureImages', () => {
  it('takes W1’s rows out of θ, W1(j, i) = θ[i·hidden + j], normalized to unit length', () => {
    const shape: Shape = { visibleSize: 4, hiddenSize: 2 };
    const theta = initializeParameters(shape, 5);
    const { data, count, tileWidth, tileHeight } = featureImages(theta, shape);
    expect([count, tileWidth, tileHeight]).toEqual([2, 2, 2]);
    for (let j = 0; j < 2; j++) {
      const row = [0, 1, 2, 3].map((i) => theta[i * 2 + j]);
      const norm = Math.hypot(...row);
      for (let i = 0; i < 4; i++) expect(data[j * 4 + i]).toBeCloseTo(row[i] / norm, 15);
    }
  });

  it('supports non-square images and builds the 8×8 filter picture', () => {
    const shape: Shape = { visibleSize: 64, hiddenSize: 25 };
    const theta = initializeParameters(shape, 6);
    expect(featureImages(theta, shape, { width: 16, height: 4 }).tileWidth).toBe(16);
    expect(() => featureImages(theta, shape, { width: 16, height: 5 })).toThrow(RangeError);
    const image = displayFeatures(theta, shape);
    expect([image.width, image.height]).toEqual([46, 46]);
  });
});

describe('displayPatches', () => {
  it('shows the chosen examples in the order given', () => {
    const rng = new Random(8);
    const dataset: Dataset = { data: Float64Array.from({ length: 5 * 9 }, () => rng.uniform()), examples: 5, visibleSize: 9 };
    const image = displayPatches(dataset, 3, [3, 0]);
    const direct = displayNetwork({
      data: [...dataset.data.subarray(27, 36), ...dataset.data.subarray(0, 9)],
      count: 2,
      tileWidth: 3,
      tileHeight: 3,
    });
    expect(image).toEqual(direct);
    expect(() => displayPatches(dataset, 3, [5])).toThrow(RangeError);
    expect(() => displayPatches(dataset, 4, [0])).toThrow(RangeError);
  });
});

describe('gray levels and PNG', () => {
  it('maps [−1, 1] onto 0 … 255', () => {
    const image: NetworkImage = { width: 5, height: 1, values: new Float32Array([-1, 0, 1, -2, 2]) };
    expect(Array.from(toGray8(image))).toEqual([0, 128, 255, 0, 255]);
  });

  it('encodes a PNG that decodes to the enlarged gray picture', () => {
    const image = displayNetwork(randomTiles(25, 8, 8, 9));
    const gray = toGray8(image);
    const png = decode(encodePng(image)); // default scale 4
    expect([png.width, png.height, png.channels, png.depth]).toEqual([184, 184, 1, 8]);
    for (let y = 0; y < png.height; y++) {
      for (let x = 0; x < png.width; x++) {
        expect(png.data[y * png.width + x]).toBe(gray[Math.floor(y / 4) * 46 + Math.floor(x / 4)]);
      }
    }
    const unscaled = decode(encodePng(image, { scale: 1 }));
    expect([unscaled.width, unscaled.height]).toEqual([46, 46]);
    expect(Array.from(unscaled.data)).toEqual(Array.from(gray));
  });
});
