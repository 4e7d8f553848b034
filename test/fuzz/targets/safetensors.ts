/** .safetensors files: readSafetensors, of a file's only tensor and of a named one. */
import { DataError } from '../../../src/data/errors';
import { readSafetensors, writeSafetensors, type SafetensorsInput } from '../../../src/data/safetensors';
import type { Dataset } from '../../../src/reference/autoencoder';
import { jsonLies, site } from '../mutations';
import { allFinite, expectValid, isPositiveInteger, KiB, seededValues, type Seed, type Target } from './target';

function check(result: unknown): void {
  const { data, examples, visibleSize } = result as Dataset;
  expectValid(isPositiveInteger(examples) && isPositiveInteger(visibleSize), `bad size ${examples} × ${visibleSize}`);
  expectValid((data instanceof Float32Array || data instanceof Float64Array) && data.length === examples * visibleSize, `${data?.length} values for ${examples} × ${visibleSize}`);
  expectValid(allFinite(data), 'a value that is not finite');
}

/** A file around the given header text and the seed's data buffer. */
function assemble(json: string, buffer: Uint8Array): Uint8Array {
  const text = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + text.length + buffer.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(buffer, 8 + text.length);
  return out;
}

function safetensorsSeed(name: string, tensors: SafetensorsInput[], tensor?: string): Seed {
  const bytes = writeSafetensors(tensors, { format: 'pt' });
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  const buffer = bytes.slice(8 + headerLength);
  return {
    name,
    bytes,
    sites: [site(0, 8, true, 'header length'), site(0, 4, true, 'header length, low half')],
    extra: jsonLies(header, (json) => assemble(json, buffer), 'header'),
    read: (b, source) => readSafetensors(b, source, tensor === undefined ? {} : { tensor }),
    check,
  };
}

export const safetensorsTarget: Target = {
  name: 'safetensors',
  errorName: 'DataError',
  isOwnError: (error) => error instanceof DataError,
  // One copy of the tensor's values, which the offsets must place inside the file; the JSON
  // header is decoded to a string, not to typed arrays.
  budget: (bytes) => ({ largest: bytes.length + 64 * KiB, total: 2 * bytes.length + 256 * KiB }),
  seeds: () => [
    safetensorsSeed('one-f32.safetensors', [{ name: 'acts', data: Float32Array.from(seededValues(12, 51, 4), (x) => x - 2), shape: [3, 4] }]),
    safetensorsSeed(
      'named-f64.safetensors',
      [
        { name: 'ids', data: Float32Array.from(seededValues(3, 52)), shape: [3] },
        { name: 'acts', data: Float64Array.from(seededValues(10, 53, 100)), shape: [5, 2] },
      ],
      'acts',
    ),
  ],
};
