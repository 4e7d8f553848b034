/**
 * UFLDL's display_network.m: tile M images (learned features or data patches) into one
 * grayscale picture. Runs anywhere (no DOM, no Node APIs); ./png and ./canvas show the result.
 *
 * As display_network does (with its defaults opt_normalize and opt_graycolor):
 *  - subtract the mean of all values of all images, A = A − mean(A(:));
 *  - divide each image by its own largest |value|, so every tile spans [−1, 1] and faint
 *    features stay visible;
 *  - lay the tiles out row by row on a grid with a 1-pixel border of −1 (black) around and
 *    between them; grid cells past the last image stay −1.
 *
 * An image is a vector of width·height values in row-major pixel order: pixel (row y, column x)
 * is value y·width + x, the order the patches are sampled in (display_network's MATLAB reads
 * its column-major reshape the same way the data were written).
 *
 * Color features (the linear decoder's) are drawn as UFLDL's displayColorNetwork draws them:
 * see displayColorNetwork below.
 */
import type { Dataset } from '../reference/autoencoder';
import { thetaLayout, type Shape } from '../reference/params';

/**
 * A picture, values in [−1, 1] (−1 black, 1 white; per channel for color), rows top to bottom.
 */
export interface NetworkImage {
  width: number;
  height: number;
  /** 1 (gray, the default) or 3 (RGB). */
  channels?: 1 | 3;
  /** Row-major: pixel (y, x) is values[y·width + x], or for color its R, G, B at 3(y·width + x) + c. */
  values: Float32Array;
}

/** `count` images of tileWidth × tileHeight values each, image k at data[k·size …). */
export interface TileSet {
  data: ArrayLike<number>;
  count: number;
  tileWidth: number;
  tileHeight: number;
}

export interface TileSize {
  width: number;
  height: number;
}

/** The black border between tiles, display_network's buf. */
export const BORDER = 1;

/**
 * display_network's grid: a square when M is a perfect square; otherwise start from ⌈√M⌉
 * columns and widen (up to 1.2·√M) looking for a column count that divides M evenly.
 */
export function gridLayout(count: number, columns?: number): { columns: number; rows: number } {
  if (!(Number.isInteger(count) && count > 0)) throw new RangeError(`need a positive number of images, got ${count}`);
  if (columns !== undefined) {
    if (!(Number.isInteger(columns) && columns > 0)) throw new RangeError(`columns must be a positive integer, got ${columns}`);
    return { columns, rows: Math.ceil(count / columns) };
  }
  const root = Math.sqrt(count);
  if (Number.isInteger(root)) return { columns: root, rows: root };
  let n = Math.ceil(root);
  while (count % n !== 0 && n < 1.2 * root) n++;
  return { columns: n, rows: Math.ceil(count / n) };
}

/** The side of a square image of `length` values. */
export function squareTile(length: number): TileSize {
  const side = Math.round(Math.sqrt(length));
  if (side * side !== length) {
    throw new RangeError(`${length} values do not make a square image; pass its width and height`);
  }
  return { width: side, height: side };
}

/** Tiles the images as display_network does. `columns` overrides the grid's (its cols). */
export function displayNetwork(tiles: TileSet, columns?: number): NetworkImage {
  const { data, count, tileWidth: tw, tileHeight: th } = tiles;
  const size = tw * th;
  if (!(Number.isInteger(tw) && tw > 0 && Number.isInteger(th) && th > 0)) {
    throw new RangeError(`tile size must be positive integers, got ${tw} × ${th}`);
  }
  if (data.length !== count * size) {
    throw new RangeError(`${data.length} values for ${count} images of ${tw} × ${th}`);
  }
  const grid = gridLayout(count, columns);
  const width = BORDER + grid.columns * (tw + BORDER);
  const height = BORDER + grid.rows * (th + BORDER);
  const values = new Float32Array(width * height).fill(-1);

  let mean = 0;
  for (let i = 0; i < data.length; i++) mean += data[i];
  mean /= data.length;

  for (let k = 0; k < count; k++) {
    const base = k * size;
    let clim = 0;
    for (let i = 0; i < size; i++) clim = Math.max(clim, Math.abs(data[base + i] - mean));
    // A constant image is all mean: draw it mid-gray rather than 0/0 as MATLAB would.
    const scale = clim > 0 ? 1 / clim : 1;
    const left = BORDER + (k % grid.columns) * (tw + BORDER);
    const top = BORDER + Math.floor(k / grid.columns) * (th + BORDER);
    for (let y = 0; y < th; y++) {
      const row = (top + y) * width + left;
      for (let x = 0; x < tw; x++) values[row + x] = (data[base + y * tw + x] - mean) * scale;
    }
  }
  return { width, height, values };
}

/**
 * The input image that maximally activates each hidden unit (UFLDL "Visualizing a Trained
 * Autoencoder"): xᵢ = W1(j, i) / ‖W1(j, :)‖, for j = 1 … hidden. θ stores W1(j, i) at
 * i·hidden + j. The tile size defaults to a square.
 */
export function featureImages(theta: ArrayLike<number>, shape: Shape, tile?: TileSize): TileSet {
  const { visibleSize: v, hiddenSize: h } = shape;
  if (theta.length !== thetaLayout(shape).length) {
    throw new RangeError(`θ has ${theta.length} values; a ${v}-${h} autoencoder needs ${thetaLayout(shape).length}`);
  }
  const { width, height } = tile ?? squareTile(v);
  if (width * height !== v) throw new RangeError(`a ${width} × ${height} image does not hold ${v} values`);
  const data = new Float64Array(h * v);
  for (let j = 0; j < h; j++) {
    let norm = 0;
    for (let i = 0; i < v; i++) norm += theta[i * h + j] ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 1;
    for (let i = 0; i < v; i++) data[j * v + i] = theta[i * h + j] * scale;
  }
  return { data, count: h, tileWidth: width, tileHeight: height };
}

/** display_network of the learned features: W1's rows as images. */
export function displayFeatures(theta: ArrayLike<number>, shape: Shape, tile?: TileSize, columns?: number): NetworkImage {
  return displayNetwork(featureImages(theta, shape, tile), columns);
}

/**
 * display_network of chosen examples of a data set (UFLDL Step 1 shows 200 random patches):
 * example k is row k of the row-major m × visible data.
 */
export function displayPatches(
  dataset: Dataset,
  patchSize: number | TileSize,
  indices: ArrayLike<number>,
  columns?: number,
): NetworkImage {
  const tile = typeof patchSize === 'number' ? { width: patchSize, height: patchSize } : patchSize;
  const size = tile.width * tile.height;
  if (size !== dataset.visibleSize) {
    throw new RangeError(`${tile.width} × ${tile.height} patches need ${size} values; the data have ${dataset.visibleSize}`);
  }
  const data = new Float64Array(indices.length * size);
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k];
    if (!(Number.isInteger(index) && index >= 0 && index < dataset.examples)) {
      throw new RangeError(`example ${index} is outside 0 … ${dataset.examples - 1}`);
    }
    data.set(dataset.data.subarray(index * size, (index + 1) * size), k * size);
  }
  return displayNetwork({ data, count: indices.length, tileWidth: tile.width, tileHeight: tile.height }, columns);
}

/**
 * UFLDL's displayColorNetwork(A): A holds `count` color features of 3·tileWidth·tileHeight
 * values each (feature k at data[k·size …), three channel planes R, G, B, each row-major, the
 * layout of src/data/color.ts). Step by step as the MATLAB:
 *
 *  - if min(A) ≥ 0, A ← A − mean(A) (over all values);
 *  - each channel block of each feature divided by its own largest |value|, so R, G and B of a
 *    feature each span [−1, 1] (a block of zeros stays 0, where MATLAB would give NaN);
 *  - tiles laid out row by row on a grid of round(√n) columns, 1 pixel apart; the gaps and
 *    grid cells past the last feature hold 1 (white once shifted), with no outer border.
 *
 * The last step, I ← (I + 1)/2, is toBytes8's mapping of [−1, 1] onto 0 … 255.
 */
export function displayColorNetwork(tiles: TileSet): NetworkImage {
  const { data, count, tileWidth: tw, tileHeight: th } = tiles;
  const plane = tw * th;
  const size = 3 * plane;
  if (!(Number.isInteger(tw) && tw > 0 && Number.isInteger(th) && th > 0)) {
    throw new RangeError(`tile size must be positive integers, got ${tw} × ${th}`);
  }
  if (!(Number.isInteger(count) && count > 0)) throw new RangeError(`need a positive number of images, got ${count}`);
  if (data.length !== count * size) throw new RangeError(`${data.length} values for ${count} color images of ${tw} × ${th} × 3`);
  let min = Infinity;
  let mean = 0;
  for (let i = 0; i < data.length; i++) {
    min = Math.min(min, data[i]);
    mean += data[i];
  }
  const shift = min >= 0 ? mean / data.length : 0;
  const columns = Math.round(Math.sqrt(count));
  const rows = Math.ceil(count / columns);
  const width = columns * (tw + BORDER) - BORDER;
  const height = rows * (th + BORDER) - BORDER;
  const values = new Float32Array(width * height * 3).fill(1);
  for (let k = 0; k < count; k++) {
    const left = (k % columns) * (tw + BORDER);
    const top = Math.floor(k / columns) * (th + BORDER);
    for (let c = 0; c < 3; c++) {
      const base = k * size + c * plane;
      let clim = 0;
      for (let i = 0; i < plane; i++) clim = Math.max(clim, Math.abs(data[base + i] - shift));
      const scale = clim > 0 ? 1 / clim : 0;
      for (let y = 0; y < th; y++) {
        for (let x = 0; x < tw; x++) values[3 * ((top + y) * width + left + x) + c] = (data[base + y * tw + x] - shift) * scale;
      }
    }
  }
  return { width, height, channels: 3, values };
}

/**
 * The color features as the exercise shows them, A = (W1·ZCAWhite)ᵀ: row j of W1·ZCAWhite is
 * ZCAWhite·W1(j, :)ᵀ (ZCAWhite is symmetric), the pattern in the unwhitened patch that unit j
 * responds to. θ stores W1(j, i) at i·hidden + j; `zca` is v × v row-major (identity when
 * absent). Feature j is data[j·v …), ready for displayColorNetwork.
 */
export function colorFeatureImages(theta: ArrayLike<number>, shape: Shape, tile: TileSize, zca?: ArrayLike<number>): TileSet {
  const { visibleSize: v, hiddenSize: h } = shape;
  if (theta.length !== thetaLayout(shape).length) {
    throw new RangeError(`θ has ${theta.length} values; a ${v}-${h} autoencoder needs ${thetaLayout(shape).length}`);
  }
  if (3 * tile.width * tile.height !== v) throw new RangeError(`a ${tile.width} × ${tile.height} × 3 image does not hold ${v} values`);
  if (zca && zca.length !== v * v) throw new RangeError(`ZCAWhite has ${zca.length} values; ${v} × ${v} are needed`);
  const data = new Float64Array(h * v);
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < v; i++) {
      if (!zca) {
        data[j * v + i] = theta[i * h + j];
        continue;
      }
      let sum = 0;
      for (let l = 0; l < v; l++) sum += theta[l * h + j] * zca[l * v + i];
      data[j * v + i] = sum;
    }
  }
  return { data, count: h, tileWidth: tile.width, tileHeight: tile.height };
}

/** displayColorNetwork of W1·ZCAWhite: the linear decoder's features in color. */
export function displayColorFeatures(theta: ArrayLike<number>, shape: Shape, tile: TileSize, zca?: ArrayLike<number>): NetworkImage {
  return displayColorNetwork(colorFeatureImages(theta, shape, tile, zca));
}

/**
 * [−1, 1] → 0 … 255 (MATLAB's imagesc with a gray colormap and limits [−1, 1]; for color,
 * displayColorNetwork's (I + 1)/2), clamped. Color pictures stay interleaved R, G, B.
 */
export function toBytes8(image: NetworkImage): Uint8Array {
  const out = new Uint8Array(image.values.length);
  for (let i = 0; i < out.length; i++) {
    const v = image.values[i];
    out[i] = Math.round(((Math.min(1, Math.max(-1, v)) + 1) / 2) * 255);
  }
  return out;
}

/** The gray picture's bytes (toBytes8, for pictures known to be gray). */
export function toGray8(image: NetworkImage): Uint8Array {
  return toBytes8(image);
}

/** Nearest-neighbour enlargement of 8-bit pixels (`channels` interleaved samples each) by an integer factor. */
export function upscalePixels8(pixels: Uint8Array, width: number, height: number, scale: number, channels = 1): Uint8Array {
  if (!(Number.isInteger(scale) && scale >= 1)) throw new RangeError(`scale must be a positive integer, got ${scale}`);
  if (scale === 1) return pixels;
  const outWidth = width * scale;
  const out = new Uint8Array(outWidth * height * scale * channels);
  for (let y = 0; y < height * scale; y++) {
    const src = Math.floor(y / scale) * width;
    const dst = y * outWidth;
    for (let x = 0; x < outWidth; x++) {
      const from = (src + Math.floor(x / scale)) * channels;
      for (let c = 0; c < channels; c++) out[(dst + x) * channels + c] = pixels[from + c];
    }
  }
  return out;
}
