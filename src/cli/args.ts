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
import { DEFAULT_SYNTHETIC, type SyntheticSize } from '../data/superposition';
import { saeVariants, type SaeTrainSettings, type SaeVariant } from '../train/sae-trainer';

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
  /** Race the kernels on this adapter (cached) before training; --no-tune runs the table's. */
  tune: boolean;
  help: boolean;
  /** Flags given explicitly (a resumed run may only change a few). */
  given: Set<string>;
  /** --model topk | batchtopk | relu-l1: the SAE of current practice to train instead (./train-sae.ts). */
  sae?: SaeArguments;
}

export { DEFAULT_SYNTHETIC, type SyntheticSize } from '../data/superposition';

export interface SaeArguments {
  variant: SaeVariant;
  /** The settings the flags gave; the rest come from defaultSaeSettings once the data's size is known. */
  overrides: Partial<SaeTrainSettings>;
  /** The tensor of a multi-tensor .safetensors file. */
  tensor?: string;
  synthetic: SyntheticSize;
  /** --sweep k=4,8,16,32: one model per k (TopK, BatchTopK) or λ (l1=…, ReLU-L1). */
  sweep?: { name: 'k' | 'l1'; values: number[] };
}

export const trainUsage = `Usage: npm run train -- [options]

Trains a sparse autoencoder (UFLDL's, --model kl, the default) and writes model.json,
theta.mat, features.png and report.json into the output folder; or, with --model topk |
batchtopk | relu-l1, a sparse autoencoder of current practice on activations (Adam, unit-norm
decoder), writing model.json and report.json with L0, FVU, dead latents, the density histogram
and, for synthetic data, the MMCS to the true directions.

  --model NAME           kl (default: UFLDL's sigmoid autoencoder with the KL sparsity penalty)
                         | topk (Gao et al., with AuxK) | batchtopk | relu-l1 (Anthropic's)
    For topk, batchtopk and relu-l1 (defaults train a good SAE with no other flag):
  --data SOURCE          a .npy or .safetensors activation matrix (examples × values), or
                         synthetic (superposition data with known directions; default)
  --tensor NAME          the tensor of a .safetensors file holding several
  --hidden N             latents (default 512)
  --k K                  latents kept per example (topk, batchtopk; default round(d/12), ≤ 32)
  --l1 L                 relu-l1's λ (default 0.3; warmed up over the first 5% of steps)
  --aux-k N              topk's and batchtopk's AuxK latents (default d/2; 0: no AuxK)
  --learning-rate A      Adam's step (default 1e-3; decays to 0 over the last 20% of steps)
  --batch-size N         examples per step (default 256)
  --iters N              steps (default 4000)
  --sweep k=4,8,16,32    train one model per value (k, or l1=… for relu-l1) and write the
                         L0–FVU frontier (frontier.png, frontier.md)
  --features N --dimensions D --examples M --active A
                         synthetic data's size (default 256 directions in 64 dimensions,
                         40,000 examples, 5 active per example)
  --init FILE            start from a model.json of the same --model and sizes
  --resume               continue the run whose checkpoint is in DIR (saved every 30 s and
                         on Ctrl-C; flags that contradict it are refused); not with --sweep
  --device, --seed, --out as below. The options below are for --model kl.

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
  --no-tune              run the table's matmul kernels for this adapter instead of racing
                         the variants and tile shapes it offers (about 2 s on first use of an
                         adapter and model size; the choice is cached)
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
        'no-tune': { type: 'boolean' },
        normalize: { type: 'boolean' },
        'checkpoint-every': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        model: { type: 'string' },
        tensor: { type: 'string' },
        sweep: { type: 'string' },
        ...Object.fromEntries(Object.keys(saeNumberFlags).map((k) => [k, { type: 'string' as const }])),
        ...Object.fromEntries(Object.keys(numberFlags).map((k) => [k, { type: 'string' as const }])),
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const given = new Set(Object.keys(values).filter((k) => values[k] !== undefined));

  const model = (values.model as string | undefined) ?? 'kl';
  if (model !== 'kl' && !saeVariants.includes(model as SaeVariant)) {
    throw new UsageError(`--model must be kl, ${saeVariants.join(', ')}; got '${model}'`);
  }
  if (model === 'kl') {
    const stray = Object.keys(saeNumberFlags).concat('tensor', 'sweep').filter((flag) => given.has(flag));
    if (stray.length > 0) throw new UsageError(`--${stray[0]} is for --model topk, batchtopk or relu-l1`);
  } else {
    return parseSaeArguments(model as SaeVariant, values, given);
  }

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
    tune: values['no-tune'] !== true,
    help: values.help === true,
    given,
  };
}

const saeNumberFlags = {
  k: 'k',
  l1: 'l1',
  'aux-k': 'auxK',
  features: 'features',
  dimensions: 'dimensions',
  examples: 'examples',
  active: 'active',
} as const;

/** Flags of the UFLDL model that mean nothing to an SAE run: refused rather than ignored. */
const klOnlyFlags = ['preset', 'optimizer', 'output', 'sparsity', 'lambda', 'beta', 'patch', 'patches', 'normalize', 'momentum', 'checkpoint-every'];

function numberOf(flag: string, text: string | boolean | undefined): number {
  const value = Number(text);
  if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${flag} needs a number, got '${text}'`);
  return value;
}

function parseSaeArguments(variant: SaeVariant, values: Record<string, string | boolean | undefined>, given: Set<string>): TrainArguments {
  const stray = klOnlyFlags.find((flag) => given.has(flag));
  if (stray) throw new UsageError(`--${stray} is for --model kl; --model ${variant} trains with Adam from its own initialisation`);
  const overrides: Partial<SaeTrainSettings> = {};
  const pick = (flag: string, field: 'latents' | 'learningRate' | 'batchSize' | 'steps' | 'seed' | 'k' | 'l1' | 'auxK') => {
    if (given.has(flag)) overrides[field] = numberOf(flag, values[flag]);
  };
  pick('hidden', 'latents');
  pick('learning-rate', 'learningRate');
  pick('batch-size', 'batchSize');
  pick('iters', 'steps');
  pick('seed', 'seed');
  pick('k', 'k');
  pick('l1', 'l1');
  pick('aux-k', 'auxK');
  if (variant === 'relu-l1' && given.has('k')) throw new UsageError('--k is for topk and batchtopk; relu-l1 sets its sparsity with --l1');
  if (variant !== 'relu-l1' && given.has('l1')) throw new UsageError(`--l1 is for relu-l1; ${variant} sets its sparsity with --k`);
  if (variant === 'relu-l1' && given.has('aux-k')) throw new UsageError('--aux-k is for topk and batchtopk');
  const positive = (flag: string, value: number | undefined, min = 1) => {
    if (value !== undefined && !(Number.isInteger(value) && value >= min)) throw new UsageError(`--${flag} must be a whole number ≥ ${min}, got ${value}`);
  };
  positive('hidden', overrides.latents);
  positive('batch-size', overrides.batchSize);
  positive('iters', overrides.steps, 0);
  positive('k', overrides.k);
  positive('aux-k', overrides.auxK, 0);
  if (overrides.seed !== undefined && !Number.isInteger(overrides.seed)) throw new UsageError(`--seed must be an integer, got ${overrides.seed}`);
  if (overrides.learningRate !== undefined && !(overrides.learningRate > 0)) throw new UsageError(`--learning-rate must be > 0, got ${overrides.learningRate}`);
  if (overrides.l1 !== undefined && !(overrides.l1 >= 0)) throw new UsageError(`--l1 must be ≥ 0, got ${overrides.l1}`);
  const synthetic = { ...DEFAULT_SYNTHETIC };
  for (const flag of ['features', 'dimensions', 'examples', 'active'] as const) {
    if (!given.has(flag)) continue;
    synthetic[flag] = numberOf(flag, values[flag]);
    positive(flag, synthetic[flag]);
  }
  if (synthetic.active > synthetic.features) throw new UsageError(`--active ${synthetic.active} is more than the ${synthetic.features} --features`);
  let sweep: SaeArguments['sweep'];
  if (given.has('sweep')) {
    const match = /^(k|l1)=([^=]+)$/.exec(String(values.sweep));
    const name = variant === 'relu-l1' ? 'l1' : 'k';
    if (!match || match[1] !== name) throw new UsageError(`--sweep must be ${name}=V1,V2,… for --model ${variant}, got '${values.sweep}'`);
    const list = match[2].split(',').map((v) => numberOf('sweep', v));
    if (list.length < 2) throw new UsageError(`--sweep needs at least two values, got '${values.sweep}'`);
    for (const v of list) if (name === 'k' ? !(Number.isInteger(v) && v >= 1) : !(v >= 0)) throw new UsageError(`--sweep: ${v} is not a valid ${name}`);
    sweep = { name, values: list };
  }
  const resume = values.resume === true;
  if (resume && sweep) throw new UsageError('--resume continues one run; a --sweep keeps no checkpoints (run the value you want to continue on its own)');
  if (resume && given.has('init')) throw new UsageError('--init starts a new run; --resume continues one from its checkpoint: give one of them');
  const data = (values.data as string | undefined) ?? 'synthetic';
  if (given.has('tensor') && data === 'synthetic') throw new UsageError('--tensor chooses a tensor of a .safetensors --data file');
  const device = (values.device as string | undefined) ?? 'gpu';
  if (device !== 'gpu' && device !== 'cpu') throw new UsageError(`--device must be gpu or cpu, got '${device}'`);
  const out = (values.out as string | undefined) ?? 'out';
  if (out.trim() === '') throw new UsageError('--out needs a folder name');
  return {
    config: { ...presets[defaultPreset], preset: 'custom', data, optimizer: 'adam' },
    device,
    out,
    init: values.init as string | undefined,
    resume,
    checkpointEvery: 0,
    tune: values['no-tune'] !== true,
    help: values.help === true,
    given,
    sae: { variant, overrides, tensor: values.tensor as string | undefined, synthetic, ...(sweep ? { sweep } : {}) },
  };
}
