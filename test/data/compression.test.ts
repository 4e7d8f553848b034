import { gzipSync, zlibSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { adler32, crc32, gunzip, inflateZlib, isGzip } from '../../src/data/compression';
import { DataError } from '../../src/data/errors';

const text = (s: string) => new TextEncoder().encode(s);

describe('checksums', () => {
  it('match the published check values', () => {
    expect(crc32(text('123456789'))).toBe(0xcbf43926); // the CRC-32 "check" value
    expect(adler32(text('Wikipedia'))).toBe(0x11e60398); // RFC 1950's example, via Wikipedia
    expect(adler32(new Uint8Array(0))).toBe(1);
    // Long enough to need the modulo reduction many times.
    const big = new Uint8Array(100_000).fill(255);
    let a = 1;
    let b = 0;
    for (const byte of big) {
      a = (a + byte) % 65521;
      b = (b + a) % 65521;
    }
    expect(adler32(big)).toBe(((b << 16) | a) >>> 0);
  });
});

describe('inflateZlib and gunzip', () => {
  const data = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) % 251);

  it('round-trip fflate’s output', () => {
    expect(inflateZlib(zlibSync(data), 'z')).toEqual(data);
    const gz = gzipSync(data);
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(data)).toBe(false);
    expect(gunzip(gz, 'g')).toEqual(data);
  });

  it('report corruption as DataErrors naming the source', () => {
    const z = zlibSync(data);
    const badAdler = z.slice();
    badAdler[z.length - 2] ^= 1;
    expect(() => inflateZlib(badAdler, 'z.bin')).toThrow(/^z\.bin: corrupt zlib data: Adler-32/);
    expect(() => inflateZlib(z.subarray(0, 4), 'z.bin')).toThrow(DataError);
    expect(() => gunzip(gzipSync(data).subarray(0, 12), 'g.gz')).toThrow(/^g\.gz: corrupt gzip data/);
  });
});
