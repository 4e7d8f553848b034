/**
 * How much a learned feature looks like an oriented, localized edge detector: its best
 * correlation with a bank of Gabor functions
 *
 *   g(x, y) = exp(−(u² + v²)/(2σ²)) · cos(2πu/λ + φ),  u, v = the pixel offset from (x₀, y₀)
 *             rotated by θ,
 *
 * over centres (x₀, y₀), orientations θ, wavelengths λ, widths σ and phases φ. The
 * correlation is Pearson's (both images mean-removed and normalized), so it lies in [−1, 1]
 * and ignores contrast and offset; the fit is its largest absolute value over the bank.
 * Random weights fit poorly; UFLDL's edge detectors fit well.
 */
import type { TileSize } from '../display/network';

export interface GaborBank {
  tile: TileSize;
  /** Each filter, mean-removed and of unit norm. */
  filters: Float64Array[];
}

export interface GaborBankOptions {
  orientations?: number;
  wavelengths?: readonly number[];
  widths?: readonly number[];
  phases?: number;
  /** Distance between neighbouring centres, in pixels. */
  centreStep?: number;
}

export function gaborBank(tile: TileSize, options: GaborBankOptions = {}): GaborBank {
  const {
    orientations = 8,
    wavelengths = [2.5, 3.5, 5, 7, 10, 14],
    widths = [0.8, 1.2, 1.8, 2.7, 4],
    phases = 8,
    centreStep = 1,
  } = options;
  const { width, height } = tile;
  const filters: Float64Array[] = [];
  for (let y0 = 0; y0 <= height - 1; y0 += centreStep) {
    for (let x0 = 0; x0 <= width - 1; x0 += centreStep) {
      for (let o = 0; o < orientations; o++) {
        const angle = (Math.PI * o) / orientations;
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        for (const wavelength of wavelengths) {
          for (const sigma of widths) {
            for (let p = 0; p < phases; p++) {
              const phase = (2 * Math.PI * p) / phases;
              const f = new Float64Array(width * height);
              for (let y = 0; y < height; y++) {
                for (let x = 0; x < width; x++) {
                  const u = (x - x0) * c + (y - y0) * s;
                  const v = -(x - x0) * s + (y - y0) * c;
                  f[y * width + x] = Math.exp(-(u * u + v * v) / (2 * sigma * sigma)) * Math.cos((2 * Math.PI * u) / wavelength + phase);
                }
              }
              if (standardize(f)) filters.push(f);
            }
          }
        }
      }
    }
  }
  return { tile, filters };
}

/** Mean-removes and scales to unit norm in place; false if the vector is constant. */
function standardize(v: Float64Array): boolean {
  let mean = 0;
  for (const x of v) mean += x;
  mean /= v.length;
  let norm = 0;
  for (let i = 0; i < v.length; i++) {
    v[i] -= mean;
    norm += v[i] * v[i];
  }
  norm = Math.sqrt(norm);
  if (!(norm > 1e-12)) return false;
  for (let i = 0; i < v.length; i++) v[i] /= norm;
  return true;
}

/** The best |Pearson correlation| between `image` (row-major, tile-sized) and any filter. */
export function gaborFit(image: ArrayLike<number>, bank: GaborBank): number {
  const v = Float64Array.from(image);
  if (v.length !== bank.tile.width * bank.tile.height) throw new RangeError(`image of ${v.length} values for a ${bank.tile.width}×${bank.tile.height} bank`);
  if (!standardize(v)) return 0;
  let best = 0;
  for (const f of bank.filters) {
    let dot = 0;
    for (let i = 0; i < v.length; i++) dot += f[i] * v[i];
    const a = Math.abs(dot);
    if (a > best) best = a;
  }
  return best;
}

/** The fit of each hidden unit's W1(j,:) (θ in UFLDL's packing, row-major pixels). */
export function featureGaborFits(theta: ArrayLike<number>, hiddenSize: number, tile: TileSize, bank = gaborBank(tile)): number[] {
  const visible = tile.width * tile.height;
  return Array.from({ length: hiddenSize }, (_, j) => {
    const w = new Float64Array(visible);
    for (let i = 0; i < visible; i++) w[i] = theta[i * hiddenSize + j];
    return gaborFit(w, bank);
  });
}
