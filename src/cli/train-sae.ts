/**
 * `npm run train -- --model topk|batchtopk|relu-l1 …`: trains a sparse autoencoder of current
 * practice (src/train/sae-trainer.ts) on an activation matrix (.npy, .safetensors) or on synthetic
 * superposition data with known directions, on the GPU or with the float64 twin (--device cpu),
 * and writes model.json and report.json into the output folder. The last lines say L0, FVU,
 * dead latents and, when the true directions are known, the MMCS.
 *
 * A file `X.npy` with `X.directions.npy` beside it (what saveSuperposition writes) has known
 * directions too.
 *
 * A single run keeps a checkpoint (src/train/sae-checkpoint.ts) as train's UFLDL runs do
 * (RunCheckpoint): every 30 s, on Ctrl-C or SIGTERM, and at the end; `--resume` continues it to
 * the result the run would have had unstopped, refusing a checkpoint of another model, other
 * settings or other data; a run that fails or diverges sets its checkpoint aside and leaves the
 * folder's files as they were. `--init model.json` starts from a saved SAE of the same variant
 * and sizes. A sweep keeps no checkpoints.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { loadActivations } from '../data/activations-node';
import { activationFileKind } from '../data/activations';
import { DataError } from '../data/errors';
import { generateSuperposition } from '../data/superposition';
import { frontierPng, frontierSeries, frontierSvg, VARIANT_NAMES } from '../display/frontier';
import { createNodeGpuContext } from '../gpu/node';
import { kernelConfigFor, type GpuContext } from '../gpu/device';
import { denseMatmulShapes, uniqueShapes } from '../gpu/tuner';
import { tuneNodeContext } from '../gpu/tuning-node';
import { describeAdapter, kernelReport } from '../train/gpu-engine';
import { formatBytes, NoAdapterError, ResourceLimitError } from '../gpu/errors';
import type { Dataset } from '../reference/autoencoder';
import { saeLayout } from '../reference/sae';
import { shuffleExamples } from '../train/data';
import { TRAINING_CHECKPOINT } from '../train/checkpoint';
import { CheckpointError, dataFingerprint, decodeSaeCheckpoint, encodeSaeCheckpoint, SAE_CHECKPOINT, type SaeCheckpoint } from '../train/sae-checkpoint';
import { thetaFromModelJsonText } from '../train/model-files';
import { checkSaeSettings, defaultSaeSettings, trainSae, type SaeTrainSettings } from '../train/sae-trainer';
import { UsageError, type SaeArguments, type TrainArguments } from './args';
import { prepareOutputFolder, removeCreatedFolders, RunCheckpoint, StagedOutput } from './output-files';
import { isGpuFailure, type StopControl } from './run-control';

interface SaeData {
  dataset: Dataset;
  description: string;
  directions?: { values: Float64Array; features: number };
}

async function loadSaeData(args: TrainArguments, sae: SaeArguments, seed: number): Promise<SaeData> {
  const source = args.config.data;
  if (source === 'synthetic') {
    const { features, dimensions, examples, active } = sae.synthetic;
    const made = generateSuperposition({ features, dimensions, examples, activePerExample: active, seed });
    return {
      dataset: made.dataset,
      description: `synthetic superposition: ${features} true directions in ${dimensions} dimensions, ${examples} examples, ${active} active per example (magnitudes uniform in [0, 1]), seed ${seed}`,
      directions: { values: made.directions, features },
    };
  }
  if (!existsSync(source)) throw new DataError(source, 'no such file');
  if (activationFileKind(source) === undefined) throw new DataError(source, 'not an activation matrix: --model topk, batchtopk and relu-l1 read a .npy or .safetensors file, or --data synthetic');
  const dataset = await loadActivations(source, sae.tensor !== undefined ? { tensor: sae.tensor } : {});
  const directionsPath = source.replace(/\.npy$/i, '.directions.npy');
  let directions: SaeData['directions'];
  if (directionsPath !== source && existsSync(directionsPath)) {
    const d = await loadActivations(directionsPath);
    if (d.visibleSize !== dataset.visibleSize) throw new DataError(directionsPath, `holds directions of ${d.visibleSize} values; ${source} has ${dataset.visibleSize} per example`);
    directions = { values: Float64Array.from(d.data), features: d.examples };
  }
  for (let j = 0; j < dataset.data.length; j++) {
    if (!Number.isFinite(dataset.data[j])) throw new DataError(source, `holds a non-finite value at example ${Math.floor(j / dataset.visibleSize)}`);
  }
  return { dataset, description: `${source}${sae.tensor ? ` (tensor ${sae.tensor})` : ''}: ${dataset.examples} examples of ${dataset.visibleSize} values${directions ? `, true directions from ${directionsPath}` : ''}`, directions };
}

const fixed = (v: number | undefined, digits = 4) => (v === undefined || !Number.isFinite(v) ? String(v) : v.toFixed(digits));

/**
 * θ-sized float64 vectors an SAE run holds at once in this process: θ, its gradient, Adam's two
 * moments, the best and last θ, and a few read-backs.
 */
const SAE_VECTORS_HELD = 8;

/** Refuses, before anything is written, a model whose vectors this machine cannot spare. */
function checkSaeMemory(settings: SaeTrainSettings, inputs: number, available: number): void {
  const length = saeLayout({ inputs, latents: settings.latents }).length;
  const bytes = length * 8 * SAE_VECTORS_HELD;
  if (bytes > available) {
    throw new ResourceLimitError(`a ${inputs}-${settings.latents} SAE has ${length.toLocaleString('en-US')} parameters (${formatBytes(bytes)} for its vectors); this machine can spare ${formatBytes(available)}`, ['hidden']);
  }
}

/** The checkpoint --resume continues, read and checked against the command's model and flags before any data are read. */
async function readResumedCheckpoint(args: TrainArguments, sae: SaeArguments): Promise<SaeCheckpoint> {
  const path = join(args.out, RunCheckpoint.NAME);
  if (!existsSync(path)) throw new CheckpointError(`--resume: ${path} does not exist: there is nothing to resume in ${args.out} (start a run without --resume)`);
  const bytes = new Uint8Array(await readFile(path));
  if (checkpointMagic(bytes) === TRAINING_CHECKPOINT.magic) {
    throw new UsageError(`--resume: ${path} holds a UFLDL run (--model kl), not an SAE of --model ${sae.variant}: continue it with npm run train -- --out ${args.out} --resume`);
  }
  const saved = decodeSaeCheckpoint(bytes, path);
  if (saved.settings.variant !== sae.variant) throw new UsageError(`--resume: ${path} is a --model ${saved.settings.variant} run; this command trains --model ${sae.variant}`);
  const conflicts = Object.entries(sae.overrides)
    .filter(([key, value]) => saved.settings[key as keyof SaeTrainSettings] !== value)
    .map(([key, value]) => `${FLAG_OF[key] ?? key} ${value} (the run's: ${saved.settings[key as keyof SaeTrainSettings]})`);
  if (conflicts.length > 0) throw new UsageError(`--resume: these flags contradict the checkpoint's run: ${conflicts.join(', ')}; leave them out to continue it, or start a new run in another folder`);
  return saved;
}

/** The first 8 bytes of a container file (src/io/container.ts): which kind of checkpoint it is. */
function checkpointMagic(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes.subarray(0, 8));
}

/**
 * For the UFLDL command's --resume: when the folder's checkpoint is an SAE run's, the refusal that
 * says so and how to continue it (train without --model would read it as a UFLDL checkpoint and
 * fail on its magic); undefined for any other file.
 */
export function saeResumeHint(bytes: Uint8Array, path: string, out: string): UsageError | undefined {
  if (checkpointMagic(bytes) !== SAE_CHECKPOINT.magic) return undefined;
  let variant = 'topk|batchtopk|relu-l1';
  let run = '';
  try {
    const { settings: s, state } = decodeSaeCheckpoint(bytes, path);
    variant = s.variant;
    run = ` (${s.variant === 'relu-l1' ? `λ ${s.l1}` : `k ${s.k}`}, ${s.latents} latents, step ${state.step} of ${s.steps})`;
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
  }
  return new UsageError(`--resume: ${path} holds an SAE run${run}, not a UFLDL one: continue it with npm run train -- --model ${variant} --out ${out} --resume`);
}

const FLAG_OF: Record<string, string> = { latents: '--hidden', learningRate: '--learning-rate', batchSize: '--batch-size', steps: '--iters', seed: '--seed', k: '--k', l1: '--l1', auxK: '--aux-k' };

/** θ₀ (and BatchTopK's threshold) from a model.json this command wrote, refused unless its variant and sizes are this run's. */
async function loadInitialSae(path: string, settings: SaeTrainSettings, inputs: number): Promise<{ theta: Float64Array; threshold?: number }> {
  if (!existsSync(path)) throw new DataError(path, 'no such file');
  const bytes = new Uint8Array(await readFile(path));
  const { theta, shape } = thetaFromModelJsonText(bytes, path, 'sae');
  const json = JSON.parse(new TextDecoder().decode(bytes)) as { model?: unknown; threshold?: unknown };
  if (json.model !== settings.variant) throw new DataError(path, `is ${typeof json.model === 'string' ? `a --model ${json.model}` : 'not an SAE'} model.json; this run trains --model ${settings.variant}`);
  if (shape.visibleSize !== inputs || shape.hiddenSize !== settings.latents) {
    throw new DataError(path, `is a ${shape.visibleSize}-${shape.hiddenSize} SAE; this run is ${inputs}-${settings.latents} (${shape.visibleSize !== inputs ? 'the data have other sizes' : '--hidden'})`);
  }
  if (settings.variant === 'batchtopk' && !(typeof json.threshold === 'number' && Number.isFinite(json.threshold))) throw new DataError(path, 'is a BatchTopK model.json without its threshold');
  return { theta, ...(settings.variant === 'batchtopk' ? { threshold: json.threshold as number } : {}) };
}

/** Runs the SAE command; returns the exit code. Errors of the user's input are thrown for the caller to map. */
export async function runSaeCommand(args: TrainArguments, log: (line: string) => void, stop: StopControl): Promise<number> {
  const sae = args.sae!;
  const signal = stop.abort;
  const resumed = args.resume ? await readResumedCheckpoint(args, sae) : undefined;
  const seed = resumed?.settings.seed ?? sae.overrides.seed ?? 1;
  const data = await loadSaeData(args, sae, seed);
  const { dataset } = data;
  if (dataset.examples < 2) throw new DataError(args.config.data, `holds ${dataset.examples} example; an SAE needs many`);
  // Contiguous batches (batchForIteration) of data stored in order would each see one region.
  shuffleExamples(dataset, seed);
  const dataHash = dataFingerprint(dataset.data);
  if (resumed && (resumed.examples !== dataset.examples || resumed.shape.inputs !== dataset.visibleSize || resumed.dataHash !== dataHash)) {
    throw new CheckpointError(
      `--resume: ${join(args.out, RunCheckpoint.NAME)} is a run on other data (${resumed.data}; ${resumed.examples} × ${resumed.shape.inputs}), not ${data.description}: give the run's --data, or start a new run in another folder`,
    );
  }
  const base = resumed?.settings ?? defaultSaeSettings(sae.variant, dataset.visibleSize, dataset.examples, sae.overrides);
  const runs: SaeTrainSettings[] = sae.sweep ? sae.sweep.values.map((value) => ({ ...base, [sae.sweep!.name]: value })) : [base];
  for (const settings of runs) {
    try {
      checkSaeSettings(settings, dataset.visibleSize, dataset.examples);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  for (const settings of runs) checkSaeMemory(settings, dataset.visibleSize, totalmem() / 2);
  const init = args.init ? await loadInitialSae(args.init, base, dataset.visibleSize) : undefined;
  const created = await prepareOutputFolder(args.out);
  log(`data: ${data.description}`);
  if (resumed) log(`resuming at step ${resumed.state.step} of ${resumed.settings.steps} from ${join(args.out, RunCheckpoint.NAME)}`);
  if (init) log(`starting from ${args.init}`);
  let ctx: GpuContext | undefined;
  if (args.device === 'gpu') {
    try {
      ctx = await createNodeGpuContext();
    } catch (error) {
      if (error instanceof NoAdapterError) {
        log(`error: ${error.message} Or train on the float64 CPU reference: npm run train -- --model ${sae.variant} --device cpu`);
        return 1;
      }
      throw error;
    }
  }
  const results = [];
  let finished = false;
  // One run keeps a checkpoint; a sweep's runs do not.
  const checkpoint = sae.sweep ? undefined : await RunCheckpoint.open(args.out);
  try {
    if (ctx) {
      // The SAE models run ctx.kernels (src/gpu/model.ts): one race for every run's products, a batch's rows each.
      const splitK = kernelConfigFor(ctx).splitK;
      const choice = await tuneNodeContext(ctx, uniqueShapes(runs.flatMap((s) => denseMatmulShapes(s.batchSize, [dataset.visibleSize, s.latents, dataset.visibleSize], splitK))), args.tune);
      log(`device: webgpu — ${describeAdapter(ctx)}; kernels: ${kernelReport(choice).summary}`);
    } else {
      log('device: cpu — float64 reference (JavaScript)');
    }
    for (const settings of runs) {
      const what = settings.variant === 'relu-l1' ? `λ = ${settings.l1}` : `k = ${settings.k}${settings.auxK > 0 ? `, AuxK ${settings.auxK}` : ''}`;
      log(`model: ${settings.variant}, ${dataset.visibleSize}-${settings.latents}, ${what}; Adam α = ${settings.learningRate}, batches of ${settings.batchSize}, ${settings.steps} steps; ${ctx ? 'GPU' : 'float64 CPU'}`);
      let lastLogged = 0;
      const result = await trainSae(ctx ? { ctx } : 'cpu', dataset, settings, {
        signal,
        directions: data.directions,
        ...(init ? { theta0: init.theta, threshold0: init.threshold } : {}),
        ...(resumed ? { resumeFrom: resumed.state } : {}),
        ...(checkpoint
          ? {
              checkpointSeconds: 30,
              onCheckpoint: (state) =>
                checkpoint.write(encodeSaeCheckpoint({ settings, shape: { inputs: dataset.visibleSize, latents: settings.latents }, examples: dataset.examples, dataHash, data: data.description, state })),
            }
          : {}),
        onProgress: (p) => {
          if (p.step - lastLogged >= settings.steps / 10 || p.step === p.steps) {
            lastLogged = p.step;
            const auxiliary = settings.variant === 'relu-l1' ? `, L1 ${fixed(p.auxiliary)}` : settings.auxK > 0 ? `, AuxK ${fixed(p.auxiliary)}` : '';
            log(`  step ${p.step}/${p.steps}: batch ‖x − x̂‖² ${fixed(p.reconstruction)}${auxiliary}, dead ${p.dead} (${p.elapsedSeconds.toFixed(1)} s)`);
          }
        },
      });
      results.push({ settings, result });
      if (result.exitReason !== 'max-iterations') break;
    }
    finished = true;
  } catch (error) {
    // A failed run never replaces the folder's checkpoint: its own goes beside, in failed/.
    const aside = await checkpoint?.setAside('failed');
    if (aside && isGpuFailure(error)) {
      log(`error: the GPU failed: ${error.message}; ${args.out} keeps the previous run's files; the last checkpoint is kept in ${aside} (continue with: npm run train -- --model ${sae.variant} --out ${join(args.out, 'failed')} --resume)`);
      return 1;
    }
    if (aside) log(`(this run's last checkpoint is in ${aside})`);
    throw error;
  } finally {
    ctx?.destroy();
    // A run refused or failed before it had results (a model too large for the GPU, a lost device) leaves no trace.
    if (!finished) await removeCreatedFolders(created);
  }

  const reports = results.map(({ settings, result }) => {
    const { metrics, mmcs } = result;
    return {
      variant: settings.variant,
      settings,
      steps: result.steps,
      seconds: result.seconds,
      exitReason: result.exitReason,
      device: result.device,
      ...(result.threshold !== undefined ? { threshold: result.threshold } : {}),
      lastBatch: result.last ? { reconstruction: result.last.reconstruction, auxiliary: result.last.auxiliary } : null,
      metrics: {
        l0: metrics.l0,
        fvu: metrics.fvu,
        meanSquaredError: metrics.meanSquaredError,
        deadLatents: metrics.deadLatents.length,
        deadFraction: metrics.deadLatents.length / settings.latents,
        deadLatentIndices: metrics.deadLatents,
        densityHistogram: metrics.density.histogram,
        ...(mmcs ? { mmcs: mmcs.mmcs, bestCosinePerDirection: Array.from(mmcs.best) } : {}),
      },
      history: result.history,
      work: result.work ?? null,
    };
  });
  const last = results[results.length - 1];
  // A diverged run's files go beside the folder's own, which keep the last good run's results.
  const diverged = results.some(({ result }) => result.exitReason === 'non-finite');
  const outDir = diverged ? join(args.out, 'diverged') : args.out;
  const only = results.length === 1 ? results[0].result : undefined;
  if (only && only.exitReason === 'cancelled' && only.steps === (resumed?.state.step ?? 0)) {
    await checkpoint?.discard();
    log(`stopped before the first step: ${args.out} keeps what it had`);
    return stop.exitCode();
  }
  stop.writing();
  await mkdir(outDir, { recursive: true });
  const staged = await StagedOutput.create(outDir);
  stop.staging(staged);
  try {
    if (last) await staged.write('model.json', JSON.stringify(saeModelJson(last.result.model.theta, last.settings, dataset.visibleSize, last.result.threshold)));
    const report = { data: data.description, model: sae.variant, ...(reports.length === 1 ? reports[0] : { sweep: sae.sweep, runs: reports }) };
    await staged.write('report.json', `${JSON.stringify(report, null, 2)}\n`);
    if (sae.sweep) {
      await staged.write('frontier.md', frontierTable(reports));
      await staged.write('frontier.png', frontierPng(reports.map((r) => r.metrics)));
      await staged.write('frontier.svg', frontierSvg([frontierSeries(reports)], `L0–FVU frontier: ${VARIANT_NAMES[sae.variant]}, ${dataset.examples.toLocaleString('en-US')} × ${dataset.visibleSize}, ${reports[0].settings.latents} latents`));
    }
    await staged.commit();
    if (diverged) await checkpoint?.setAside('diverged');
    else await checkpoint?.keep();
  } finally {
    await staged.discard();
  }
  for (const r of reports) {
    const m = r.metrics;
    log(
      `${r.exitReason === 'max-iterations' ? 'done' : r.exitReason}: ${r.variant} ${r.variant === 'relu-l1' ? `λ ${r.settings.l1}` : `k ${r.settings.k}`}, ${r.steps} steps, ${r.seconds.toFixed(1)} s; ` +
        `L0 ${fixed(m.l0, 2)}, FVU ${fixed(m.fvu)}, dead ${m.deadLatents}/${r.settings.latents} (${(100 * m.deadFraction).toFixed(1)}%)` +
        `${m.mmcs !== undefined ? `, MMCS ${fixed(m.mmcs)}` : ''}${r.threshold !== undefined ? `, threshold ${fixed(r.threshold)}` : ''}`,
    );
  }
  log(`written: ${outDir}/model.json, ${outDir}/report.json${sae.sweep ? `, ${outDir}/frontier.md, ${outDir}/frontier.png, ${outDir}/frontier.svg` : ''}${checkpoint && !diverged ? `, ${join(args.out, RunCheckpoint.NAME)}` : ''}`);
  if (diverged) {
    log(`diverged: the loss became non-finite (try a smaller --learning-rate); ${args.out} keeps its previous results`);
    return 3;
  }
  if (results.some(({ result }) => result.exitReason === 'cancelled')) {
    if (checkpoint) log(`continue with: npm run train -- --model ${sae.variant} --out ${args.out} --resume`);
    return stop.exitCode();
  }
  return 0;
}

/**
 * model.json with the project's names: W1 the encoder (latents × inputs), W2 the decoder (inputs ×
 * latents, unit-norm columns), b1, b2 (b_dec, which TopK and BatchTopK also subtract before the
 * encoder as b_pre), plus the variant and what encoding needs (k, the inference threshold).
 */
export function saeModelJson(theta: Float64Array, s: SaeTrainSettings, inputs: number, threshold?: number): Record<string, unknown> {
  const h = s.latents;
  const L = saeLayout({ inputs, latents: h });
  return {
    model: s.variant,
    visibleSize: inputs,
    hiddenSize: h,
    W1: Array.from({ length: h }, (_, j) => Array.from({ length: inputs }, (_, i) => theta[L.W1 + i * h + j])),
    b1: Array.from(theta.subarray(L.b1, L.b1 + h)),
    W2: Array.from({ length: inputs }, (_, i) => Array.from({ length: h }, (_, j) => theta[L.W2 + j * inputs + i])),
    b2: Array.from(theta.subarray(L.b2, L.b2 + inputs)),
    output: 'linear',
    preBias: s.variant !== 'relu-l1',
    ...(s.variant !== 'relu-l1' ? { k: s.k } : { l1: s.l1 }),
    ...(s.variant !== 'relu-l1' ? { auxK: s.auxK } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
    encode:
      s.variant === 'topk'
        ? 'z = ReLU(TopK_k(W1·(x − b2) + b1))'
        : s.variant === 'batchtopk'
          ? 'z = JumpReLU_threshold(W1·(x − b2) + b1) (BatchTopK at training time)'
          : 'z = ReLU(W1·x + b1)',
    decode: 'x̂ = W2·z + b2',
  };
}

function frontierTable(reports: { settings: SaeTrainSettings; metrics: { l0: number; fvu: number; deadFraction: number; mmcs?: number } }[]): string {
  const rows = reports.map(({ settings: s, metrics: m }) => `| ${s.variant === 'relu-l1' ? s.l1 : s.k} | ${fixed(m.l0, 2)} | ${fixed(m.fvu)} | ${(100 * m.deadFraction).toFixed(1)}% | ${m.mmcs !== undefined ? fixed(m.mmcs) : '–'} |`);
  return [`| ${reports[0]?.settings.variant === 'relu-l1' ? 'λ' : 'k'} | L0 | FVU | dead | MMCS |`, '|---|---|---|---|---|', ...rows, ''].join('\n');
}
