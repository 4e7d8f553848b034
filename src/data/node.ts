/**
 * Reading user files in Node: images (PNG/JPEG, one file, a list, or a folder) and MAT-files.
 * Everything here turns file-system failures into DataErrors naming the path.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { DataError, messageOf } from './errors';
import { decodeImage, type DecodeOptions, type GrayImage } from './images';
import { readMat, type MatVariable, type ReadMatOptions } from './mat';

/** The bytes of a file, or a DataError naming it (missing, a folder, unreadable). */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a folder, not a file'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : `cannot be read (${messageOf(error)})`;
    throw new DataError(path, problem, { cause: error });
  }
}

/** File names a folder scan takes as images. */
const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/**
 * Loads PNG/JPEG images as grayscale with values in [0, 1], NOT whitened: the caller decides
 * (pass them to `whiten` for UFLDL-style natural-image training, or use them raw).
 *
 * - a file path: that image; a file that is not a PNG or JPEG is an error.
 * - a folder: every .png/.jpg/.jpeg file in it (not in subfolders), sorted by name; other
 *   files are skipped; a folder without images is an error.
 * - an array of paths: each as above, in the given order.
 */
export async function loadImageFiles(paths: string | readonly string[], options: DecodeOptions = {}): Promise<GrayImage[]> {
  const images: GrayImage[] = [];
  for (const path of typeof paths === 'string' ? [paths] : paths) {
    let isFolder: boolean;
    try {
      isFolder = (await stat(path)).isDirectory();
    } catch {
      isFolder = false; // readFileBytes reports what is wrong
    }
    const files = isFolder ? await imageFilesIn(path) : [path];
    for (const file of files) images.push(decodeImage(await readFileBytes(file), file, options));
  }
  if (images.length === 0) throw new DataError('image files', 'no images given');
  return images;
}

async function imageFilesIn(folder: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    throw new DataError(folder, `folder cannot be read (${messageOf(error)})`, { cause: error });
  }
  const names = entries
    .filter((entry) => !entry.isDirectory() && IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase()))
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)); // code-point order: the same on every machine
  if (names.length === 0) throw new DataError(folder, 'no PNG or JPEG files (.png, .jpg, .jpeg) in this folder');
  return names.map((name) => join(folder, name));
}

/** Every variable of a MAT-file on disk. */
export async function loadMatFile(path: string, options: ReadMatOptions = {}): Promise<MatVariable[]> {
  return readMat(await readFileBytes(path), path, options);
}
