/**
 * A scatter plot rasterised into a NetworkImage (RGB), for pca_2d's pictures: the points as
 * small dots, the axes through 0, and line segments (eigenvectors) on top. Runs anywhere (no
 * DOM); ./png writes it. Both axes share one scale, so that a rotation looks like one and a
 * whitened cloud looks round.
 */
import type { NetworkImage } from './network';

export type Rgb = readonly [number, number, number];

export interface ScatterPlot {
  /** x₀, y₀, x₁, y₁, … */
  points: ArrayLike<number>;
  /** From (x₀, y₀) to (x₁, y₁), each with its color. */
  segments?: ReadonlyArray<{ from: readonly [number, number]; to: readonly [number, number]; color: Rgb }>;
  /** Side of the square picture in pixels (default 240). */
  size?: number;
  /** Half the width of the square window around 0 (default: the farthest point or segment end, plus 10%). */
  extent?: number;
}

/** Colors in [0, 1]. */
const BACKGROUND: Rgb = [1, 1, 1];
const AXES: Rgb = [0.8, 0.8, 0.8];
const POINT: Rgb = [0.1, 0.25, 0.8];
const DOT_RADIUS = 2;

export function scatterPlot(plot: ScatterPlot): NetworkImage {
  const size = plot.size ?? 240;
  const { points } = plot;
  const segments = plot.segments ?? [];
  if (points.length % 2 !== 0) throw new RangeError(`a scatter plot needs x, y pairs, got ${points.length} values`);
  let farthest = 0;
  for (let i = 0; i < points.length; i++) farthest = Math.max(farthest, Math.abs(points[i]));
  for (const { from, to } of segments) for (const v of [...from, ...to]) farthest = Math.max(farthest, Math.abs(v));
  const extent = plot.extent ?? (farthest > 0 ? 1.1 * farthest : 1);
  if (!(Number.isFinite(extent) && extent > 0)) throw new RangeError(`a scatter plot needs a finite, positive extent, got ${extent}`);

  // Values in [−1, 1] per channel, as toBytes8 maps them; the picture's rows run top to bottom.
  const values = new Float32Array(size * size * 3);
  const paint = (px: number, py: number, color: Rgb) => {
    if (px < 0 || py < 0 || px >= size || py >= size) return;
    for (let c = 0; c < 3; c++) values[3 * (py * size + px) + c] = 2 * color[c] - 1;
  };
  const toPixel = (x: number, y: number): [number, number] => [
    Math.round(((x + extent) / (2 * extent)) * (size - 1)),
    Math.round(((extent - y) / (2 * extent)) * (size - 1)),
  ];
  const line = (from: readonly [number, number], to: readonly [number, number], color: Rgb) => {
    const [x0, y0] = toPixel(...from);
    const [x1, y1] = toPixel(...to);
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let s = 0; s <= steps; s++) {
      const px = Math.round(x0 + ((x1 - x0) * s) / steps);
      const py = Math.round(y0 + ((y1 - y0) * s) / steps);
      // Two pixels thick, so that a line stands out from the dots.
      paint(px, py, color);
      paint(px + 1, py, color);
      paint(px, py + 1, color);
    }
  };

  for (let i = 0; i < size * size; i++) for (let c = 0; c < 3; c++) values[3 * i + c] = 2 * BACKGROUND[c] - 1;
  line([-extent, 0], [extent, 0], AXES);
  line([0, -extent], [0, extent], AXES);
  for (let k = 0; k < points.length; k += 2) {
    if (!(Number.isFinite(points[k]) && Number.isFinite(points[k + 1]))) continue;
    const [px, py] = toPixel(points[k], points[k + 1]);
    for (let dy = -DOT_RADIUS; dy <= DOT_RADIUS; dy++) {
      for (let dx = -DOT_RADIUS; dx <= DOT_RADIUS; dx++) if (dx * dx + dy * dy <= DOT_RADIUS * DOT_RADIUS) paint(px + dx, py + dy, POINT);
    }
  }
  for (const { from, to, color } of segments) line(from, to, color);
  return { width: size, height: size, channels: 3, values };
}

/**
 * A v × v matrix as a gray picture (MATLAB's imagesc of the covariance): 0 is mid-gray, the
 * largest |entry| white or black, so that a whitened covariance shows as a white diagonal.
 */
export function matrixImage(matrix: ArrayLike<number>, rows: number, cols: number): NetworkImage {
  if (matrix.length !== rows * cols) throw new RangeError(`${matrix.length} values are not a ${rows} × ${cols} matrix`);
  let largest = 0;
  for (let i = 0; i < matrix.length; i++) largest = Math.max(largest, Math.abs(matrix[i]));
  const values = Float32Array.from(matrix, (v) => (largest > 0 ? v / largest : 0));
  return { width: cols, height: rows, values };
}
