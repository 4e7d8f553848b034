/**
 * The embedded natural images, read from their npm packages in Node. What they are prepared
 * into is kept in the prepared-images cache (prepared-cache-node.ts), so only a machine's first
 * run decodes and whitens them.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from './errors';
import { naturalColorImagesFromFiles } from './color';
import type { GrayImage, RgbImage } from './images';
import { NATURAL_IMAGES, naturalImagePackages, naturalImagesFromFiles, rawNaturalImagesFromFiles } from './natural';
import { readFileBytes } from './node';
import { cachedPreparation } from './prepared-cache';
import { nodePreparedStore } from './prepared-cache-node';

/** The path of each package's data/image.jpg, in naturalImagePackages' order. */
export function naturalImagePaths(): string[] {
  const require = createRequire(import.meta.url);
  return naturalImagePackages.map((pkg) => {
    let packageJson: string;
    try {
      packageJson = require.resolve(`${pkg}/package.json`);
    } catch (error) {
      throw new DataError(NATURAL_IMAGES, `package ${pkg} is not installed (run npm install)`, { cause: error });
    }
    return join(dirname(packageJson), 'data', 'image.jpg');
  });
}

function readNaturalImageFiles() {
  return Promise.all(naturalImagePaths().map(async (path) => ({ name: path, bytes: await readFileBytes(path) })));
}

async function prepared<T extends GrayImage | RgbImage>(preparation: string, prepare: (files: { name: string; bytes: Uint8Array }[]) => T[]): Promise<T[]> {
  const files = await readNaturalImageFiles();
  return (await cachedPreparation(nodePreparedStore(), preparation, files, () => prepare(files))).images;
}

/** The nine photos decoded, grayscale, downsampled 2× and whitened (see natural.ts). */
export function loadNaturalImages(): Promise<GrayImage[]> {
  return prepared('natural-gray', naturalImagesFromFiles);
}

/** The nine photos decoded, grayscale and downsampled 2×, not whitened (IMAGES_RAW, for PCA). */
export function loadRawNaturalImages(): Promise<GrayImage[]> {
  return prepared('natural-raw', rawNaturalImagesFromFiles);
}

/** The nine photos decoded in color and downsampled 2× (see color.ts). */
export function loadNaturalColorImages(): Promise<RgbImage[]> {
  return prepared('natural-color', naturalColorImagesFromFiles);
}
