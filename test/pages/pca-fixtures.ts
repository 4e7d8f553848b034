/** Messages for the PCA page's tests (pca-state.test.ts, pca-views.test.ts). */
import { initialState, reduce, type Message, type PcaState } from '../../src/pages/pca/state';
import type { LoadRequest, Loaded, ProjectRequest, Projected } from '../../src/pages/pca/worker';

export const run = (...messages: Message[]) => messages.reduce<PcaState>(reduce, initialState());

const picture = (width = 4) => ({ width, height: width, values: new Float32Array(width * width) });

export function loaded(request: LoadRequest, device: 'gpu' | 'cpu' = 'gpu'): Loaded {
  return {
    type: 'loaded',
    request,
    device: device === 'gpu' ? { kind: 'gpu', label: 'google · swiftshader' } : { kind: 'cpu', label: 'the float64 reference on the CPU' },
    covarianceCheck: device === 'gpu' ? { pass: true, maxError: 2.4e-9, bound: 9.1e-8 } : undefined,
    eigenvalues: Float64Array.from({ length: 144 }, (_, i) => 0.1 / (i + 1)),
    k99: 113,
    k90: 36,
    nullDirections: 1,
    nullLimit: 1.2e-5,
    cloud: { points: 45, eigenvalues: [0.128, 0.0107], varianceRetainedBy1: 0.9229, epsilon: 1e-5 },
    pictures: { cloud: { data: picture(), rotated: picture(), reduced: picture(), 'pca-white': picture(), 'zca-white': picture() }, rawPatches: picture(), rawCovariance: picture() },
    decompositions: request.id,
    seconds: 2.5,
  };
}

export function projected(request: ProjectRequest, k = 113, whitened = { largestOffDiagonal: 8.6e-9, diagonal: { min: 1.6e-13, max: 0.73 } }): Projected {
  return {
    type: 'projected',
    request,
    k,
    retained: 0.9901,
    pictures: { reduced: picture(), pcaWhite: picture(), zcaWhite: picture(), whiteCovariance: picture() },
    whitened,
    decompositions: 1,
    milliseconds: 12,
  };
}
