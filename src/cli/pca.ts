/**
 * `npm run pca -- [options]`: UFLDL's "PCA and Whitening" exercises (pca_2d.m and pca_gen.m) on
 * a generated 2-D point cloud and on raw 12×12 patches of the embedded photos; writes
 * report.json and the exercises' pictures (see usage). The covariance of the patches is formed
 * on the GPU (--device gpu, the default) and checked against the float64 one before it is used;
 * everything else is float64 (src/data/pca.ts).
 *
 * Exit codes: 0 done and every check passed; 1 a check failed (the files are still written, to
 * look at), no WebGPU adapter, or the GPU failed; 2 bad flags, data or output folder.
 */
import { parseArgs } from 'node:util';
import { loadRawNaturalImages } from '../data/natural-node';
import { sampleRawPatches } from '../data/patches';
import {
  componentsToRetain,
  correlatedPoints2d,
  covarianceOf,
  covarianceSummary,
  nullDirections,
  PCA_2D_EPSILON,
  PCA_EPSILON,
  PCA_PATCH_SIZE,
  pcaBasis,
  pcaWhiten,
  reduce,
  removeExampleMeans,
  rotate,
  varianceRetained,
  WHITENED_OFF_DIAGONAL_LIMIT,
  zcaWhiten,
} from '../data/pca';
import { displayPatches } from '../display/network';
import { encodePng } from '../display/png';
import { pca2dPictures } from '../display/pca';
import { matrixImage } from '../display/scatter';
import { formatCheck, type CheckResult } from '../gpu/comparison';
import { NoAdapterError } from '../gpu/errors';
import type { Dataset } from '../reference/autoencoder';
import { UsageError } from './args';
import { prepareOutputFolder, StagedOutput } from './output-files';
import { isGpuFailure, runCommand, speechOn, usageFailure, type CommandSpeech } from './run-control';

const SPEECH: CommandSpeech = { command: 'pca', remedies: { examples: 'fewer patches (--patches)', cpu: '--device cpu' } };

/** Patches shown in each picture of patches (the first ones: they were sampled at random). */
const SHOWN_PATCHES = 100;
const MAX_PATCHES = 100_000;

export const pcaUsage = `Usage: npm run pca -- [options]

UFLDL's PCA and whitening exercises. PCA in 2D on a generated correlated point cloud
(45 points): its eigenvectors, the data rotated, reduced to 1-D, PCA- and ZCA-whitened
(ε = ${PCA_2D_EPSILON}). pca_gen on raw ${PCA_PATCH_SIZE}×${PCA_PATCH_SIZE} patches of the embedded photos (not
whitened), each patch's mean removed: the covariance's eigenvectors, the components that
retain 99% and 90% of the variance, PCA and ZCA whitening (ε = ${PCA_EPSILON}), and the check that
PCA whitening without ε gives the identity covariance.

  --patches M       patches sampled (default 10000)
  --seed N          seed for the point cloud and the patches (default 1)
  --device gpu|cpu  the patches' covariance on the GPU, checked against float64 (default),
                    or the float64 CPU reference alone
  --out DIR         output folder (default out/pca)
  --help            this text

Writes into DIR: report.json; pca2d-data.png (the points and the eigenvectors u1 red, u2
green), pca2d-rotated.png, pca2d-reduced.png, pca2d-pca-white.png, pca2d-zca-white.png;
patches-raw.png, patches-reduced-99.png, patches-reduced-90.png, patches-pca-white.png,
patches-zca-white.png; covariance-raw.png, covariance-rotated.png,
covariance-pca-white.png (no ε), covariance-pca-white-epsilon.png.

Exit codes: 0 done, every check passed; 1 a check failed (files still written), no WebGPU
adapter, or the GPU failed; 2 bad flags, data or output folder (one line, nothing written).`;

interface PcaArguments {
  patches: number;
  seed: number;
  device: 'gpu' | 'cpu';
  out: string;
  help: boolean;
}

export function parsePcaArguments(argv: string[]): PcaArguments {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        patches: { type: 'string' },
        seed: { type: 'string' },
        device: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
  const whole = (flag: string, text: string | undefined, fallback: number, min: number, max: number): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
      throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got '${text}'`);
    }
    return value;
  };
  const device = values.device ?? 'gpu';
  if (device !== 'gpu' && device !== 'cpu') throw new UsageError(`--device must be gpu or cpu, got '${device}'`);
  const out = values.out ?? 'out/pca';
  if (out.trim() === '') throw new UsageError('--out needs a folder name');
  return {
    // The covariance needs more patches than values per patch to have full rank but for the mean's direction.
    patches: whole('patches', values.patches, 10_000, PCA_PATCH_SIZE * PCA_PATCH_SIZE, MAX_PATCHES),
    seed: whole('seed', values.seed, 1, 0, 0xffffffff),
    device,
    out,
    help: values.help === true,
  };
}

async function main(): Promise<number> {
  let args: PcaArguments;
  try {
    args = parsePcaArguments(process.argv.slice(2));
  } catch (error) {
    return usageFailure(error, SPEECH);
  }
  if (args.help) {
    console.log(pcaUsage);
    return 0;
  }
  const speech = speechOn(SPEECH, args.device);
  const log = (line: string) => console.log(line);

  let patches: Dataset;
  try {
    const images = await loadRawNaturalImages();
    patches = sampleRawPatches(images, { patchSize: PCA_PATCH_SIZE, count: args.patches, seed: args.seed });
    await prepareOutputFolder(args.out);
  } catch (error) {
    return usageFailure(error, speech);
  }
  const files: Record<string, Uint8Array> = {};
  const shown = Array.from({ length: Math.min(SHOWN_PATCHES, patches.examples) }, (_, k) => k);
  const v = patches.visibleSize;

  // PCA in 2D (pca_2d.m).
  const points = correlatedPoints2d(args.seed);
  const basis2d = pcaBasis(covarianceOf(points), 2);
  const rotated2d = rotate(points, basis2d);
  const reduced2d = reduce(points, basis2d, 1);
  const pcaWhite2d = pcaWhiten(points, basis2d, PCA_2D_EPSILON);
  const zcaWhite2d = zcaWhiten(points, basis2d, PCA_2D_EPSILON);
  const pictures2d = pca2dPictures({ points, basis: basis2d, rotated: rotated2d, reduced: reduced2d, pcaWhite: pcaWhite2d, zcaWhite: zcaWhite2d });
  for (const [name, image] of Object.entries(pictures2d)) files[`pca2d-${name}.png`] = encodePng(image, { scale: 1 });
  const pca2d = {
    points: points.examples,
    epsilon: PCA_2D_EPSILON,
    eigenvalues: [...basis2d.eigenvalues],
    eigenvectors: [
      [basis2d.eigenvectors[0], basis2d.eigenvectors[2]],
      [basis2d.eigenvectors[1], basis2d.eigenvectors[3]],
    ],
    varianceRetainedBy1: varianceRetained(basis2d.eigenvalues, 1),
    covarianceRotated: [...covarianceOf(rotated2d)],
    covariancePcaWhite: [...covarianceOf(pcaWhite2d)],
    covarianceZcaWhite: [...covarianceOf(zcaWhite2d)],
  };
  log(`PCA in 2D: ${points.examples} points, λ = ${pca2d.eigenvalues.map((l) => l.toPrecision(4)).join(', ')}, u1 = [${pca2d.eigenvectors[0].map((x) => x.toFixed(4)).join(', ')}]`);

  // pca_gen.m: the raw patches, each one's mean removed (shown so: display_network's one shift
  // for all patches would leave a bright patch all white), the data everything else is made of.
  removeExampleMeans(patches);
  files['patches-raw.png'] = encodePng(displayPatches(patches, PCA_PATCH_SIZE, shown), { scale: 3 });
  let sigma: Float64Array;
  let sigmaError = 0;
  let gpuCheck: CheckResult | undefined;
  let device = 'the float64 CPU reference';
  let kernels: string | undefined;
  if (args.device === 'cpu') {
    sigma = covarianceOf(patches);
  } else {
    const { createNodeGpuContext } = await import('../gpu/node');
    const { checkCovariance } = await import('../gpu/covariance');
    let ctx;
    try {
      ctx = await createNodeGpuContext();
    } catch (error) {
      if (!(error instanceof NoAdapterError)) throw error;
      console.error(`error: ${error.message} Or run on the float64 CPU reference: npm run pca -- --device cpu`);
      return 1;
    }
    try {
      device = ctx.adapterInfo.description || ctx.adapterInfo.vendor;
      // One product a run, a few ms: a race (about 2 s) would cost more than it could save.
      const { describeKernelChoice, tableChoice } = await import('../gpu/tuner');
      kernels = describeKernelChoice(tableChoice(ctx.adapterInfo, 'one product a run: not raced'));
      const checked = await checkCovariance(ctx, patches);
      gpuCheck = checked.check;
      sigma = Float64Array.from(checked.covariance);
      sigmaError = checked.errorBound;
    } catch (error) {
      if (!isGpuFailure(error)) return usageFailure(error, speech);
      console.error(`error: the GPU failed computing the covariance: ${error.message}`);
      return 1;
    } finally {
      ctx.destroy();
    }
    log(`GPU covariance vs float64: ${formatCheck(gpuCheck)}`);
    log(`kernels: ${kernels}`);
  }
  const basis = pcaBasis(sigma, v, sigmaError);
  const k99 = componentsToRetain(basis.eigenvalues, 0.99);
  const k90 = componentsToRetain(basis.eigenvalues, 0.9);
  const summary = (data: Dataset) => covarianceSummary(covarianceOf(data), v);
  const rotatedCovariance = covarianceOf(rotate(patches, basis));
  const pcaWhite = pcaWhiten(patches, basis, 0);
  const pcaWhiteEpsilon = pcaWhiten(patches, basis, PCA_EPSILON);
  const zcaWhiteEpsilon = zcaWhiten(patches, basis, PCA_EPSILON);
  const pcaWhiteCovariance = covarianceOf(pcaWhite);
  const whiteWithout = covarianceSummary(pcaWhiteCovariance, v);
  const nulls = nullDirections(basis);

  files['patches-reduced-99.png'] = encodePng(displayPatches(reduce(patches, basis, k99), PCA_PATCH_SIZE, shown), { scale: 3 });
  files['patches-reduced-90.png'] = encodePng(displayPatches(reduce(patches, basis, k90), PCA_PATCH_SIZE, shown), { scale: 3 });
  files['patches-pca-white.png'] = encodePng(displayPatches(pcaWhiteEpsilon, PCA_PATCH_SIZE, shown), { scale: 3 });
  files['patches-zca-white.png'] = encodePng(displayPatches(zcaWhiteEpsilon, PCA_PATCH_SIZE, shown), { scale: 3 });
  files['covariance-raw.png'] = encodePng(matrixImage(sigma, v, v), { scale: 2 });
  files['covariance-rotated.png'] = encodePng(matrixImage(rotatedCovariance, v, v), { scale: 2 });
  files['covariance-pca-white.png'] = encodePng(matrixImage(pcaWhiteCovariance, v, v), { scale: 2 });
  files['covariance-pca-white-epsilon.png'] = encodePng(matrixImage(covarianceOf(pcaWhiteEpsilon), v, v), { scale: 2 });

  const whiteningPasses = whiteWithout.largestOffDiagonal < WHITENED_OFF_DIAGONAL_LIMIT;
  // Whitening without ε divides Σ's error δΣ by √(λᵢλⱼ): a float32 Σ can whiten to the identity
  // only as well as ‖δΣ‖ over the faintest direction it keeps (first-order perturbation).
  const faintest = basis.eigenvalues[v - 1 - nulls];
  const float32OffDiagonalBound = sigmaError > 0 ? sigmaError / faintest : undefined;
  const pass = whiteningPasses && (gpuCheck?.pass ?? true);
  const report = {
    exercise: 'UFLDL PCA and Whitening (pca_2d, pca_gen)',
    device: args.device,
    adapter: device,
    ...(kernels ? { kernels } : {}),
    seed: args.seed,
    pca2d,
    patches: {
      count: patches.examples,
      patchSize: PCA_PATCH_SIZE,
      source: 'the embedded photos, grayscale, downsampled 2×, not whitened (IMAGES_RAW); each patch\'s mean removed',
      covariance: args.device === 'gpu' ? 'GPU (split-K TN matmul + sum_slices), checked against float64' : 'float64',
      gpuCovarianceCheck: gpuCheck ? { pass: gpuCheck.pass, maxError: gpuCheck.maxError, boundAtWorst: gpuCheck.bound, shape: gpuCheck.shape, errorBoundFrobenius: sigmaError } : undefined,
      k99,
      k90,
      varianceRetained99: varianceRetained(basis.eigenvalues, k99),
      varianceRetained90: varianceRetained(basis.eigenvalues, k90),
      epsilon: PCA_EPSILON,
      // Directions whose eigenvalue is within Σ's error of 0 (the removed patch mean's, 1/√v, and
      // on the GPU any fainter than the float32 Σ's error bound): whitening without ε leaves them at 0.
      nullDirections: nulls,
      nullLimit: basis.nullLimit,
      rotatedCovariance: { largestOffDiagonal: covarianceSummary(rotatedCovariance, v).largestOffDiagonal },
      pcaWhiteWithoutEpsilon: { ...whiteWithout, limit: WHITENED_OFF_DIAGONAL_LIMIT, pass: whiteningPasses, float32OffDiagonalBound },
      pcaWhiteWithEpsilon: summary(pcaWhiteEpsilon),
      zcaWhiteWithEpsilon: summary(zcaWhiteEpsilon),
      zcaWhiteWithoutEpsilon: summary(zcaWhiten(patches, basis, 0)),
      eigenvalues: [...basis.eigenvalues],
    },
    pass,
  };
  log(`pca_gen: ${patches.examples} patches of ${PCA_PATCH_SIZE}×${PCA_PATCH_SIZE} on ${device}`);
  log(`k = ${k99} components retain 99% of the variance (${(100 * report.patches.varianceRetained99).toFixed(3)}%), k = ${k90} retain 90% (${(100 * report.patches.varianceRetained90).toFixed(3)}%)`);
  log(
    `covariance of the PCA-whitened patches without ε: largest off-diagonal ${whiteWithout.largestOffDiagonal.toExponential(3)} (limit ${WHITENED_OFF_DIAGONAL_LIMIT}), ` +
      `diagonal ${whiteWithout.diagonal.min.toPrecision(6)} … ${whiteWithout.diagonal.max.toPrecision(6)} (${nulls} null direction${nulls === 1 ? '' : 's'}, eigenvalue ≤ ${basis.nullLimit.toExponential(2)}: the removed mean's${nulls > 1 ? ' and those within the float32 covariance\'s error' : ''}) — ${whiteningPasses ? 'PASS' : 'FAIL'}`,
  );
  if (!whiteningPasses && float32OffDiagonalBound !== undefined && float32OffDiagonalBound >= WHITENED_OFF_DIAGONAL_LIMIT) {
    log(
      `  the float32 covariance cannot whiten directions this faint: its error ≤ ${sigmaError.toExponential(2)} against the faintest kept eigenvalue ${faintest.toExponential(2)} ` +
        `allows off-diagonals up to ${float32OffDiagonalBound.toExponential(2)}; use more patches (--patches) or the float64 covariance (--device cpu)`,
    );
  }
  log(`with ε = ${PCA_EPSILON}: largest off-diagonal ${report.patches.pcaWhiteWithEpsilon.largestOffDiagonal.toExponential(3)}, diagonal ${report.patches.pcaWhiteWithEpsilon.diagonal.min.toExponential(3)} … ${report.patches.pcaWhiteWithEpsilon.diagonal.max.toPrecision(4)}`);

  try {
    const staged = await StagedOutput.create(args.out);
    await staged.write('report.json', `${JSON.stringify(report, null, 2)}\n`);
    for (const [name, bytes] of Object.entries(files)) await staged.write(name, bytes);
    await staged.commit();
  } catch (error) {
    return usageFailure(error, speech);
  }
  log(`wrote report.json and ${Object.keys(files).length} pictures into ${args.out}`);
  log(pass ? 'PASS' : 'FAIL');
  return pass ? 0 : 1;
}

runCommand(SPEECH, main);
