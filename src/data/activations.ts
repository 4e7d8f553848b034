/**
 * Activation matrices from files (.npy, .safetensors), whichever the file is: the one call the
 * data loader makes for them, in Node and in the browser alike.
 */
import type { Dataset } from '../reference/autoencoder';
import { DataError } from './errors';
import { isNpy, readNpy } from './npy';
import { readSafetensors } from './safetensors';

export type ActivationFileKind = 'npy' | 'safetensors';

/**
 * What a file is, from its name (.npy, .safetensors) or, failing that, its first bytes: .npy's
 * magic string, or a safetensors header (an 8-byte length that fits the file, then '{').
 * Undefined when neither tells.
 */
export function activationFileKind(name: string, bytes?: Uint8Array): ActivationFileKind | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.npy')) return 'npy';
  if (lower.endsWith('.safetensors')) return 'safetensors';
  if (!bytes) return undefined;
  if (isNpy(bytes)) return 'npy';
  if (bytes.length >= 9 && bytes[8] === 0x7b) {
    const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
    if (headerLength >= 2n && headerLength <= BigInt(bytes.length - 8)) return 'safetensors';
  }
  return undefined;
}

export interface ReadActivationsOptions {
  /** For .safetensors files holding several tensors: the one to read. */
  tensor?: string;
}

/** The file's activation matrix, one example per row; a DataError naming the file for anything else. */
export function readActivations(name: string, bytes: Uint8Array, options: ReadActivationsOptions = {}): Dataset {
  const kind = activationFileKind(name, bytes);
  if (kind === 'npy') {
    if (options.tensor !== undefined) throw new DataError(name, `a .npy file holds one array; there is no tensor '${options.tensor}' to choose`);
    return readNpy(bytes, name);
  }
  if (kind === 'safetensors') return readSafetensors(bytes, name, options);
  throw new DataError(name, 'not an activation matrix: expected a .npy or .safetensors file');
}
