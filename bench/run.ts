/**
 * npm run bench — the median time of one cost+gradient evaluation of the sparse autoencoder,
 * after warm-up, for this project's GPU pipeline, the float64 CPU reference, and TensorFlow.js
 * (webgpu and cpu backends) computing the same cost; in Node (Dawn) and in headless Chromium.
 * Then the training rows: whole training runs on the GPU engine beside the lower bound
 * "evaluations × median evaluation time" measured in the same run (bench/training.ts).
 * See bench/README.md.
 *
 *   npm run bench -- [--sizes small,large|none] [--impl gpu,cpu-reference,tfjs-webgpu,tfjs-cpu|none]
 *                    [--env node,chromium] [--reps 5] [--box-seconds 60] [--budget-seconds 60]
 *                    [--training natural,mnist|none] [--chromium-training natural|none|natural,mnist] [--training-reps 20]
 *                    [--training-box-seconds 1800]
 *                    [--out bench-results/bench.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  costTolerance,
  dataHigh,
  dataLow,
  dataSeed,
  envNames,
  hyperparameters,
  implNames,
  implsByEnv,
  sizeNames,
  sizes,
  thetaSeed,
  type AdapterSummary,
  type BenchRow,
  type CellRequest,
  type EnvName,
  type ImplName,
  type SizeName,
} from './config';
import type { CellOutcome, SuperviseOptions, TrainingOutcome } from './supervise';
import { formatProfile } from '../src/gpu/profile';
import { formatMilliseconds, formatMs, formatTable, formatTrainingTable, toRow, toTrainingRow } from './report';
import { trainingConfigs, trainingNames, trainingPaths, type TrainingCellResult, type TrainingName, type TrainingRequest, type TrainingRow } from './training';

/** Profiled evaluations per gpu cell with --profile; each kernel's median is reported. */
const profileCount = 5;

const usage = `Usage: npm run bench -- [options]
  --sizes LIST|none     small (10000, 64, 25), large (10000, 784, 196)   [small,large]
  --impl LIST|none      ${implNames.join(', ')}   [all]
  --env LIST            node, chromium   [node,chromium]
  --reps N              timed evaluations after the warm-up, at most   [5]
  --box-seconds S       one evaluation longer than this is "over the box"   [60]
  --budget-seconds S    fewer repetitions once a cell would pass this   [60]
  --training LIST|none  training rows in Node: natural (ufldl-natural, 400 iterations),
                        mnist (ufldl-mnist, 50 iterations)   [natural,mnist]
  --chromium-training LIST|none  training rows in Chromium (the trainer worker on
                        SwiftShader: natural ~2 min, mnist 7-12 min)   [natural]
  --training-reps N     timed evaluations for a training row's lower bound, at most
                        (within --budget-seconds)   [20]
  --training-box-seconds S  a training row longer than this is stopped   [1800]
  --profile             after each gpu cell's timings, ${profileCount} evaluations kernel by kernel
                        (timestamp queries): each kernel's median ms, printed and in the JSON
  --out FILE            [bench-results/bench.json]`;

function list<T extends string>(value: string, allowed: readonly T[], flag: string): T[] {
  if (value.trim() === 'none') return [];
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new Error(`${flag}: unknown "${item}" (expected ${allowed.join(', ')})`);
  }
  return items as T[];
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${flag} must be a positive number, got "${value}"`);
  return n;
}

const log = (line: string): void => void process.stdout.write(`${line}\n`);
const indent = (text: string, by: string): string => text.split('\n').map((line) => by + line).join('\n');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: sizeNames.join(',') },
      impl: { type: 'string', default: implNames.join(',') },
      env: { type: 'string', default: envNames.join(',') },
      reps: { type: 'string', default: '5' },
      'box-seconds': { type: 'string', default: '60' },
      'budget-seconds': { type: 'string', default: '60' },
      training: { type: 'string', default: trainingNames.join(',') },
      'chromium-training': { type: 'string', default: 'natural' },
      'training-reps': { type: 'string', default: '20' },
      'training-box-seconds': { type: 'string', default: '1800' },
      out: { type: 'string', default: 'bench-results/bench.json' },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    log(usage);
    return;
  }
  const chosenSizes = list(values.sizes, sizeNames, '--sizes');
  const chosenImpls = list(values.impl, implNames, '--impl');
  const chosenEnvs = list(values.env, envNames, '--env');
  const reps = Math.floor(positive(values.reps, '--reps'));
  const boxMs = Math.round(positive(values['box-seconds'], '--box-seconds') * 1000);
  const budgetMs = Math.round(positive(values['budget-seconds'], '--budget-seconds') * 1000);
  const chosenTraining = list(values.training, trainingNames, '--training');
  const chromiumTraining = list(values['chromium-training'], trainingNames, '--chromium-training');
  const trainingReps = Math.floor(positive(values['training-reps'], '--training-reps'));
  const trainingBoxMs = Math.round(positive(values['training-box-seconds'], '--training-box-seconds') * 1000);
  const out = resolve(values.out);
  const profiles = values.profile ? profileCount : undefined;

  const report = {
    generated: new Date().toISOString(),
    measures:
      'median ms of one evaluation of the sparse autoencoder cost J(θ) and its gradient, after one warm-up evaluation',
    options: {
      sizes: chosenSizes,
      impls: chosenImpls,
      envs: chosenEnvs,
      reps,
      boxMs,
      budgetMs,
      training: chosenTraining,
      chromiumTraining,
      trainingReps,
      trainingBoxMs,
      profiles: profiles ?? 0,
    },
    inputs: {
      hyperparameters,
      data: `uniform in [${dataLow}, ${dataHigh}] from Random(${dataSeed}), rounded to float32`,
      theta: `initializeParameters(shape, ${thetaSeed})`,
      costTolerance,
    },
    machine: {
      platform: `${platform()} ${release()}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      loadavgAtStart: loadavg(),
      loadavgAtEnd: [] as number[],
    },
    environments: {} as Record<string, unknown>,
    /** Per size: every implementation's cost against the float64 reference (one tfjs row suffices). */
    costChecks: [] as unknown[],
    rows: [] as BenchRow[],
    trainingMeasures:
      'train() on the GPU engine: its seconds and evaluations; lower bound = evaluations × the GPU pipeline\'s median evaluation ms on the same data and θ, measured in the same process or page; overhead = seconds / lower bound',
    trainingConfigs: Object.fromEntries(
      trainingNames.filter((n) => chosenTraining.includes(n) || chromiumTraining.includes(n)).map((n) => [n, trainingConfigs[n]]),
    ),
    trainingRows: [] as TrainingRow[],
  };
  const envAdapters: Partial<Record<EnvName, AdapterSummary | null>> = {};
  const referenceCosts = new Map<SizeName, number>();
  const save = (): void => {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  };
  const options: SuperviseOptions = { boxMs, idleMs: 600_000, log: (line) => log(`    ${line}`) };
  // The reference first, so every later cell of that size checks its cost against it.
  const order = (env: EnvName): ImplName[] =>
    (['cpu-reference', 'gpu', 'numpy', 'tfjs-cpu', 'tfjs-webgpu'] as ImplName[]).filter(
      (impl) => chosenImpls.includes(impl) && implsByEnv[env].includes(impl),
    );

  const runEnv = async (
    env: EnvName,
    runCell: (request: CellRequest) => Promise<CellOutcome>,
  ): Promise<void> => {
    for (const size of chosenSizes) {
      for (const impl of order(env)) {
        const s = sizes[size];
        log(`  ${env} · ${impl} · (${s.examples}, ${s.visibleSize}, ${s.hiddenSize})`);
        const outcome = await runCell({ impl, size, reps, boxMs, budgetMs, referenceCost: referenceCosts.get(size), profiles });
        if (outcome.kind === 'done' && outcome.result.referenceCost !== undefined && !referenceCosts.has(size)) {
          referenceCosts.set(size, outcome.result.referenceCost);
        }
        const row = toRow(impl, env, size, outcome, boxMs, envAdapters[env] ?? null);
        report.rows.push(row);
        save();
        log(`    → ${formatMs(row)}${row.reps ? ` (median of ${row.reps})` : ''}${row.error ? `: ${row.error.split('\n')[0]}` : ''}`);
        if (row.profile) log(indent(formatProfile(row.profile), '    '));
      }
    }
  };

  const runTraining = async (
    env: EnvName,
    names: readonly TrainingName[],
    runRow: (request: TrainingRequest) => Promise<TrainingOutcome<TrainingCellResult>>,
  ): Promise<void> => {
    for (const name of names) {
      const c = trainingConfigs[name];
      log(`  ${env} · training ${name} (${c.preset}, ${c.optimizer}, ${c.iterations} iterations)`);
      const loadStart = loadavg();
      const outcome = await runRow({ kind: 'training', name, reps: trainingReps, budgetMs });
      const row = toTrainingRow(name, env, trainingPaths[env], outcome, envAdapters[env] ?? null);
      row.loadavg = { start: loadStart, end: loadavg() };
      report.trainingRows.push(row);
      save();
      log(
        row.error
          ? `    → failed: ${row.error.split('\n')[0]}`
          : `    → ${row.trainingSeconds!.toFixed(1)} s, ${row.evaluations} evaluations × ${formatMilliseconds(row.evaluationMedianMs!)} = ` +
              `${row.lowerBoundSeconds!.toFixed(1)} s lower bound; overhead ${row.overhead?.toFixed(2)}×`,
      );
    }
  };
  const trainingOptions = { boxMs, idleMs: 600_000, totalMs: trainingBoxMs, log: (line: string) => log(`    ${line}`) };

  if (chosenEnvs.includes('node')) {
    const { probeNode, runNodeCell, runNodeTrainingRow } = await import('./node-env');
    log('Node: probing Dawn…');
    const node = await probeNode();
    envAdapters.node = node.adapter;
    report.environments.node = { versions: node.versions, adapter: node.adapter };
    save();
    log(`Node ${node.versions.node}, V8 ${node.versions.v8}; Dawn adapter: ${JSON.stringify(node.adapter)}`);
    await runEnv('node', (request) => runNodeCell(request, options));
    if (chosenTraining.length) await runTraining('node', chosenTraining, (request) => runNodeTrainingRow(request, trainingOptions));
  }

  const chromiumCells = chosenSizes.length > 0 && chosenImpls.some((impl) => implsByEnv.chromium.includes(impl));
  const chromiumRows = chromiumTraining.length > 0;
  if (chosenEnvs.includes('chromium') && (chromiumCells || chromiumRows)) {
    const { ChromiumBench } = await import('./chromium-env');
    log('Chromium: starting Vite and the browser…');
    const bench = await ChromiumBench.start((line) => log(`    ${line}`));
    try {
      const environment = await bench.environment();
      envAdapters.chromium = environment.adapter;
      report.environments.chromium = environment;
      save();
      log(`Chromium ${environment.browserVersion}; WebGPU adapter: ${JSON.stringify(environment.adapter)}`);
      await runEnv('chromium', (request) => bench.runCell(request, options));
      if (chromiumRows) await runTraining('chromium', chromiumTraining, (request) => bench.runTraining(request, trainingOptions));
      (report.environments.chromium as Record<string, unknown>).browserRelaunches = bench.relaunches;
    } finally {
      await bench.close();
    }
  }

  report.machine.loadavgAtEnd = loadavg();
  const checkLines: string[] = [];
  for (const size of chosenSizes) {
    const checked = report.rows.filter((r) => r.size === size && r.costCheck);
    const tfjs = checked.filter((r) => r.impl.startsWith('tfjs-'));
    report.costChecks.push({
      size,
      referenceCost: referenceCosts.get(size) ?? null,
      tfjsVerified: tfjs.length > 0 && tfjs.every((r) => r.costCheck!.ok),
      checks: checked.map((r) => ({ impl: r.impl, env: r.env, ...r.costCheck })),
    });
    const s = sizes[size];
    if (chosenImpls.some((impl) => impl.startsWith('tfjs-')) && chosenEnvs.includes('chromium')) {
      checkLines.push(
        tfjs.length === 0
          ? `tfjs cost at (${s.examples}, ${s.visibleSize}, ${s.hiddenSize}): NOT verified (no tfjs cell finished its first evaluation)`
          : `tfjs cost at (${s.examples}, ${s.visibleSize}, ${s.hiddenSize}) vs float64 reference: ${tfjs
              .map((r) => `${r.impl} ${r.costCheck!.ok ? 'ok' : 'MISMATCH'} (rel. ${r.costCheck!.relativeError.toExponential(1)})`)
              .join(', ')}`,
      );
    }
  }
  save();
  const implRank = (impl: ImplName): number => implNames.indexOf(impl);
  const sorted = [...report.rows].sort(
    (a, b) =>
      envNames.indexOf(a.env) - envNames.indexOf(b.env) ||
      sizeNames.indexOf(a.size) - sizeNames.indexOf(b.size) ||
      implRank(a.impl) - implRank(b.impl),
  );
  log(formatTable(sorted, envAdapters));
  if (report.trainingRows.length) log(formatTrainingTable(report.trainingRows, envAdapters));
  if (chosenEnvs.includes('chromium') && !chromiumTraining.includes('mnist')) {
    log('\n(the MNIST training row in Chromium takes 7-12 minutes on SwiftShader: --chromium-training natural,mnist)');
  }
  if (checkLines.length) log(`\n${checkLines.join('\n')}`);
  log(`\nWrote ${out}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
