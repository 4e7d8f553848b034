/**
 * The command line of `npm run train`, parsed and checked into a TrainConfig. Anything wrong
 * is a UsageError with a one-line message (the CLI prints it and exits with code 2).
 */
import { parseArgs } from 'node:util';
import {
  ConfigError,
  defaultLearningRates,
  defaultPreset,
  isPresetName,
  optimizerNames,
  outputActivations,
  presets,
  validateConfig,
  type OptimizerName,
  type TrainConfig,
} from '../train/config';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface TrainArguments {
  config: TrainConfig;
  device: 'gpu' | 'cpu';
  out: string;
  init?: string;
  resume: boolean;
  checkpointEvery: number;
  help: boolean;
  /** Flags given explicitly (a resumed run may only change a few). */
  given: Set<string>;
}

export const trainUsage = `Usage: npm run train -- [options]

Trains a sparse autoencoder (UFLDL) and writes model.json, theta.mat, features.png and
report.json into the output folder.

  --preset NAME          ufldl-natural (default: 8×8 natural-image patches, 64-25),
                         ufldl-mnist (MNIST digits, 784-196), or ufldl-linear-decoder
                         (8×8×3 color patches, ZCA-whitened, 192-400, linear output)
  --data SOURCE          natural | natural-color (ZCA-whitened color patches) | mnist
                         | a .mat holding IMAGES or patches | an idx file
                         | PNG/JPEG files or a folder of them
  --output KIND          sigmoid (the sparse autoencoder's; data in [0, 1]) or linear
                         (the linear decoder's; any real values)
  --hidden N             hidden units
  --sparsity RHO         target mean activation ρ, in (0, 1)
  --lambda L             weight decay λ ≥ 0
  --beta B               sparsity weight β ≥ 0
  --patch P              patch side in pixels (image data)
  --patches M            number of patches sampled (image data)
  --normalize            rescale ready-made data (.mat patches, idx) as UFLDL's normalizeData
                         does, instead of refusing values outside [0, 1]
  --optimizer NAME       lbfgs (default) | gd | sgd | adam
  --learning-rate A      step size for gd, sgd and adam (defaults 1, 0.05, 0.01)
  --momentum MU          sgd momentum in [0, 1) (default 0.9)
  --batch-size N         mini-batch size for sgd and adam (default 256)
  --iters N              iterations (0 evaluates the cost only)
  --init FILE            start from a model.json, or a .mat holding UFLDL's theta
  --seed N               seed for sampling and initialization (default 1)
  --device gpu|cpu       WebGPU (default) or the float64 CPU reference
  --out DIR              output folder (default out)
  --resume               continue the run whose checkpoint is in DIR (flags that contradict
                         it are refused; --iters sets the resumed run's new total)
  --checkpoint-every N   iterations between checkpoints (default: every 30 s)
  --help                 this text

Exit codes: 0 trained; 1 the GPU failed (the run's last checkpoint is kept in DIR/failed/,
DIR keeps the previous run's) or an unexpected error; 2 bad flags, data or files, or a model
too large for the device (one line, nothing written); 3 diverged (the cost became non-finite:
DIR/diverged/ holds the files, with the last θ with a finite cost, and the checkpoint); 130 stopped by Ctrl-C, 143 by SIGTERM (continue with --resume; a
second Ctrl-C quits at once, leaving the folder's previous files).`;

const numberFlags = {
  hidden: 'hiddenSize',
  sparsity: 'sparsityParam',
  lambda: 'lambda',
  beta: 'beta',
  patch: 'patchSize',
  patches: 'patches',
  'learning-rate': 'learningRate',
  momentum: 'momentum',
  'batch-size': 'batchSize',
  iters: 'iterations',
  seed: 'seed',
} as const satisfies Record<string, keyof TrainConfig>;

/**
 * The flags given that contradict the run a checkpoint continues, as '--flag value (the run
 * has saved)'. --iters may differ: it sets the resumed run's new total.
 */
export function resumeConflicts(args: TrainArguments, saved: TrainConfig): string[] {
  const conflicts: string[] = [];
  const differs = (flag: string, mine: unknown, theirs: unknown) => {
    if (args.given.has(flag) && mine !== theirs) conflicts.push(`--${flag} ${mine} (the run has ${theirs})`);
  };
  for (const [flag, field] of Object.entries(numberFlags)) {
    if (flag !== 'iters') differs(flag, args.config[field], saved[field]);
  }
  differs('data', args.config.data, saved.data);
  differs('optimizer', args.config.optimizer, saved.optimizer);
  differs('output', args.config.output ?? 'sigmoid', saved.output ?? 'sigmoid');
  differs('preset', args.config.preset, saved.preset);
  if (args.given.has('init')) conflicts.push(`--init ${args.init} (a resumed run continues from its checkpoint)`);
  return conflicts;
}

export function parseTrainArguments(argv: string[]): TrainArguments {
  // parseArgs takes "--lambda -1" for two flags; a negative number after a flag is its value.
  const args = argv.flatMap((token, i) =>
    /^-\d|^-\.\d/.test(token) && argv[i - 1]?.startsWith('--') && !argv[i - 1].includes('=') ? [] : [
      /^--[^=]+$/.test(token) && /^-(\d|\.\d)/.test(argv[i + 1] ?? '') ? `${token}=${argv[i + 1]}` : token,
    ],
  );
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        preset: { type: 'string' },
        data: { type: 'string' },
        optimizer: { type: 'string' },
        output: { type: 'string' },
        init: { type: 'string' },
        device: { type: 'string' },
        out: { type: 'string' },
        resume: { type: 'boolean' },
        normalize: { type: 'boolean' },
        'checkpoint-every': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(Object.keys(numberFlags).map((k) => [k, { type: 'string' as const }])),
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const given = new Set(Object.keys(values).filter((k) => values[k] !== undefined));

  const presetName = (values.preset as string | undefined) ?? defaultPreset;
  if (!isPresetName(presetName)) {
    throw new UsageError(`unknown preset '${presetName}' (choose ${Object.keys(presets).join(', ')})`);
  }
  const config: TrainConfig = { ...presets[presetName] };
  if (values.data !== undefined) config.data = values.data as string;
  if (values.optimizer !== undefined) {
    if (!optimizerNames.includes(values.optimizer as OptimizerName)) {
      throw new UsageError(`unknown optimizer '${values.optimizer}' (choose ${optimizerNames.join(', ')})`);
    }
    config.optimizer = values.optimizer as OptimizerName;
  }
  if (values.output !== undefined) {
    if (!outputActivations.includes(values.output as 'sigmoid')) {
      throw new UsageError(`--output must be ${outputActivations.join(' or ')}, got '${values.output}'`);
    }
    config.output = values.output as 'sigmoid' | 'linear';
  }
  for (const [flag, field] of Object.entries(numberFlags)) {
    const text = values[flag];
    if (text === undefined) continue;
    const value = Number(text);
    if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(value)) {
      throw new UsageError(`--${flag} needs a number, got '${text}'`);
    }
    (config as unknown as Record<string, number>)[field] = value;
  }
  if (!given.has('learning-rate')) config.learningRate = defaultLearningRates[config.optimizer];
  if (values.normalize === true) config.normalize = true;
  if ([...given].some((k) => k in numberFlags || k === 'data' || k === 'optimizer' || k === 'output')) {
    config.preset = 'custom';
  }
  try {
    validateConfig(config);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }

  const device = (values.device as string | undefined) ?? 'gpu';
  if (device !== 'gpu' && device !== 'cpu') throw new UsageError(`--device must be gpu or cpu, got '${device}'`);
  const checkpointEvery = values['checkpoint-every'] === undefined ? 0 : Number(values['checkpoint-every']);
  if (!(Number.isInteger(checkpointEvery) && checkpointEvery >= 0)) {
    throw new UsageError(`--checkpoint-every must be a whole number ≥ 0, got '${values['checkpoint-every']}'`);
  }
  const out = (values.out as string | undefined) ?? 'out';
  if (out.trim() === '') throw new UsageError('--out needs a folder name');
  return {
    config,
    device,
    out,
    init: values.init as string | undefined,
    resume: values.resume === true,
    checkpointEvery,
    help: values.help === true,
    given,
  };
}
