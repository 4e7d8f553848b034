/**
 * npm run bench — the median time of one cost+gradient evaluation of the sparse autoencoder,
 * after warm-up, for this project's GPU pipeline, the float64 CPU reference, and TensorFlow.js
 * (webgpu and cpu backends) computing the same cost; in Node (Dawn) and in headless Chromium.
 * See bench/README.md.
 *
 *   npm run bench -- [--sizes small,large] [--impl gpu,cpu-reference,tfjs-webgpu,tfjs-cpu]
 *                    [--env node,chromium] [--reps 5] [--box-seconds 60] [--budget-seconds 60]
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
import type { CellOutcome, SuperviseOptions } from './supervise';
import { formatMs, formatTable, toRow } from './report';

const usage = `Usage: npm run bench -- [options]
  --sizes LIST          small (10000, 64, 25), large (10000, 784, 196)   [small,large]
  --impl LIST           ${implNames.join(', ')}   [all]
  --env LIST            node, chromium   [node,chromium]
  --reps N              timed evaluations after the warm-up, at most   [5]
  --box-seconds S       one evaluation longer than this is "over the box"   [60]
  --budget-seconds S    fewer repetitions once a cell would pass this   [60]
  --out FILE            [bench-results/bench.json]`;

function list<T extends string>(value: string, allowed: readonly T[], flag: string): T[] {
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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: sizeNames.join(',') },
      impl: { type: 'string', default: implNames.join(',') },
      env: { type: 'string', default: envNames.join(',') },
      reps: { type: 'string', default: '5' },
      'box-seconds': { type: 'string', default: '60' },
      'budget-seconds': { type: 'string', default: '60' },
      out: { type: 'string', default: 'bench-results/bench.json' },
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
  const out = resolve(values.out);

  const report = {
    generated: new Date().toISOString(),
    measures:
      'median ms of one evaluation of the sparse autoencoder cost J(θ) and its gradient, after one warm-up evaluation',
    options: { sizes: chosenSizes, impls: chosenImpls, envs: chosenEnvs, reps, boxMs, budgetMs },
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
    (['cpu-reference', 'gpu', 'tfjs-cpu', 'tfjs-webgpu'] as ImplName[]).filter(
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
        const outcome = await runCell({ impl, size, reps, boxMs, budgetMs, referenceCost: referenceCosts.get(size) });
        if (outcome.kind === 'done' && outcome.result.referenceCost !== undefined && !referenceCosts.has(size)) {
          referenceCosts.set(size, outcome.result.referenceCost);
        }
        const row = toRow(impl, env, size, outcome, boxMs, envAdapters[env] ?? null);
        report.rows.push(row);
        save();
        log(`    → ${formatMs(row)}${row.reps ? ` (median of ${row.reps})` : ''}${row.error ? `: ${row.error.split('\n')[0]}` : ''}`);
      }
    }
  };

  if (chosenEnvs.includes('node')) {
    const { probeNode, runNodeCell } = await import('./node-env');
    log('Node: probing Dawn…');
    const node = await probeNode();
    envAdapters.node = node.adapter;
    report.environments.node = { versions: node.versions, adapter: node.adapter };
    save();
    log(`Node ${node.versions.node}, V8 ${node.versions.v8}; Dawn adapter: ${JSON.stringify(node.adapter)}`);
    await runEnv('node', (request) => runNodeCell(request, options));
  }

  if (chosenEnvs.includes('chromium')) {
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
