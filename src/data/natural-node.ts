/** The embedded natural images, read from their npm packages in Node. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from './errors';
import { naturalColorImagesFromFiles } from './color';
import type { GrayImage, RgbImage } from './images';
import { NATURAL_IMAGES, naturalImagePackages, naturalImagesFromFiles, rawNaturalImagesFromFiles } from './natural';
import { readFileBytes } from './node';

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

/** The nine photos decoded, grayscale, downsampled 2× and whitened (see natural.ts). */
export async function loadNaturalImages(): Promise<GrayImage[]> {
  return naturalImagesFromFiles(await readNaturalImageFiles());
}

/** The nine photos decoded, grayscale and downsampled 2×, not whitened (IMAGES_RAW, for PCA). */
export async function loadRawNaturalImages(): Promise<GrayImage[]> {
  return rawNaturalImagesFromFiles(await readNaturalImageFiles());
}

/** The nine photos decoded in color and downsampled 2× (see color.ts). */
export async function loadNaturalColorImages(): Promise<RgbImage[]> {
  return naturalColorImagesFromFiles(await readNaturalImageFiles());
}
