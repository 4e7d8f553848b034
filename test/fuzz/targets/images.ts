/** PNG and JPEG files: decodeImage (fast-png and jpeg-js behind the project's checks). */
import { encode as encodePng } from 'fast-png';
import { encode as encodeJpeg } from 'jpeg-js';
import { crc32 } from '../../../src/data/compression';
import { DataError } from '../../../src/data/errors';
import { decodeImage, type GrayImage } from '../../../src/data/images';
import { site, type Site } from '../mutations';
import { allIn, DEFLATE_RATIO, expectValid, isPositiveInteger, MiB, seededValues, type Seed, type Target } from './target';

function check(result: unknown): void {
  const { width, height, pixels } = result as GrayImage;
  expectValid(isPositiveInteger(width) && isPositiveInteger(height), `bad size ${width}×${height}`);
  expectValid(pixels instanceof Float64Array && pixels.length === width * height, `${pixels.length} pixels for ${width}×${height}`);
  expectValid(allIn(pixels, 0, 1), 'a pixel outside [0, 1]');
}

const read = (bytes: Uint8Array, source: string) => decodeImage(bytes, source);

const be32 = (bytes: Uint8Array, o: number) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(o, false);

/** [offset, data length, type] of each chunk of a valid PNG. */
function chunksOf(png: Uint8Array): [number, number, string][] {
  const chunks: [number, number, string][] = [];
  for (let o = 8; o < png.length; ) {
    const length = be32(png, o);
    chunks.push([o, length, String.fromCharCode(...png.subarray(o + 4, o + 8))]);
    o += 12 + length;
  }
  return chunks;
}

/** The PNG with every chunk's CRC made right again, at the chunk boundaries of the seed. */
function fixCrcs(png: Uint8Array, chunks: [number, number, string][]): Uint8Array {
  const out = png.slice();
  const view = new DataView(out.buffer);
  for (const [o, length] of chunks) {
    if (o + 12 + length > out.length) break;
    view.setUint32(o + 8 + length, crc32(out.subarray(o + 4, o + 8 + length)), false);
  }
  return out;
}

function pngSeed(name: string, image: Parameters<typeof encodePng>[0], options?: Parameters<typeof encodePng>[1]): Seed {
  const bytes = encodePng(image, options);
  const chunks = chunksOf(bytes);
  const sites: Site[] = [];
  for (const [o, , type] of chunks) sites.push(site(o, 4, false, `${type} chunk length`));
  sites.push(site(16, 4, false, 'IHDR width'), site(20, 4, false, 'IHDR height'), site(24, 1, false, 'IHDR bit depth'));
  return { name, bytes, raw: bytes, render: (raw) => fixCrcs(raw, chunks), sites, read, check };
}

const samples = (n: number, max: number, seed: number) => seededValues(n, seed, max + 1).map(Math.floor);

export const pngTarget: Target = {
  name: 'PNG',
  errorName: 'DataError',
  isOwnError: (error) => error instanceof DataError,
  // At most 1032 bytes of image data per compressed byte, 8 one-bit pixels per byte, each
  // pixel a float64 (and a byte or two on the way there).
  budget: (bytes) => ({ largest: 8 * 8 * DEFLATE_RATIO * bytes.length + MiB, total: 4 * 8 * 8 * DEFLATE_RATIO * bytes.length + 4 * MiB }),
  seeds: () => [
    pngSeed('gray8.png', { width: 7, height: 5, channels: 1, depth: 8, data: new Uint8Array(samples(35, 255, 1)) }),
    pngSeed('rgba8-adam7.png', { width: 6, height: 4, channels: 4, depth: 8, data: new Uint8Array(samples(96, 255, 2)) }, { interlace: 'Adam7' }),
    pngSeed('gray16-text.png', { width: 3, height: 3, channels: 1, depth: 16, data: new Uint16Array(samples(9, 65535, 3)), text: { Title: 'fuzz' } }),
    pngSeed('gray1.png', { width: 9, height: 3, channels: 1, depth: 1, data: new Uint8Array(samples(6, 255, 4)) }),
    pngSeed('palette2.png', {
      width: 5,
      height: 3,
      channels: 1,
      depth: 2,
      data: new Uint8Array(samples(6, 255, 5)),
      palette: [
        [0, 0, 0, 255],
        [255, 0, 0, 128],
        [0, 255, 0, 255],
        [10, 20, 250, 0],
      ],
    }),
  ],
};

/** The length, size and count fields of a JPEG's marker segments. */
function jpegSites(jpeg: Uint8Array): Site[] {
  const sites: Site[] = [];
  for (let o = 2; o + 4 <= jpeg.length; ) {
    if (jpeg[o] !== 0xff) break;
    const marker = jpeg[o + 1];
    const name = `marker ff${marker.toString(16)}`;
    const length = (jpeg[o + 2] << 8) | jpeg[o + 3];
    sites.push(site(o + 2, 2, false, `${name} segment length`));
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      sites.push(site(o + 5, 2, false, 'SOF height'), site(o + 7, 2, false, 'SOF width'), site(o + 9, 1, false, 'SOF components'));
      for (let c = 0; c < jpeg[o + 9]; c++) sites.push(site(o + 11 + 3 * c, 1, false, `SOF component ${c + 1} sampling`));
    }
    if (marker === 0xc4) for (let i = 0; i < 16; i += 5) sites.push(site(o + 5 + i, 1, false, `DHT codes of length ${i + 1}`));
    if (marker === 0xda) {
      sites.push(site(o + 4, 1, false, 'SOS components'));
      break; // entropy-coded data follows
    }
    o += 2 + length;
  }
  return sites;
}

function jpegSeed(name: string, width: number, height: number, quality: number, seed: number): Seed {
  const rgba = new Uint8Array(samples(width * height * 4, 255, seed));
  const bytes = new Uint8Array(encodeJpeg({ width, height, data: rgba }, quality).data);
  return { name, bytes, sites: jpegSites(bytes), read, check };
}

export const jpegTarget: Target = {
  name: 'JPEG',
  errorName: 'DataError',
  isOwnError: (error) => error instanceof DataError,
  // Every 8×8 block of every component costs at least one bit (its DC code): n bytes hold at
  // most 8n blocks, 512n pixels. jpeg-js keeps 256 + 64 bytes per block, then 3 + 3 bytes per
  // pixel, and the float64 pixels take 8: about 1,300 bytes per block, or 10,000 per byte of
  // file; 16,384 leaves room for padding to whole MCUs.
  budget: (bytes) => ({ largest: 8 * 512 * bytes.length + MiB, total: 16_384 * bytes.length + MiB }),
  seeds: () => [
    jpegSeed('16x8-q50.jpg', 16, 8, 50, 11),
    jpegSeed('9x7-q90.jpg', 9, 7, 90, 12),
    jpegSeed('1x1-q75.jpg', 1, 1, 75, 13),
    jpegSeed('24x17-q10.jpg', 24, 17, 10, 14),
  ],
};
