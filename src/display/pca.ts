/**
 * pca_2d's pictures as scatter plots (./scatter.ts), shared by `npm run pca` and the PCA page:
 * the points with their eigenvectors, rotated, reduced to 1-D and back, PCA- and ZCA-whitened.
 * The first three share one window, so that the rotation and the reduction look like what they
 * are; the whitened clouds are larger and get windows of their own.
 */
import type { PcaBasis } from '../data/pca';
import type { Dataset } from '../reference/autoencoder';
import type { NetworkImage } from './network';
import { scatterPlot, type Rgb } from './scatter';

const RED: Rgb = [0.85, 0.1, 0.1];
const GREEN: Rgb = [0.1, 0.6, 0.1];

export interface Pca2dData {
  points: Dataset;
  basis: PcaBasis;
  rotated: Dataset;
  reduced: Dataset;
  pcaWhite: Dataset;
  zcaWhite: Dataset;
}

export type Pca2dPictureName = 'data' | 'rotated' | 'reduced' | 'pca-white' | 'zca-white';

/** The five pictures, keyed by what they show (the CLI writes each as pca2d-NAME.png). */
export function pca2dPictures({ points, basis, rotated, reduced, pcaWhite, zcaWhite }: Pca2dData, size?: number): Record<Pca2dPictureName, NetworkImage> {
  const U = basis.eigenvectors;
  // The eigenvectors drawn as UFLDL draws them: from the mean (0), scaled by the standard deviation along them, ×2.
  const arrow = (j: number): [number, number] => {
    const length = 2 * Math.sqrt(Math.max(basis.eigenvalues[j], 0));
    return [U[j] * length, U[2 + j] * length];
  };
  const segments = [
    { from: [0, 0] as const, to: arrow(0), color: RED },
    { from: [0, 0] as const, to: arrow(1), color: GREEN },
  ];
  let extent = 0;
  for (const v of [...points.data, ...arrow(0), ...arrow(1)]) extent = Math.max(extent, 1.1 * Math.abs(v));
  return {
    data: scatterPlot({ points: points.data, segments, extent, size }),
    rotated: scatterPlot({ points: rotated.data, extent, size }),
    reduced: scatterPlot({ points: reduced.data, segments, extent, size }),
    'pca-white': scatterPlot({ points: pcaWhite.data, size }),
    'zca-white': scatterPlot({ points: zcaWhite.data, size }),
  };
}
