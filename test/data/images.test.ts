import { encode as encodePng } from 'fast-png';
import { encode as encodeJpeg } from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors';
import { fft2d } from '../../src/data/fft';
import {
  decodeImage,
  downsample2x,
  grayFromRgba,
  imageFormat,
  whiten,
  whiteningGain,
  type GrayImage,
} from '../../src/data/images';
import { Random } from '../../src/random';
import { expectDataError } from './expect-data-error';


const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;

function image(width: number, height: number, values: ArrayLike<number>): GrayImage {
  return { width, height, pixels: Float64Array.from(values) };
}

describe('decodeImage: PNG', () => {
  it('decodes 8-bit gray row-major, values /255', () => {
    // 3 wide, 2 high: rows [0 51 102] and [153 204 255].
    const png = encodePng({ width: 3, height: 2, data: Uint8Array.from([0, 51, 102, 153, 204, 255]), channels: 1, depth: 8 });
    expect(imageFormat(png)).toBe('png');
    const decoded = decodeImage(png, 'g.png');
    expect(decoded.width).toBe(3);
    expect(decoded.height).toBe(2);
    expect(Array.from(decoded.pixels)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(decoded.name).toBe('g.png');
  });

  it('decodes 16-bit gray, values /65535', () => {
    const png = encodePng({ width: 2, height: 1, data: Uint16Array.from([65535, 257]), channels: 1, depth: 16 });
    expect(Array.from(decodeImage(png, 'g16.png').pixels)).toEqual([1, 257 / 65535]);
  });

  it('decodes RGB and RGBA to luma, ignoring alpha', () => {
    const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
    const expected = [luma(255, 0, 0), luma(0, 255, 0), luma(0, 0, 255), luma(10, 20, 30)].map((v) => v / 255);
    const rgbPng = encodePng({ width: 2, height: 2, data: Uint8Array.from(rgb), channels: 3, depth: 8 });
    const rgba = [255, 0, 0, 0, 0, 255, 0, 128, 0, 0, 255, 255, 10, 20, 30, 7];
    const rgbaPng = encodePng({ width: 2, height: 2, data: Uint8Array.from(rgba), channels: 4, depth: 8 });
    for (const png of [rgbPng, rgbaPng]) {
      const pixels = Array.from(decodeImage(png, 'c.png').pixels);
      pixels.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 14));
    }
  });

  it('decodes 16-bit RGB and 8-bit gray + alpha', () => {
    const rgb16 = encodePng({ width: 1, height: 1, data: Uint16Array.from([65535, 0, 65535]), channels: 3, depth: 16 });
    expect(decodeImage(rgb16, 'x').pixels[0]).toBeCloseTo(0.299 + 0.114, 14);
    const grayAlpha = encodePng({ width: 2, height: 1, data: Uint8Array.from([51, 0, 255, 255]), channels: 2, depth: 8 });
    expect(Array.from(decodeImage(grayAlpha, 'x').pixels)).toEqual([0.2, 1]);
  });

  it('decodes a 2-bit palette image and a 1-bit gray image (packed rows)', () => {
    const palette = [
      [255, 0, 0],
      [0, 0, 0],
      [255, 255, 255],
      [0, 0, 255],
    ];
    // 3 pixels per row, indices [0 1 2] and [3 2 1], 2 bits each, rows padded to a byte.
    const data = Uint8Array.from([0b00011000, 0b11100100]);
    const png = encodePng({ width: 3, height: 2, data, channels: 1, depth: 2, palette });
    const expected = [0, 1, 2, 3, 2, 1].map((i) => luma(palette[i][0], palette[i][1], palette[i][2]) / 255);
    const pixels = Array.from(decodeImage(png, 'p.png').pixels);
    pixels.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 14));

    // 10 pixels per row: 1011001110 → two bytes per row.
    const bits = Uint8Array.from([0b10110011, 0b10000000]);
    const gray1 = encodePng({ width: 10, height: 1, data: bits, channels: 1, depth: 1 });
    expect(Array.from(decodeImage(gray1, 'b.png').pixels)).toEqual([1, 0, 1, 1, 0, 0, 1, 1, 1, 0]);
  });

  it('rejects every truncation and a bad CRC with a DataError naming the file', () => {
    const png = encodePng({ width: 4, height: 3, data: new Uint8Array(12).fill(9), channels: 1, depth: 8 });
    for (let n = 8; n < png.length; n++) {
      expectDataError(() => decodeImage(png.subarray(0, n), 'cut.png'), /^cut\.png: corrupt/);
    }
    const badCrc = png.slice();
    badCrc[29] ^= 1; // inside the IHDR chunk's CRC
    expectDataError(() => decodeImage(badCrc, 'crc.png'), /^crc\.png: corrupt or unsupported PNG/);
  });
});

describe('decodeImage: JPEG', () => {
  function jpegOf(width: number, height: number, rgbAt: (x: number, y: number) => [number, number, number], quality = 100) {
    const data = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const [r, g, b] = rgbAt(x, y);
        data.set([r, g, b, 255], 4 * (y * width + x));
      }
    }
    return new Uint8Array(encodeJpeg({ width, height, data }, quality).data);
  }

  it('decodes a flat color to its luma and keeps the orientation', () => {
    const flat = jpegOf(16, 8, () => [200, 100, 50]);
    expect(imageFormat(flat)).toBe('jpeg');
    const decoded = decodeImage(flat, 'flat.jpg');
    expect(decoded.width).toBe(16);
    expect(decoded.height).toBe(8);
    for (const v of decoded.pixels) expect(Math.abs(v - luma(200, 100, 50) / 255)).toBeLessThan(3 / 255);

    // Left half black, right half white; top to bottom the same.
    const halves = decodeImage(jpegOf(32, 16, (x) => (x < 16 ? [0, 0, 0] : [255, 255, 255])), 'halves.jpg');
    expect(halves.pixels[5 * 32 + 3]).toBeLessThan(0.05);
    expect(halves.pixels[5 * 32 + 28]).toBeGreaterThan(0.95);
  });

  it('rejects truncated JPEGs and enforces the resolution guard', () => {
    const bytes = jpegOf(16, 16, (x, y) => [x * 16, y * 16, 100], 90);
    for (const n of [3, 20, 100, 300, bytes.length - 2]) {
      expectDataError(() => decodeImage(bytes.subarray(0, n), 'cut.jpg'), /^cut\.jpg: corrupt or unsupported JPEG/);
    }
    expectDataError(() => decodeImage(bytes, 'big.jpg', { maxResolutionInMP: 1e-4 }), /maxResolutionInMP/);
  });
});

describe('decodeImage: other input', () => {
  it('rejects anything that is neither PNG nor JPEG, showing the first bytes', () => {
    expectDataError(() => decodeImage(new TextEncoder().encode('GIF89a...'), 'a.gif'), /^a\.gif: not a PNG or JPEG image \(it starts with bytes 47 49 46 38 39 61 2e 2e\)/);
    expectDataError(() => decodeImage(new Uint8Array(0), 'empty.png'), /not a PNG or JPEG image \(it starts with bytes \(empty file\)\)/);
  });
});

describe('grayFromRgba', () => {
  it('uses the same luma weights and checks the length', () => {
    const gray = grayFromRgba(2, 1, [255, 0, 0, 0, 10, 20, 30, 255]);
    expect(gray.pixels[0]).toBeCloseTo(0.299, 14);
    expect(gray.pixels[1]).toBeCloseTo(luma(10, 20, 30) / 255, 14);
    expectDataError(() => grayFromRgba(2, 2, new Uint8Array(12), 'canvas'), /^canvas: 12 RGBA bytes for a 2×2 image \(expected 16\)/);
  });
});

describe('downsample2x', () => {
  it('averages 2×2 blocks and drops an odd last row and column', () => {
    // 5 wide, 3 high.
    const src = image(5, 3, [1, 2, 3, 4, 99, 5, 6, 7, 8, 99, 99, 99, 99, 99, 99]);
    const out = downsample2x(src);
    expect(out.width).toBe(2);
    expect(out.height).toBe(1);
    expect(Array.from(out.pixels)).toEqual([(1 + 2 + 5 + 6) / 4, (3 + 4 + 7 + 8) / 4]);
  });

  it('rejects an image with a side of 1', () => {
    expectDataError(() => downsample2x({ ...image(1, 4, [1, 2, 3, 4]), name: 'thin.png' }), /^thin\.png: a 1×4 image is too small/);
  });
});

/** Re(IDFT2(DFT2(x)·gain)) by the definition, O((wh)²). */
function naiveWhitenUnscaled({ width, height, pixels }: GrayImage): Float64Array {
  const n = width * height;
  const specRe = new Float64Array(n);
  const specIm = new Float64Array(n);
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      let re = 0;
      let im = 0;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const angle = -2 * Math.PI * ((u * x) / width + (v * y) / height);
          re += pixels[y * width + x] * Math.cos(angle);
          im += pixels[y * width + x] * Math.sin(angle);
        }
      }
      // Frequencies in cycles per pixel, signed: fftshift's −n/2 … n/2 − 1.
      const fx = (u < width / 2 ? u : u - width) / width;
      const fy = (v < height / 2 ? v : v - height) / height;
      const f = Math.sqrt(fx * fx + fy * fy);
      const gain = f * Math.exp(-((f / 0.4) ** 4));
      specRe[v * width + u] = re * gain;
      specIm[v * width + u] = im * gain;
    }
  }
  const out = new Float64Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let re = 0;
      for (let v = 0; v < height; v++) {
        for (let u = 0; u < width; u++) {
          const angle = 2 * Math.PI * ((u * x) / width + (v * y) / height);
          re += specRe[v * width + u] * Math.cos(angle) - specIm[v * width + u] * Math.sin(angle);
        }
      }
      out[y * width + x] = re / n;
    }
  }
  return out;
}

function pooledVariance(images: readonly GrayImage[]): number {
  const all = images.flatMap((im) => Array.from(im.pixels));
  const mean = all.reduce((a, b) => a + b, 0) / all.length;
  return all.reduce((a, b) => a + (b - mean) ** 2, 0) / (all.length - 1);
}

function randomImage(width: number, height: number, seed: number): GrayImage {
  const rng = new Random(seed);
  return image(width, height, Array.from({ length: width * height }, () => rng.uniform()));
}

describe('whiten', () => {
  it('has the gain f·exp(−(f/0.4)⁴)', () => {
    expect(whiteningGain(0)).toBe(0);
    expect(whiteningGain(0.4)).toBeCloseTo(0.4 / Math.E, 15);
    expect(whiteningGain(0.25)).toBeCloseTo(0.25 * Math.exp(-(0.625 ** 4)), 15);
  });

  it('matches the filter computed by the definition, then scales all images by one factor', () => {
    // Odd and even sizes in both directions.
    const images = [randomImage(6, 5, 1), randomImage(7, 4, 2), randomImage(3, 9, 3)];
    const before = images.map((im) => im.pixels.slice());
    const whitened = whiten(images);
    const unscaled = images.map(naiveWhitenUnscaled);
    const unscaledImages = unscaled.map((pixels, k) => ({ ...images[k], pixels }));
    const scale = Math.sqrt(0.1 / pooledVariance(unscaledImages));
    whitened.forEach((im, k) => {
      expect(im.width).toBe(images[k].width);
      expect(im.height).toBe(images[k].height);
      for (let i = 0; i < im.pixels.length; i++) expect(im.pixels[i]).toBeCloseTo(unscaled[k][i] * scale, 12);
    });
    // The inputs are untouched.
    images.forEach((im, k) => expect(im.pixels).toEqual(before[k]));
  });

  it('gives a pooled variance of exactly 0.1 and zero-mean images (the DC gain is 0)', () => {
    const images = [randomImage(40, 30, 4), randomImage(25, 33, 5)];
    const whitened = whiten(images);
    expect(pooledVariance(whitened)).toBeCloseTo(0.1, 12);
    for (const im of whitened) {
      const mean = im.pixels.reduce((a, b) => a + b, 0) / im.pixels.length;
      expect(Math.abs(mean)).toBeLessThan(1e-12);
    }
  });

  it('flattens a 1/f amplitude spectrum', () => {
    // Noise with a natural-image spectrum: amplitude 1/f, random phases and Rayleigh amplitudes.
    const width = 96;
    const height = 80;
    const rng = new Random(9);
    const re = new Float64Array(width * height);
    const im = new Float64Array(width * height);
    for (let i = 0; i < re.length; i++) re[i] = rng.normal();
    fft2d(re, im, width, height);
    const frequency = (u: number, v: number) => {
      const fx = (u < width / 2 ? u : u - width) / width;
      const fy = (v < height / 2 ? v : v - height) / height;
      return Math.sqrt(fx * fx + fy * fy);
    };
    for (let v = 0; v < height; v++) {
      for (let u = 0; u < width; u++) {
        const f = frequency(u, v);
        const amplitude = f === 0 ? 0 : 1 / f;
        re[v * width + u] *= amplitude;
        im[v * width + u] *= amplitude;
      }
    }
    fft2d(re, im, width, height, true);
    const noise = image(width, height, re);

    /** Mean power in the band lo ≤ f < hi. */
    const bandPower = (img: GrayImage, lo: number, hi: number) => {
      const r = img.pixels.slice();
      const i = new Float64Array(r.length);
      fft2d(r, i, width, height);
      let sum = 0;
      let count = 0;
      for (let v = 0; v < height; v++) {
        for (let u = 0; u < width; u++) {
          const f = frequency(u, v);
          if (f >= lo && f < hi) {
            sum += r[v * width + u] ** 2 + i[v * width + u] ** 2;
            count++;
          }
        }
      }
      return sum / count;
    };
    const ratio = (img: GrayImage) => bandPower(img, 0.04, 0.08) / bandPower(img, 0.16, 0.2);
    const [white] = whiten([noise]);
    // Power ∝ 1/f² before: about (0.18/0.06)² = 9 between the bands; about flat after (the
    // exp(−(f/f0)⁴) roll-off makes it exp(2·(0.18/0.4)⁴) ≈ 1.08).
    expect(ratio(noise)).toBeGreaterThan(5);
    expect(ratio(white)).toBeGreaterThan(0.7);
    expect(ratio(white)).toBeLessThan(1.5);
  });

  it('rejects non-finite pixels, mismatched sizes, constant images and no images', () => {
    expectDataError(() => whiten([{ ...image(2, 2, [0, 1, NaN, 0]), name: 'nan.png' }]), /^nan\.png: pixel at row 1, column 0 is NaN/);
    expectDataError(() => whiten([image(2, 2, [0, 1, Infinity, 0])]), /^image 1: pixel at row 1, column 0 is Infinity/);
    expectDataError(() => whiten([image(3, 2, [0, 1, 2])]), /3 pixels for a 3×2 image/);
    expectDataError(() => whiten([image(4, 4, new Array(16).fill(0.5))]), /every image is constant/);
    expectDataError(() => whiten([image(5, 3, new Array(15).fill(0.3)), image(7, 1, new Array(7).fill(2))]), /every image is constant/);
    expectDataError(() => whiten([]), /no images/);
  });
});
