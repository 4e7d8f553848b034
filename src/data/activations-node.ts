/** Activation matrices and generated superposition data sets, read from and written to disk. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Dataset } from '../reference/autoencoder';
import { readActivations, type ReadActivationsOptions } from './activations';
import { DataError, messageOf } from './errors';
import { readFileBytes } from './node';
import { superpositionFiles, type Superposition } from './superposition';

/** A .npy or .safetensors file as a Dataset, one example per row. */
export async function loadActivations(path: string, options: ReadActivationsOptions = {}): Promise<Dataset> {
  return readActivations(path, await readFileBytes(path), options);
}

/**
 * Writes `base`.npy (the data), `base`.directions.npy (the true directions, N × D) and
 * `base`.json (how they were made), creating the folder; returns the paths written.
 */
export async function saveSuperposition(result: Superposition, base: string): Promise<string[]> {
  const files = superpositionFiles(result, base);
  try {
    await mkdir(dirname(base), { recursive: true });
    for (const { name, bytes } of files) await writeFile(name, bytes);
  } catch (error) {
    throw new DataError(base, `cannot be written (${messageOf(error)})`, { cause: error });
  }
  return files.map((f) => f.name);
}
