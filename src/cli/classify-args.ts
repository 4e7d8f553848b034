/**
 * The command line of `npm run classify`, parsed and checked. Anything wrong is a UsageError
 * with a one-line message (the CLI prints it and exits with code 2).
 */
import { parseArgs } from 'node:util';
import { defaultSettingsFor, taskNames, type ClassifyData, type ClassifySettings, type TaskName } from '../classify/pipeline';
import { UsageError } from './args';

export interface ClassifyArguments {
  settings: ClassifySettings;
  device: 'gpu' | 'cpu';
  out: string;
  /** Use only the first N digits (embedded: after shuffling; files: of each file). */
  digits?: number;
  trainImages?: string;
  trainLabels?: string;
  testImages?: string;
  testLabels?: string;
  /** conv on UFLDL's own data: stlTrainSubset.mat, stlTestSubset.mat and STL10Features.mat. */
  trainMat?: string;
  testMat?: string;
  features?: string;
  resume: boolean;
  /** Race the matmul kernels on this adapter (cached) before the first stage; --no-tune runs the table's. */
  tune: boolean;
  /** --predict MODEL: classify --images (scored against --labels when given). */
  predict?: string;
  images?: string;
  labels?: string;
  help: boolean;
  /** Settings given explicitly (a resumed run may change none of them). */
  given: Set<keyof ClassifySettings>;
}

export const classifyUsage = `Usage: npm run classify -- [options]

UFLDL's exercises after the sparse autoencoder, trained with L-BFGS (minFunc's settings) on
WebGPU or the float64 CPU reference:

  --task softmax         softmax regression on raw pixels (softmaxExercise; default)
  --task stl             self-taught learning: a sparse autoencoder on the digits 5–9, softmax
                         on its features of the digits 0–4 (stlExercise)
  --task stacked         two sparse autoencoders trained greedily, softmax on the second's
                         features, then the whole stack fine-tuned (stackedAEExercise)
  --task conv            convolution and pooling (cnnExercise): a sparse autoencoder on 8×8
                         patches of the training digits, its features convolved over every
                         digit with σ and mean-pooled over a 4×4 grid, softmax on the result

Data (default: the mnist package's 10,000 digits, shuffled with --seed, half train, half test;
stl splits them as stlExercise does):
  --train-images FILE --train-labels FILE    idx files (gzipped or not), e.g. MNIST's
  --test-images FILE --test-labels FILE      train-… and t10k-…, used in their own order
                                             (stl needs only the training files)
  --digits N             use only the first N digits (of each file)
  --train-mat FILE --test-mat FILE --features FILE
                         conv on cnnExercise's own data: stlTrainSubset.mat (trainImages
                         64×64×3×N, trainLabels), stlTestSubset.mat (testImages, testLabels)
                         and the linear decoder's STL10Features.mat (optTheta, ZCAWhite,
                         meanPatch), the whitening folded into the weights; no autoencoder stage

Model (defaults are the exercises'):
  --hidden N             hidden units of each autoencoder (200)
  --sparsity RHO         ρ of the autoencoders (0.1)
  --lambda L             λ of the autoencoders (3e-3)
  --beta B               β of the autoencoders (3)
  --ae-iters N           L-BFGS iterations of each autoencoder (400)
  --softmax-lambda L     λ of softmax regression (1e-4; conv 1e-5)
  --softmax-iters N      L-BFGS iterations of softmax regression (100; conv 400)
  --finetune-lambda L    λ of fine-tuning (3e-3, stackedAEExercise's λ)
  --finetune-iters N     L-BFGS iterations of fine-tuning (400)
  --patch P              conv: side of the patches the features are learned on (8)
  --patches N            conv: patches cut from the training digits (20000)
  --pool P               conv: side of the mean-pooling regions (5: 21×21 maps → 4×4, the
                         last row and column left out; 7 → 3×3)
  --seed N               seed for shuffling and initialization (1)

Run:
  --device gpu|cpu       WebGPU (default) or the float64 CPU reference
  --out DIR              output folder (default out/TASK): report.json, model.json,
                         confusion.png, features-layer1.png (and -layer2 for stacked),
                         checkpoint.bin
  --resume               continue the stopped run whose checkpoint is in DIR
  --no-tune              run the table's matmul kernels for this adapter instead of racing
                         them (about 2 s, once per adapter and set of stage shapes; cached)
  --predict MODEL --images FILE [--labels FILE]
                         classify an idx images file with a trained model.json; writes
                         predictions.json into --out (with accuracy and confusion if labeled)
  --help                 this text

Ctrl-C (or SIGTERM) stops at the next iteration with a checkpoint; --resume continues it to the
same result. Exit codes: 0 done; 1 the GPU failed (the run's checkpoint is kept in DIR/failed/)
or an unexpected failure; 2 bad flags, data, checkpoint or a model too large for the device
(one line on stderr, nothing written); 3 a stage diverged (DIR keeps its previous results, the
run's checkpoint goes in DIR/diverged/); 130 interrupted (143 on SIGTERM).`;

const NUMBER_FLAGS = {
  hidden: ['hiddenSize', 'count'],
  sparsity: ['sparsityParam', 'fraction'],
  lambda: ['lambda', 'nonnegative'],
  beta: ['beta', 'nonnegative'],
  'ae-iters': ['autoencoderIterations', 'whole'],
  'softmax-lambda': ['softmaxLambda', 'nonnegative'],
  'softmax-iters': ['softmaxIterations', 'whole'],
  'finetune-lambda': ['finetuneLambda', 'nonnegative'],
  'finetune-iters': ['finetuneIterations', 'whole'],
  patch: ['patchDim', 'count'],
  patches: ['patches', 'count'],
  pool: ['poolDim', 'count'],
  seed: ['seed', 'integer'],
} as const satisfies Record<string, readonly [keyof ClassifySettings, string]>;

export function parseClassifyArguments(argv: string[]): ClassifyArguments {
  const string = { type: 'string' } as const;
  const options = {
    task: string,
    device: string,
    out: string,
    digits: string,
    'train-images': string,
    'train-labels': string,
    'test-images': string,
    'test-labels': string,
    'train-mat': string,
    'test-mat': string,
    features: string,
    predict: string,
    images: string,
    labels: string,
    resume: { type: 'boolean' },
    'no-tune': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    ...Object.fromEntries(Object.keys(NUMBER_FLAGS).map((name) => [name, string])),
  } as const;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
  // An empty name would read the current folder, or write into it.
  for (const flag of ['out', 'train-images', 'train-labels', 'test-images', 'test-labels', 'train-mat', 'test-mat', 'features', 'predict', 'images', 'labels']) {
    const value = values[flag];
    if (typeof value === 'string' && value.trim() === '') throw new UsageError(`--${flag} needs a ${flag === 'out' ? 'folder' : 'file'} name`);
  }
  const task = (values.task as string | undefined) ?? 'softmax';
  if (!taskNames.includes(task as TaskName)) throw new UsageError(`--task must be one of ${taskNames.join(', ')}, got '${task}'`);
  const device = (values.device as string | undefined) ?? 'gpu';
  if (device !== 'gpu' && device !== 'cpu') throw new UsageError(`--device must be gpu or cpu, got '${device}'`);
  const settings: ClassifySettings = defaultSettingsFor(task as TaskName);
  const given = new Set<keyof ClassifySettings>();
  if (values.task !== undefined) given.add('task');
  for (const [flag, [field, kind]] of Object.entries(NUMBER_FLAGS)) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const value = Number(raw);
    const ok =
      String(raw).trim() !== '' &&
      Number.isFinite(value) &&
      (kind === 'count' ? Number.isInteger(value) && value > 0 : kind === 'whole' ? Number.isInteger(value) && value >= 0 : kind === 'integer' ? Number.isInteger(value) : kind === 'fraction' ? value > 0 && value < 1 : value >= 0);
    if (!ok) {
      const want = { count: 'a positive integer', whole: 'a whole number ≥ 0', integer: 'an integer', fraction: 'a number strictly between 0 and 1', nonnegative: 'a number ≥ 0' }[kind];
      throw new UsageError(`--${flag} must be ${want}, got '${raw}'`);
    }
    (settings as unknown as Record<string, number>)[field] = value;
    given.add(field);
  }
  let digits: number | undefined;
  if (values.digits !== undefined) {
    digits = Number(values.digits);
    if (!(Number.isInteger(digits) && digits >= 2)) throw new UsageError(`--digits must be an integer ≥ 2, got '${values.digits}'`);
  }
  const files = ['train-images', 'train-labels', 'test-images', 'test-labels'].map((f) => values[f] as string | undefined);
  const [trainImages, trainLabels, testImages, testLabels] = files;
  if ((trainImages === undefined) !== (trainLabels === undefined)) throw new UsageError('--train-images and --train-labels go together');
  if ((testImages === undefined) !== (testLabels === undefined)) throw new UsageError('--test-images and --test-labels go together');
  if (testImages !== undefined && trainImages === undefined) throw new UsageError('--test-images needs --train-images too');
  if (trainImages !== undefined && testImages === undefined && task !== 'stl') {
    throw new UsageError(`--task ${task} tests on --test-images/--test-labels: give them too (stl needs only the training files)`);
  }
  const [trainMat, testMat, features] = ['train-mat', 'test-mat', 'features'].map((f) => values[f] as string | undefined);
  const mats = [trainMat, testMat, features];
  if (mats.some((f) => f !== undefined)) {
    if (task !== 'conv') throw new UsageError(`--train-mat, --test-mat and --features are cnnExercise's data, for --task conv (not --task ${task})`);
    if (mats.some((f) => f === undefined)) throw new UsageError('--train-mat, --test-mat and --features go together: the STL images, their test images and the linear decoder\'s features (STL10Features.mat) that convolve them');
    if (trainImages !== undefined) throw new UsageError('--train-mat and --train-images are two sources of training images: give one');
    settings.featuresFromFile = true;
  }
  for (const flag of ['patch', 'patches', 'pool']) {
    if (values[flag] !== undefined && task !== 'conv') throw new UsageError(`--${flag} is a setting of --task conv (not --task ${task})`);
  }
  if (settings.featuresFromFile && (values.patch !== undefined || values.patches !== undefined)) throw new UsageError('--patch and --patches set the features learned on digits; --features gives them');
  const predict = values.predict as string | undefined;
  if (predict !== undefined && values.images === undefined) throw new UsageError('--predict needs --images FILE (and --labels FILE to score it)');
  if (predict === undefined && (values.images !== undefined || values.labels !== undefined)) throw new UsageError('--images and --labels go with --predict MODEL');
  if (predict !== undefined && values.resume) throw new UsageError('--predict and --resume do not go together');
  return {
    settings,
    device,
    out: (values.out as string | undefined) ?? `out/${predict !== undefined ? 'predict' : task}`,
    digits,
    trainImages,
    trainLabels,
    testImages,
    testLabels,
    trainMat,
    testMat,
    features,
    resume: values.resume === true,
    tune: values['no-tune'] !== true,
    predict,
    images: values.images as string | undefined,
    labels: values.labels as string | undefined,
    help: values.help === true,
    given,
  };
}

/** Flags that contradict a checkpoint's settings. */
export function classifyResumeConflicts(args: ClassifyArguments, saved: ClassifySettings): string[] {
  const conflicts: string[] = [];
  for (const field of args.given) {
    if (args.settings[field] !== saved[field]) conflicts.push(`${field} ${args.settings[field]} (the checkpoint's: ${saved[field]})`);
  }
  return conflicts;
}

/**
 * conv: the patches fit the images, the pooling regions fit the convolved maps, and the patches
 * asked for fit the training images' positions; before anything is computed or written.
 */
export function checkConvGeometry(settings: ClassifySettings, data: ClassifyData): void {
  const { patchDim, poolDim } = settings;
  const imageDim = data.geometry?.imageDim ?? Math.round(Math.sqrt(data.train.visibleSize));
  const p = data.convFeatures?.patchDim ?? patchDim;
  if (p > imageDim) throw new UsageError(`--patch ${p}: a ${p}×${p} patch does not fit the ${imageDim}×${imageDim} images`);
  const convDim = imageDim - p + 1;
  if (poolDim > convDim) throw new UsageError(`--pool ${poolDim}: pooling regions of ${poolDim} do not fit a ${convDim}×${convDim} convolved feature (at most ${convDim})`);
  // sampleIMAGES cuts distinct patches: no more than the training images' positions.
  const positions = data.train.examples * convDim * convDim;
  if (!data.convFeatures && settings.patches > positions) {
    throw new UsageError(
      `--patches ${settings.patches}: the ${data.train.examples} training images have only ${positions.toLocaleString('en-US')} positions for a ${p}×${p} patch (${convDim}×${convDim} each); ask for fewer patches, or give more digits`,
    );
  }
}
