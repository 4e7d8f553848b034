/**
 * Grayscale images: decoding PNG and JPEG bytes, 2× downsampling, and the whitening of
 * Olshausen & Field that produced UFLDL's IMAGES.mat. Also decoding to color (RgbImage), for
 * the linear decoder's color patches (./color.ts). Runs in Node and in the browser.
 */
import { decode as decodeJpegBytes } from 'jpeg-js';
import { decode as decodePngBytes } from 'fast-png';
import { DEFLATE_MAX_RATIO } from './compression';
import { DataError, messageOf } from './errors';
import { fft2d } from './fft';

/** A grayscale image, row-major: the pixel at row y, column x is pixels[y·width + x]. */
export interface GrayImage {
  width: number;
  height: number;
  pixels: Float64Array;
  /** Where it came from (a file path, a package), for error messages. */
  name?: string;
}

export interface DecodeOptions {
  /** Refuse JPEGs of more megapixels than this (jpeg-js's guard against decompression bombs); default 100. */
  maxResolutionInMP?: number;
  /** Refuse JPEGs that need more memory than this to decode; default 512. */
  maxMemoryUsageInMB?: number;
}

/** ITU-R BT.601 luma weights, as MATLAB's rgb2gray. */
const LUMA_R = 0.299;
const LUMA_G = 0.587;
const LUMA_B = 0.114;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

function startsWith(bytes: Uint8Array, signature: readonly number[]): boolean {
  return bytes.length >= signature.length && signature.every((b, i) => bytes[i] === b);
}

/** 'png', 'jpeg', or undefined, from the first bytes. */
export function imageFormat(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, JPEG_SIGNATURE)) return 'jpeg';
  return undefined;
}

/**
 * Decodes a PNG or JPEG (recognized by its magic bytes, not its name) to grayscale with
 * values in [0, 1]: luma 0.299R + 0.587G + 0.114B, alpha ignored.
 */
export function decodeImage(bytes: Uint8Array, source: string, options: DecodeOptions = {}): GrayImage {
  const format = imageFormat(bytes);
  if (format === 'png') return decodePng(bytes, source);
  if (format === 'jpeg') return decodeJpeg(bytes, source, options);
  throw notAnImage(bytes, source);
}

function notAnImage(bytes: Uint8Array, source: string): DataError {
  const start = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return new DataError(source, `not a PNG or JPEG image (it starts with bytes ${start || '(empty file)'})`);
}

/**
 * Refuses a JPEG whose frame header claims more 8×8 blocks than the file could code, before
 * jpeg-js allocates them: every block of every component costs at least one bit of entropy-
 * coded data (its DC difference), so n bytes hold at most 8n blocks. jpeg-js allocates a
 * frame's blocks as soon as it reads the frame header, trusting its size (up to its 100 MP
 * and 512 MB limits), so a flipped bit in the height of a 1 kB file would otherwise cost
 * hundreds of megabytes.
 */
function checkJpegFrames(bytes: Uint8Array, source: string): void {
  const n = bytes.length;
  let blocks = 0;
  let o = 2;
  while (o + 4 <= n) {
    if (bytes[o] !== 0xff) {
      o++; // entropy-coded data (or garbage, which jpeg-js will report)
      continue;
    }
    const marker = bytes[o + 1];
    if (marker === 0xff || marker === 0x00 || marker === 0x01 || marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) {
      o += marker === 0xff ? 1 : 2; // fill byte, stuffed zero, TEM, SOI, RSTn: no length
      continue;
    }
    if (marker === 0xd9) break; // EOI
    const length = (bytes[o + 2] << 8) | bytes[o + 3];
    // SOF0/1/2: the frames jpeg-js decodes (it rejects the other SOF markers).
    if ((marker === 0xc0 || marker === 0xc1 || marker === 0xc2) && o + 10 <= n) {
      const height = (bytes[o + 5] << 8) | bytes[o + 6];
      const width = (bytes[o + 7] << 8) | bytes[o + 8];
      const count = bytes[o + 9];
      const sampling: [number, number][] = [];
      for (let c = 0; c < count && o + 12 + 3 * c <= n; c++) {
        const hv = bytes[o + 11 + 3 * c];
        const [h, v] = [hv >> 4, hv & 15];
        // jpeg-js takes up to 15, which pads every MCU with blocks the file never codes.
        if (h < 1 || h > 4 || v < 1 || v > 4) {
          throw new DataError(source, `corrupt JPEG: component ${c + 1} has sampling factors ${h}×${v} (JPEG allows 1 to 4)`);
        }
        sampling.push([h, v]);
      }
      const maxH = Math.max(1, ...sampling.map(([h]) => h));
      const maxV = Math.max(1, ...sampling.map(([, v]) => v));
      const blocksWide = Math.ceil(width / 8);
      const blocksHigh = Math.ceil(height / 8);
      for (const [h, v] of sampling) blocks += Math.ceil((blocksWide * h) / maxH) * Math.ceil((blocksHigh * v) / maxV);
      if (blocks > 8 * n) {
        throw new DataError(
          source,
          `corrupt JPEG: the frame header says ${width}×${height} (${blocks} blocks of 8×8 pixels), more than the ${n} bytes of the file can hold (at most ${8 * n} blocks)`,
        );
      }
    }
    o += 2 + length;
  }
}

/** A JPEG's pixels as 8-bit RGB triples (grayscale JPEGs come back with R = G = B), checked. */
function decodeJpegRgb(bytes: Uint8Array, source: string, options: DecodeOptions): { width: number; height: number; data: Uint8Array } {
  checkJpegFrames(bytes, source);
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = decodeJpegBytes(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: options.maxResolutionInMP ?? 100,
      maxMemoryUsageInMB: options.maxMemoryUsageInMB ?? 512,
    });
  } catch (error) {
    throw new DataError(source, `corrupt or unsupported JPEG (${messageOf(error)})`, { cause: error });
  }
  const { width, height, data } = decoded;
  checkSize(width, height, source);
  if (data.length !== width * height * 3) {
    throw new DataError(source, `corrupt JPEG: ${data.length} bytes decoded for ${width}×${height} RGB`);
  }
  return decoded;
}

function decodeJpeg(bytes: Uint8Array, source: string, options: DecodeOptions): GrayImage {
  const { width, height, data } = decodeJpegRgb(bytes, source, options);
  return grayFromSamples(data, width, height, 3, source);
}

/**
 * A decoded image's interleaved 8-bit samples (RGB or RGBA, as a browser's canvas gives them)
 * as gray, with the same weights as the JPEG path, so both decoders make the same gray from the
 * same colors.
 */
export function grayFromSamples(data: ArrayLike<number>, width: number, height: number, channels: 3 | 4, name?: string): GrayImage {
  const pixels = new Float64Array(width * height);
  for (let i = 0, o = 0; i < pixels.length; i++, o += channels) pixels[i] = (LUMA_R * data[o] + LUMA_G * data[o + 1] + LUMA_B * data[o + 2]) / 255;
  return { width, height, pixels, name };
}

/** Interleaved 8-bit RGB or RGBA samples as an RgbImage's three planes, values in [0, 1]. */
export function colorFromSamples(data: ArrayLike<number>, width: number, height: number, channels: 3 | 4, name?: string): RgbImage {
  const n = width * height;
  const pixels = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) pixels[c * n + i] = data[channels * i + c] / 255;
  return { width, height, pixels, name };
}

/** Samples per pixel of each PNG colour type (gray, RGB, palette, gray + alpha, RGBA). */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Walks a PNG's chunks before fast-png does and refuses what fast-png would trust: a chunk
 * length that runs past the end of the file (fast-png sizes a tRNS table by it), and an IHDR
 * whose width × height needs more pixel data than the IDAT chunks can inflate to (fast-png
 * allocates the whole image from IHDR alone, after inflating). Deflate expands at most
 * 1032:1, so k bytes of IDAT hold at most 1032·k bytes of pixels.
 */
function checkPngLayout(bytes: Uint8Array, source: string): void {
  const n = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: { width: number; height: number; depth: number; channels: number } | undefined;
  let idatBytes = 0;
  for (let o = 8; o < n; ) {
    if (o + 8 > n) throw new DataError(source, `corrupt PNG: truncated, a chunk header at byte ${o} needs 8 bytes but ${n - o} are left`);
    const length = view.getUint32(o, false);
    const type = String.fromCharCode(bytes[o + 4], bytes[o + 5], bytes[o + 6], bytes[o + 7]);
    const shown = /^[A-Za-z]{4}$/.test(type) ? type : JSON.stringify(type);
    if (length > n - o - 12) {
      throw new DataError(source, `corrupt PNG: chunk ${shown} at byte ${o} says ${length} bytes but only ${Math.max(0, n - o - 12)} are left (truncated?)`);
    }
    if (!header) {
      if (type !== 'IHDR' || length !== 13) throw new DataError(source, `corrupt PNG: the first chunk is ${shown} of ${length} bytes, not a 13-byte IHDR`);
      const width = view.getUint32(o + 8, false);
      const height = view.getUint32(o + 12, false);
      const depth = bytes[o + 16];
      const channels = PNG_CHANNELS[bytes[o + 17]];
      if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
        throw new DataError(source, `corrupt PNG: IHDR says ${width}×${height} pixels`);
      }
      if (!channels || ![1, 2, 4, 8, 16].includes(depth)) {
        throw new DataError(source, `corrupt or unsupported PNG: colour type ${bytes[o + 17]} at ${depth} bits`);
      }
      header = { width, height, depth, channels };
    }
    if (type === 'IDAT') idatBytes += length;
    if (type === 'IEND') break;
    o += 12 + length;
  }
  if (!header) throw new DataError(source, 'corrupt PNG: truncated before the IHDR chunk');
  const { width, height, depth, channels } = header;
  // Each pixel once (Adam7 or not), and a filter byte per row at the least.
  const pixelBytes = Math.max(height, Math.ceil((width * height * channels * depth) / 8));
  if (pixelBytes > DEFLATE_MAX_RATIO * idatBytes) {
    throw new DataError(
      source,
      `corrupt PNG: IHDR says ${width}×${height} (at least ${pixelBytes} bytes of pixels) but the IDAT chunks hold ${idatBytes} bytes, which inflate to at most ${DEFLATE_MAX_RATIO * idatBytes}`,
    );
  }
}

/** A PNG's samples, one per array element, with what they mean (depth, channels, palette), checked. */
function decodePngSamples(bytes: Uint8Array, source: string) {
  checkPngLayout(bytes, source);
  let png: ReturnType<typeof decodePngBytes>;
  try {
    png = decodePngBytes(bytes, { checkCrc: true });
  } catch (error) {
    throw new DataError(source, `corrupt or unsupported PNG (${messageOf(error)})`, { cause: error });
  }
  const { width, height, depth, channels, palette } = png;
  checkSize(width, height, source);
  const samples = unpackSamples(png.data, width, height, depth, channels, source);
  return { width, height, depth, channels, palette, samples };
}

function paletteColor(palette: ArrayLike<ArrayLike<number>>, index: number, source: string): ArrayLike<number> {
  const color = palette[index];
  if (!color) throw new DataError(source, `corrupt PNG: palette index ${index} but the palette has ${palette.length} colors`);
  return color;
}

function decodePng(bytes: Uint8Array, source: string): GrayImage {
  const { width, height, depth, channels, palette, samples } = decodePngSamples(bytes, source);
  const pixels = new Float64Array(width * height);
  if (palette) {
    for (let i = 0; i < pixels.length; i++) {
      const color = paletteColor(palette, samples[i], source);
      pixels[i] = (LUMA_R * color[0] + LUMA_G * color[1] + LUMA_B * color[2]) / 255;
    }
    return { width, height, pixels, name: source };
  }
  const max = 2 ** depth - 1;
  if (channels <= 2) {
    // gray, or gray + alpha
    for (let i = 0; i < pixels.length; i++) pixels[i] = samples[i * channels] / max;
  } else {
    // RGB or RGBA
    for (let i = 0, o = 0; i < pixels.length; i++, o += channels) {
      pixels[i] = (LUMA_R * samples[o] + LUMA_G * samples[o + 1] + LUMA_B * samples[o + 2]) / max;
    }
  }
  return { width, height, pixels, name: source };
}

/**
 * A color image: three planes R, G, B one after another, each row-major like GrayImage's
 * pixels, so the pixel at row y, column x of channel c is pixels[c·width·height + y·width + x].
 * Values in [0, 1].
 */
export interface RgbImage {
  width: number;
  height: number;
  pixels: Float64Array;
  name?: string;
}

/**
 * Decodes a PNG or JPEG to color, values in [0, 1], alpha ignored; gray images get R = G = B.
 * The same checks as decodeImage.
 */
export function decodeColorImage(bytes: Uint8Array, source: string, options: DecodeOptions = {}): RgbImage {
  const format = imageFormat(bytes);
  if (format === 'jpeg') {
    const { width, height, data } = decodeJpegRgb(bytes, source, options);
    return colorFromSamples(data, width, height, 3, source);
  }
  if (format !== 'png') throw notAnImage(bytes, source);
  const { width, height, depth, channels, palette, samples } = decodePngSamples(bytes, source);
  const n = width * height;
  const pixels = new Float64Array(3 * n);
  const max = 2 ** depth - 1;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      pixels[c * n + i] = palette
        ? paletteColor(palette, samples[i], source)[c] / 255
        : samples[i * channels + (channels <= 2 ? 0 : c)] / max;
    }
  }
  return { width, height, pixels, name: source };
}

/**
 * One sample per array element. fast-png leaves 1-, 2- and 4-bit images packed, each row
 * starting on a byte boundary; checking the length here catches truncated image data that
 * would otherwise read as undefined → NaN.
 */
function unpackSamples(
  data: ArrayLike<number>,
  width: number,
  height: number,
  depth: number,
  channels: number,
  source: string,
): ArrayLike<number> {
  if (depth >= 8) {
    if (data.length !== width * height * channels) {
      throw new DataError(source, `corrupt PNG: ${data.length} samples decoded for ${width}×${height}×${channels}`);
    }
    return data;
  }
  const bytesPerRow = Math.ceil((width * channels * depth) / 8);
  if (data.length !== bytesPerRow * height) {
    throw new DataError(source, `corrupt PNG: ${data.length} bytes decoded for ${height} rows of ${bytesPerRow}`);
  }
  const out = new Uint8Array(width * height * channels);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let s = 0; s < width * channels; s++) {
      const bit = s * depth;
      const byte = data[y * bytesPerRow + (bit >>> 3)];
      out[y * width * channels + s] = (byte >>> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

function checkSize(width: number, height: number, source: string): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new DataError(source, `image has no pixels (${width}×${height})`);
  }
}

/**
 * Grayscale from RGBA bytes (a canvas's ImageData, say), with the same luma weights as
 * decodeImage, values in [0, 1].
 */
export function grayFromRgba(width: number, height: number, rgba: ArrayLike<number>, name?: string): GrayImage {
  const source = name ?? 'RGBA pixels';
  checkSize(width, height, source);
  if (rgba.length !== width * height * 4) {
    throw new DataError(source, `${rgba.length} RGBA bytes for a ${width}×${height} image (expected ${width * height * 4})`);
  }
  const pixels = new Float64Array(width * height);
  for (let i = 0, o = 0; i < pixels.length; i++, o += 4) {
    pixels[i] = (LUMA_R * rgba[o] + LUMA_G * rgba[o + 1] + LUMA_B * rgba[o + 2]) / 255;
  }
  return { width, height, pixels, name };
}

/**
 * Halves width and height by averaging each 2×2 block (area averaging, so no aliasing from
 * skipped pixels). An odd last row or column is dropped.
 */
export function downsample2x(image: GrayImage): GrayImage {
  const { width, height, pixels } = image;
  const w = Math.floor(width / 2);
  const h = Math.floor(height / 2);
  if (w < 1 || h < 1) {
    throw new DataError(image.name ?? 'image', `a ${width}×${height} image is too small to downsample 2×`);
  }
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    const top = 2 * y * width;
    const bottom = top + width;
    for (let x = 0; x < w; x++) {
      const c = 2 * x;
      out[y * w + x] = 0.25 * (pixels[top + c] + pixels[top + c + 1] + pixels[bottom + c] + pixels[bottom + c + 1]);
    }
  }
  return { width: w, height: h, pixels: out, name: image.name };
}

/** f0 of the whitening filter, in cycles per pixel (Olshausen: 0.4·N cycles per image). */
export const WHITENING_CUTOFF = 0.4;
/** The pooled variance of whitened images, as in IMAGES.mat. */
export const WHITENED_VARIANCE = 0.1;

/**
 * The whitening filter's gain at spatial frequency f (cycles per pixel): f·exp(−(f/f0)⁴).
 * The factor f undoes natural images' 1/f amplitude spectrum, flattening it; the exponential
 * rolls off the highest frequencies, where noise and aliasing live.
 */
export function whiteningGain(f: number): number {
  return f * Math.exp(-((f / WHITENING_CUTOFF) ** 4));
}

/**
 * Whitens each image as Olshausen made IMAGES.mat: 2-D FFT, multiply by
 * whiteningGain(√(fx² + fy²)), inverse FFT, real part. Then all images are scaled by one
 * common factor so that the variance of all their pixels together (N − 1 normalization) is
 * 0.1. Returns new images; the inputs are unchanged.
 */
export function whiten(images: readonly GrayImage[]): GrayImage[] {
  if (images.length === 0) throw new DataError('whiten', 'no images to whiten');
  for (const [k, image] of images.entries()) checkPixels(image, image.name ?? `image ${k + 1}`);
  // Tested before filtering: rounding would turn a constant image into noise of ~1e-17, which
  // the common scaling would then blow up to variance 0.1.
  if (images.every(({ pixels }) => pixels.every((v) => v === pixels[0]))) {
    throw new DataError(images[0].name ?? 'whiten', 'every image is constant (there is no structure to whiten)');
  }

  const whitened = images.map((image) => ({ ...image, pixels: filterImage(image) }));

  let count = 0;
  let sum = 0;
  for (const { pixels } of whitened) {
    count += pixels.length;
    for (const v of pixels) sum += v;
  }
  const mean = sum / count;
  let squares = 0;
  for (const { pixels } of whitened) for (const v of pixels) squares += (v - mean) ** 2;
  const variance = count > 1 ? squares / (count - 1) : 0;
  if (!(variance > 0)) {
    throw new DataError(images[0].name ?? 'whiten', 'whitened images are constant (there is no structure to whiten)');
  }
  const scale = Math.sqrt(WHITENED_VARIANCE / variance);
  for (const { pixels } of whitened) for (let i = 0; i < pixels.length; i++) pixels[i] *= scale;
  return whitened;
}

/** Re(IFFT2(FFT2(image) · gain)), before the common scaling. */
function filterImage({ width, height, pixels }: GrayImage): Float64Array {
  const re = Float64Array.from(pixels);
  const im = new Float64Array(width * height);
  fft2d(re, im, width, height);
  for (let ky = 0; ky < height; ky++) {
    // Signed frequency index: k for k ≤ n/2, k − n above (fftshift's −n/2 … n/2 − 1 layout).
    const fy = (ky <= height / 2 ? ky : ky - height) / height;
    for (let kx = 0; kx < width; kx++) {
      const fx = (kx <= width / 2 ? kx : kx - width) / width;
      const gain = whiteningGain(Math.sqrt(fx * fx + fy * fy));
      re[ky * width + kx] *= gain;
      im[ky * width + kx] *= gain;
    }
  }
  fft2d(re, im, width, height, true);
  return re;
}

/** A DataError unless the image's size matches its pixels and every pixel is finite. */
export function checkPixels(image: GrayImage, source: string): void {
  const { width, height, pixels } = image;
  checkSize(width, height, source);
  if (pixels.length !== width * height) {
    throw new DataError(source, `${pixels.length} pixels for a ${width}×${height} image`);
  }
  for (let i = 0; i < pixels.length; i++) {
    if (!Number.isFinite(pixels[i])) {
      throw new DataError(source, `pixel at row ${Math.floor(i / width)}, column ${i % width} is ${pixels[i]}`);
    }
  }
}
