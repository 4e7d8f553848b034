/**
 * The PCA page's worker: UFLDL's "PCA and Whitening" as `npm run pca` runs it (src/cli/pca.ts),
 * split in two so that the sliders stay cheap.
 *
 * - `load` (the patches or the seed changed): pca_2d on the generated cloud; pca_gen's raw 12×12
 *   patches of the embedded photos, each one's mean removed; their covariance Σ on the GPU
 *   (src/gpu/covariance.ts, checked against float64 before it is used) or, without WebGPU, in
 *   float64; Σ's eigendecomposition in float64 (ml-matrix, src/data/pca.ts); and the covariance
 *   of the data in the eigenbasis, R = cov(Uᵀx), once.
 * - `project` (a slider moved): k for the fraction of variance, the shown patches reduced to k
 *   components and recovered, PCA- and ZCA-whitened with ε, and the PCA-whitened data's
 *   covariance, which is D·R·D with D = diag(1/√(λ + ε)) (cov is bilinear), so no pass over the
 *   patches and no new eigendecomposition: a move costs O(shown·v² + v³).
 */
import { messageOf } from '../../data/errors';
import { sampleRawPatches } from '../../data/patches';
import {
  componentsToRetain,
  correlatedPoints2d,
  covarianceOf,
  covarianceSummary,
  nullDirections,
  PCA_2D_EPSILON,
  PCA_PATCH_SIZE,
  pcaBasis,
  pcaWhiten,
  reduce,
  removeExampleMeans,
  rotate,
  varianceRetained,
  whiteningGains,
  zcaWhiten,
  type PcaBasis,
} from '../../data/pca';
import { displayPatches, type NetworkImage } from '../../display/network';
import { pca2dPictures, type Pca2dPictureName } from '../../display/pca';
import { matrixImage } from '../../display/scatter';
import { adapterLabel } from '../../gpu/adapter';
import type { GpuContext } from '../../gpu/device';
import type { Dataset } from '../../reference/autoencoder';
import { loadRawNaturalImages } from '../common/browser-data';
import { createGpuContext, GpuUnavailableError } from '../common/gpu-modules';

/** Patches drawn in each picture of patches: the first ones (they were sampled at random). */
export const SHOWN_PATCHES = 100;

export interface LoadRequest {
  type: 'load';
  /** Tells this load's answers from an earlier one's. */
  id: number;
  patches: number;
  seed: number;
  /** Form Σ on the GPU (the page found a WebGPU adapter), or in float64. */
  gpu: boolean;
}

export interface ProjectRequest {
  type: 'project';
  /** The load whose basis to project with. */
  loadId: number;
  /** Fraction of the variance to retain, in (0, 1]. */
  variance: number;
  /** ε ≥ 0; 0 whitens without it (null directions get gain 0, src/data/pca.ts). */
  epsilon: number;
}

export type PcaRequest = LoadRequest | ProjectRequest;

export interface Loaded {
  type: 'loaded';
  request: LoadRequest;
  /** Where Σ was formed: the adapter's words, or the float64 reference's. */
  device: { kind: 'gpu' | 'cpu'; label: string };
  /** The GPU's Σ against float64's under the tolerance policy (GPU only). */
  covarianceCheck?: { pass: boolean; maxError: number; bound: number };
  eigenvalues: Float64Array;
  k99: number;
  k90: number;
  nullDirections: number;
  nullLimit: number;
  /** The cloud's eigenvalues and the share of the variance its first component holds. */
  cloud: { points: number; eigenvalues: [number, number]; varianceRetainedBy1: number; epsilon: number };
  pictures: {
    cloud: Record<Pca2dPictureName, NetworkImage>;
    rawPatches: NetworkImage;
    rawCovariance: NetworkImage;
  };
  /** Eigendecompositions this worker has made so far (one per load). */
  decompositions: number;
  seconds: number;
}

export interface Projected {
  type: 'projected';
  request: ProjectRequest;
  k: number;
  retained: number;
  pictures: { reduced: NetworkImage; pcaWhite: NetworkImage; zcaWhite: NetworkImage; whiteCovariance: NetworkImage };
  /** The covariance of all the patches PCA-whitened with this ε. */
  whitened: { largestOffDiagonal: number; diagonal: { min: number; max: number } };
  decompositions: number;
  milliseconds: number;
}

export type PcaMessage = { type: 'status'; text: string } | Loaded | Projected | { type: 'error'; message: string; during: 'load' | 'project' };

function post(message: PcaMessage, transfer: Transferable[] = []): void {
  self.postMessage(message, { transfer });
}

/** What a projection needs of the latest load. */
interface Current {
  id: number;
  basis: PcaBasis;
  shown: Dataset;
  /** R = cov(Uᵀx) of all the patches, v × v. */
  rotatedCovariance: Float64Array;
}

let current: Current | undefined;
let decompositions = 0;
let gpu: Promise<GpuContext | undefined> | undefined;

/** The worker's one GPU context, or undefined where WebGPU is not offered (the float64 path). */
function gpuContext(): Promise<GpuContext | undefined> {
  gpu ??= createGpuContext().catch((error) => {
    if (error instanceof GpuUnavailableError) return undefined;
    gpu = undefined;
    throw error;
  });
  return gpu;
}

function buffersOf(images: NetworkImage[]): ArrayBuffer[] {
  return images.map((image) => image.values.buffer as ArrayBuffer);
}

async function load(request: LoadRequest): Promise<void> {
  const started = performance.now();
  current = undefined;
  post({ type: 'status', text: 'PCA in 2D…' });
  const points = correlatedPoints2d(request.seed);
  const basis2d = pcaBasis(covarianceOf(points), 2);
  const cloud = pca2dPictures({
    points,
    basis: basis2d,
    rotated: rotate(points, basis2d),
    reduced: reduce(points, basis2d, 1),
    pcaWhite: pcaWhiten(points, basis2d, PCA_2D_EPSILON),
    zcaWhite: zcaWhiten(points, basis2d, PCA_2D_EPSILON),
  }, 200);

  post({ type: 'status', text: 'Loading the photos…' });
  const images = await loadRawNaturalImages();
  const patches = sampleRawPatches(images, { patchSize: PCA_PATCH_SIZE, count: request.patches, seed: request.seed });
  removeExampleMeans(patches);
  const v = patches.visibleSize;
  const shownIndices = Array.from({ length: Math.min(SHOWN_PATCHES, patches.examples) }, (_, k) => k);

  let sigma: Float64Array;
  let sigmaError = 0;
  let device: Loaded['device'];
  let covarianceCheck: Loaded['covarianceCheck'];
  const ctx = request.gpu ? await gpuContext() : undefined;
  if (ctx) {
    post({ type: 'status', text: `Covariance of ${request.patches.toLocaleString('en')} patches on the GPU…` });
    const { checkCovariance } = await import('../../gpu/covariance');
    const checked = await checkCovariance(ctx, patches);
    covarianceCheck = { pass: checked.check.pass, maxError: checked.check.maxError, bound: checked.check.bound };
    if (!checked.check.pass) throw new Error(`the GPU's covariance differs from float64's beyond the tolerance (${checked.check.maxError.toExponential(2)} > ${checked.check.bound.toExponential(2)})`);
    sigma = Float64Array.from(checked.covariance);
    sigmaError = checked.errorBound;
    device = { kind: 'gpu', label: adapterLabel(ctx.adapterInfo) };
  } else {
    post({ type: 'status', text: `Covariance of ${request.patches.toLocaleString('en')} patches in float64…` });
    sigma = covarianceOf(patches);
    device = { kind: 'cpu', label: 'the float64 reference on the CPU' };
  }

  post({ type: 'status', text: 'Eigendecomposition (float64)…' });
  const basis = pcaBasis(sigma, v, sigmaError);
  decompositions++;
  const rotatedCovariance = covarianceOf(rotate(patches, basis));
  const shown: Dataset = { data: patches.data.slice(0, shownIndices.length * v), examples: shownIndices.length, visibleSize: v };
  current = { id: request.id, basis, shown, rotatedCovariance };

  const pictures = { cloud, rawPatches: displayPatches(shown, PCA_PATCH_SIZE, shownIndices), rawCovariance: matrixImage(sigma, v, v) };
  const [e0, e1] = basis2d.eigenvalues;
  const eigenvalues = basis.eigenvalues.slice();
  post(
    {
      type: 'loaded',
      request,
      device,
      covarianceCheck,
      eigenvalues,
      k99: componentsToRetain(basis.eigenvalues, 0.99),
      k90: componentsToRetain(basis.eigenvalues, 0.9),
      nullDirections: nullDirections(basis),
      nullLimit: basis.nullLimit,
      cloud: { points: points.examples, eigenvalues: [e0, e1], varianceRetainedBy1: varianceRetained(basis2d.eigenvalues, 1), epsilon: PCA_2D_EPSILON },
      pictures,
      decompositions,
      seconds: (performance.now() - started) / 1000,
    },
    [eigenvalues.buffer, ...buffersOf([...Object.values(cloud), pictures.rawPatches, pictures.rawCovariance])],
  );
}

/** cov(D·Uᵀx) = D·R·D for the gains D of this ε. */
function whitenedCovariance(rotatedCovariance: Float64Array, gains: Float64Array): Float64Array {
  const v = gains.length;
  const out = new Float64Array(v * v);
  for (let i = 0; i < v; i++) for (let j = 0; j < v; j++) out[i * v + j] = gains[i] * rotatedCovariance[i * v + j] * gains[j];
  return out;
}

function project(request: ProjectRequest): void {
  const started = performance.now();
  // A projection for a load that has been replaced is dropped: the page asks again once the new one is in.
  if (!current || current.id !== request.loadId) return;
  const { basis, shown, rotatedCovariance } = current;
  const v = basis.size;
  const indices = Array.from({ length: shown.examples }, (_, k) => k);
  const k = componentsToRetain(basis.eigenvalues, request.variance);
  const whiteCovariance = whitenedCovariance(rotatedCovariance, whiteningGains(basis, request.epsilon));
  const pictures = {
    reduced: displayPatches(reduce(shown, basis, k), PCA_PATCH_SIZE, indices),
    pcaWhite: displayPatches(pcaWhiten(shown, basis, request.epsilon), PCA_PATCH_SIZE, indices),
    zcaWhite: displayPatches(zcaWhiten(shown, basis, request.epsilon), PCA_PATCH_SIZE, indices),
    whiteCovariance: matrixImage(whiteCovariance, v, v),
  };
  post(
    {
      type: 'projected',
      request,
      k,
      retained: varianceRetained(basis.eigenvalues, k),
      pictures,
      whitened: covarianceSummary(whiteCovariance, v),
      decompositions,
      milliseconds: performance.now() - started,
    },
    buffersOf(Object.values(pictures)),
  );
}

/** Requests are served one at a time, in order: a load awaits the photos and the GPU, and a second one must not interleave with it. */
let queue: Promise<void> = Promise.resolve();

self.onmessage = (event: MessageEvent<PcaRequest>) => {
  const request = event.data;
  queue = queue.then(async () => {
    try {
      if (request.type === 'load') await load(request);
      else project(request);
    } catch (error) {
      post({ type: 'error', message: messageOf(error), during: request.type });
    }
  });
};
