/** Reading idx files (MNIST's format, gzipped or not) from disk. */
import type { Dataset } from '../reference/autoencoder';
import { idxImagesToDataset, readIdxImages, readIdxLabels, type IdxImages } from './idx';
import { readFileBytes } from './node';

export async function loadIdxImages(path: string): Promise<IdxImages> {
  return readIdxImages(await readFileBytes(path), path);
}

export async function loadIdxLabels(path: string): Promise<Uint8Array> {
  return readIdxLabels(await readFileBytes(path), path);
}

/** An idx images file as a Dataset of pixels / 255 (no other normalization, as in UFLDL). */
export async function loadIdxDataset(path: string): Promise<Dataset> {
  return idxImagesToDataset(await loadIdxImages(path));
}
