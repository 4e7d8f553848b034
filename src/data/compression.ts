/**
 * zlib and gzip decompression (fflate) with the integrity checks fflate leaves out: fflate
 * neither verifies zlib's Adler-32 nor gzip's CRC-32, so a flipped byte in the middle of a
 * stream would decode to silently wrong numbers. Both checks are done here, and every failure
 * becomes a DataError naming the source.
 */
import { gunzipSync, unzlibSync } from 'fflate';
import { DataError, messageOf } from './errors';

/** True when the bytes start with gzip's magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Inflate a zlib stream (RFC 1950) and check its Adler-32 trailer. */
export function inflateZlib(bytes: Uint8Array, source: string): Uint8Array {
  let output: Uint8Array;
  try {
    output = unzlibSync(bytes);
  } catch (error) {
    throw new DataError(source, `corrupt zlib data (${messageOf(error)})`, { cause: error });
  }
  const n = bytes.length;
  if (n < 6) throw new DataError(source, `corrupt zlib data: ${n} bytes is too short for a zlib stream`);
  const stored = ((bytes[n - 4] << 24) | (bytes[n - 3] << 16) | (bytes[n - 2] << 8) | bytes[n - 1]) >>> 0;
  const actual = adler32(output);
  if (stored !== actual) {
    throw new DataError(
      source,
      `corrupt zlib data: Adler-32 checksum is ${hex32(actual)} but the stream says ${hex32(stored)}`,
    );
  }
  return output;
}

/**
 * Deflate's largest expansion: a length/distance pair of 258 bytes can be coded in 2 bits, so
 * n compressed bytes never inflate to more than 1032·n bytes.
 */
export const DEFLATE_MAX_RATIO = 1032;

/** Decompress a gzip file (RFC 1952) and check its CRC-32 and length trailer. */
export function gunzip(bytes: Uint8Array, source: string): Uint8Array {
  // The trailer is the last 8 bytes of a single-member file: CRC-32 then length mod 2³², both
  // little-endian. (fflate only decodes the first member, so this is where it ended.)
  const n = bytes.length;
  if (n < 18) throw new DataError(source, `corrupt gzip data: ${n} bytes is too short for a gzip file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const storedCrc = view.getUint32(n - 8, true);
  const storedLength = view.getUint32(n - 4, true);
  // fflate allocates the output at the trailer's length before inflating: a truncated or
  // corrupt trailer would ask for up to 4 GiB. No more than 1032 bytes per compressed byte
  // can come out of a valid file.
  const most = DEFLATE_MAX_RATIO * (n - 18);
  if (storedLength > most) {
    throw new DataError(
      source,
      `corrupt gzip data: the trailer says ${storedLength} bytes, more than a ${n}-byte file can hold (at most ${most}; truncated?)`,
    );
  }
  let output: Uint8Array;
  try {
    output = gunzipSync(bytes);
  } catch (error) {
    throw new DataError(source, `corrupt gzip data (${messageOf(error)})`, { cause: error });
  }
  if (storedLength !== output.length % 2 ** 32) {
    throw new DataError(
      source,
      `corrupt gzip data: ${output.length} bytes decompressed but the trailer says ${storedLength}`,
    );
  }
  const actualCrc = crc32(output);
  if (storedCrc !== actualCrc) {
    throw new DataError(
      source,
      `corrupt gzip data: CRC-32 is ${hex32(actualCrc)} but the trailer says ${hex32(storedCrc)}`,
    );
  }
  return output;
}

export function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  // Reduce every 5552 bytes (zlib's NMAX) so that a and b stay small integers.
  for (let start = 0; start < bytes.length; start += 5552) {
    const end = Math.min(start + 5552, bytes.length);
    for (let i = start; i < end; i++) {
      a += bytes[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

let crcTable: Uint32Array | undefined;

export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function hex32(value: number): string {
  return '0x' + value.toString(16).padStart(8, '0');
}
