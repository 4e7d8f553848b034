/**
 * UFLDL's MAT-file variables in this project's layouts: IMAGES (rows × cols × count) as row-major
 * GrayImages, patches (visible × m, one column-major p×p patch per column) as a row-major
 * Dataset, θ as a vector; and back, for files that MATLAB and Octave read. The file format
 * itself (reading and writing variables) is ./mat.ts.
 */
import type { Dataset } from '../reference/autoencoder';
import { DataError } from './errors';
import type { GrayImage } from './images';
import { findMatVariable, type MatVariable } from './mat';

/** The source named in errors about what is being written, as writeMat names it. */
const WRITER = 'MAT-file writer';

/** dims without trailing singleton dimensions beyond the first `keep`. */
function significantDims(dims: readonly number[], keep: number): number[] {
  const out = dims.slice();
  while (out.length > keep && out[out.length - 1] === 1) out.pop();
  return out;
}

function requireFinite(variable: MatVariable, source: string): void {
  const i = variable.data.findIndex((x) => !Number.isFinite(x));
  if (i >= 0) throw new DataError(source, `variable '${variable.name}' has a non-finite value ${variable.data[i]} at index ${i}`);
}

/**
 * The images of a variable `IMAGES`, rows × cols × count like UFLDL's IMAGES.mat, as
 * row-major GrayImages (MATLAB's column-major order converted here).
 */
export function imagesFromMat(variables: readonly MatVariable[], source = 'MAT-file'): GrayImage[] {
  const variable = findMatVariable(variables, 'IMAGES', source);
  const dims = significantDims(variable.dims, 2);
  if (dims.length > 3) {
    throw new DataError(source, `variable 'IMAGES' is ${variable.dims.join('×')}; expected rows×cols×count`);
  }
  const [rows, cols] = dims;
  const count = dims[2] ?? 1;
  if (rows === 0 || cols === 0 || count === 0) {
    throw new DataError(source, `variable 'IMAGES' is empty (${variable.dims.join('×')})`);
  }
  requireFinite(variable, source);
  const images: GrayImage[] = [];
  for (let k = 0; k < count; k++) {
    const pixels = new Float64Array(rows * cols);
    const base = k * rows * cols;
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) pixels[y * cols + x] = variable.data[base + x * rows + y];
    }
    images.push({ width: cols, height: rows, pixels, name: `${source} IMAGES(:,:,${k + 1})` });
  }
  return images;
}

/** Same-sized images as a variable rows × cols × count, column-major, for writeMat. */
export function imagesToMat(images: readonly GrayImage[], name = 'IMAGES'): MatVariable {
  if (images.length === 0) throw new DataError(WRITER, 'no images to write');
  const { width, height } = images[0];
  const data = new Float64Array(width * height * images.length);
  images.forEach((image, k) => {
    if (image.width !== width || image.height !== height) {
      throw new DataError(WRITER, `images differ in size (${width}×${height} and ${image.width}×${image.height}); a MAT array needs one size`);
    }
    const base = k * width * height;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) data[base + x * height + y] = image.pixels[y * width + x];
    }
  });
  return { name, dims: [height, width, images.length], data };
}

/** The side p of a square patch of `visibleSize` pixels, or undefined when not a square. */
function squareSide(visibleSize: number): number | undefined {
  const p = Math.round(Math.sqrt(visibleSize));
  return p * p === visibleSize ? p : undefined;
}

/**
 * Patches from a variable `patches` (visible × m, one patch per column, like UFLDL's
 * sampleIMAGES output) as a Dataset. When visible is a square p², each column is a p×p patch
 * reshaped column-major by MATLAB and is transposed here to our row-major pixel order.
 */
export function patchesFromMat(variables: readonly MatVariable[], source = 'MAT-file'): Dataset {
  const variable = findMatVariable(variables, 'patches', source);
  const dims = significantDims(variable.dims, 2);
  if (dims.length > 2) throw new DataError(source, `variable 'patches' is ${variable.dims.join('×')}; expected visible×m`);
  const [visibleSize, examples] = dims;
  if (visibleSize === 0 || examples === 0) throw new DataError(source, `variable 'patches' is empty (${variable.dims.join('×')})`);
  requireFinite(variable, source);
  const p = squareSide(visibleSize);
  const data = new Float64Array(visibleSize * examples);
  for (let k = 0; k < examples; k++) {
    const column = variable.data.subarray(k * visibleSize, (k + 1) * visibleSize);
    const row = data.subarray(k * visibleSize, (k + 1) * visibleSize);
    if (p === undefined) {
      row.set(column);
    } else {
      for (let y = 0; y < p; y++) for (let x = 0; x < p; x++) row[y * p + x] = column[x * p + y];
    }
  }
  return { data, examples, visibleSize };
}

/** The inverse of patchesFromMat: a Dataset as a variable visible × m in MATLAB's layout. */
export function patchesToMat(dataset: Dataset, name = 'patches'): MatVariable {
  const { visibleSize, examples } = dataset;
  const p = squareSide(visibleSize);
  const data = new Float64Array(visibleSize * examples);
  for (let k = 0; k < examples; k++) {
    const row = dataset.data.subarray(k * visibleSize, (k + 1) * visibleSize);
    const column = data.subarray(k * visibleSize, (k + 1) * visibleSize);
    if (p === undefined) {
      column.set(row);
    } else {
      for (let y = 0; y < p; y++) for (let x = 0; x < p; x++) column[x * p + y] = row[y * p + x];
    }
  }
  return { name, dims: [visibleSize, examples], data };
}

/** The parameter vector θ from a variable `theta` (a row or column vector). */
export function thetaFromMat(variables: readonly MatVariable[], source = 'MAT-file'): Float64Array {
  const variable = findMatVariable(variables, 'theta', source);
  if (variable.dims.filter((d) => d !== 1).length > 1) {
    throw new DataError(source, `variable 'theta' is ${variable.dims.join('×')}; expected a vector`);
  }
  if (variable.data.length === 0) throw new DataError(source, "variable 'theta' is empty");
  requireFinite(variable, source);
  return variable.data.slice();
}

/** θ as a column vector `theta`, as minFunc returns it. */
export function thetaToMat(theta: ArrayLike<number>, name = 'theta'): MatVariable {
  return { name, dims: [theta.length, 1], data: Float64Array.from(theta) };
}
