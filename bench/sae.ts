/**
 * `npm run bench:sae`: TopK SAE training steps per second (GitHub issue 18, item 7) of the
 * project's GPU step beside the same recipe in TensorFlow.js, in Node (Dawn) and headless
 * Chromium, in the same run; and, with --profile, where a step's time goes on this adapter: the
 * row-wise top-k kernels (main and AuxK's masked one), both variants, timed alone. See
 * bench/README.md ("SAE training steps").
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser } from '@playwright/test';
import { createServer } from 'vite';
import { create } from 'webgpu';
import { chromiumArgs, chromiumExecutable } from '../playwright.config';
import { chooseKernelConfig } from '../src/gpu/adapter';
import { createNodeGpuContext } from '../src/gpu/node';
import type { GpuContext } from '../src/gpu/device';
import { createStorageBuffer, runPrograms } from '../src/gpu/runtime';
import { topKProgram, topKVariantFor, type TopKVariant } from '../src/gpu/sae-programs';
import { describeAdapter } from '../src/train/gpu-engine';
import { Random } from '../src/random';
import { median } from './config';
import { referenceFirstReconstruction, runSaeCell, saeImpls, saeSizeNames, saeSizes, type SaeCellRequest, type SaeCellResult, type SaeImpl, type SaeSizeName } from './sae-rows';

const { values: args } = parseArgs({
  options: {
    env: { type: 'string', default: 'node,chromium' },
    sizes: { type: 'string', default: 'small,large' },
    impl: { type: 'string', default: saeImpls.join(',') },
    'steps-per-group': { type: 'string', default: '10' },
    groups: { type: 'string', default: '5' },
    'budget-seconds': { type: 'string', default: '120' },
    profile: { type: 'boolean', default: false },
    // Node cells run in a child process each, stopped past the budget; --in-process runs them here (unbounded).
    'in-process': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-results/sae.json' },
  },
});

const list = <T extends string>(value: string, allowed: readonly T[], flag: string): T[] => {
  if (value === 'none') return [];
  const items = value.split(',').filter(Boolean) as T[];
  for (const item of items) if (!allowed.includes(item)) throw new RangeError(`${flag}: '${item}' is not one of ${allowed.join(', ')}`);
  return items;
};
const envs = list(args.env!, ['node', 'chromium'] as const, '--env');
const sizes = list(args.sizes!, saeSizeNames, '--sizes');
const impls = list(args.impl!, saeImpls, '--impl');
const cellOptions = { stepsPerGroup: Number(args['steps-per-group']), groups: Number(args.groups), budgetMs: Number(args['budget-seconds']) * 1000 };
const log = (line: string) => console.log(line);

interface Row extends SaeCellResult {
  env: 'node' | 'chromium';
  check?: { reconstruction: number; reference: number; relativeError: number; tolerance: number; ok: boolean };
  failed?: string;
  /** Stopped past the budget: how long its first step had run by then, a measured lower bound. */
  unfinished?: { firstStepOverMs: number; budgetMs: number };
}

/** What a runner saw of a cell's progress lines (runSaeCell's onStep). */
class CellProgress {
  setupSeenAt: number | null = null;
  firstStepMs: number | null = null;
  samplesMs: number[] = [];
  read(line: string): void {
    if (/: setup \d+ ms$/.test(line)) this.setupSeenAt = performance.now();
    const first = /: first step (\d+) ms$/.exec(line);
    if (first) this.firstStepMs = Number(first[1]);
    const sample = /: ([\d.]+) ms a step$/.exec(line);
    if (sample) this.samplesMs.push(Number(sample[1]));
  }
}

/**
 * A cell stopped at `limitMs`: in its first step, the time since its setup mark (a measured lower
 * bound); past it, the steps it finished; before it, a failure.
 */
function stoppedRow(request: SaeCellRequest, env: Row['env'], adapter: string, progress: CellProgress, limitMs: number): Row {
  const row = { ...emptyRow(request, adapter), env };
  if (progress.setupSeenAt === null) return { ...row, failed: `no first step started within ${(limitMs / 1000).toFixed(0)} s (setup)` };
  if (progress.firstStepMs === null) return { ...row, unfinished: { firstStepOverMs: performance.now() - progress.setupSeenAt, budgetMs: cellOptions.budgetMs } };
  const samplesMs = progress.samplesMs;
  const medianMs = samplesMs.length > 0 ? median(samplesMs) : null;
  return { ...row, firstStepMs: progress.firstStepMs, samplesMs, medianMsPerStep: medianMs, stepsPerSecond: medianMs ? 1000 / medianMs : null, notes: ['stopped in a group past the budget; L_rec not read'] };
}

/** Past the budget, a cell gets this long to finish its step in flight before it is stopped. */
const GRACE_MS = 30_000;

/** One Node cell in a child process (this script, --in-process), stopped past the budget. */
async function nodeCellIsolated(request: SaeCellRequest, adapter: string): Promise<Row> {
  const out = `${args.out}.cell-${request.size}-${request.impl}.json`;
  const child = spawn(
    process.execPath,
    [process.argv[1], '--in-process', '--env', 'node', '--sizes', request.size, '--impl', request.impl, '--steps-per-group', String(request.stepsPerGroup), '--groups', String(request.groups), '--budget-seconds', String(request.budgetMs / 1000), '--out', out],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const progress = new CellProgress();
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      progress.read(line);
      if (line.trim() && !line.startsWith('|') && !line.startsWith('written:')) log(`  [cell] ${line}`);
    }
  });
  const limitMs = request.budgetMs + GRACE_MS;
  const started = performance.now();
  const code = await new Promise<number | 'stopped'>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('stopped');
    }, limitMs);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c ?? 1);
    });
  });
  try {
    if (code === 'stopped') return stoppedRow(request, 'node', adapter, progress, performance.now() - started);
    const saved = JSON.parse(readFileSync(out, 'utf8')) as { rows: Row[] };
    if (saved.rows.length !== 1) throw new Error(`the cell's process wrote ${saved.rows.length} rows`);
    return saved.rows[0];
  } catch (error) {
    return { ...emptyRow(request, adapter), env: 'node', failed: `the cell's process (exit ${code}): ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    rmSync(out, { force: true });
  }
}

const rows: Row[] = [];
const profiles: unknown[] = [];
const references = new Map<SaeSizeName, number>();
const environments: Record<string, unknown> = {};

function save(): void {
  mkdirSync(dirname(args.out!), { recursive: true });
  writeFileSync(args.out!, JSON.stringify({ options: { envs, sizes, impls, ...cellOptions }, environments, references: Object.fromEntries(references), rows, profiles }, null, 2));
}

/** The first step's L_rec against the float64 twin's at θ₀ on the same batch (relative 1e-4, as the bench's costCheck). */
function withCheck(row: Row): Row {
  let reference = references.get(row.size);
  if (reference === undefined) {
    reference = referenceFirstReconstruction(row.size);
    references.set(row.size, reference);
  }
  const relativeError = Math.abs(row.firstReconstruction - reference) / Math.abs(reference);
  return { ...row, check: { reconstruction: row.firstReconstruction, reference, relativeError, tolerance: 1e-4, ok: relativeError <= 1e-4 } };
}

// ---------------------------------------------------------------------------------------------
// Node: every cell in this process, on Dawn; TF.js webgpu on a second Dawn instance.

/** TF.js's webgpu backend reads navigator.gpu: give it Dawn's. */
async function installTfjsWebgpuInNode(): Promise<string | undefined> {
  try {
    const gpu = create([]);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true, writable: true });
    await import('@tensorflow/tfjs-backend-webgpu');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

async function nodeRows(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
  const webgpuProblem = impls.includes('tfjs-webgpu') ? await installTfjsWebgpuInNode() : undefined;
  const ctx = await createNodeGpuContext({ environment: 'node' });
  const adapter = describeAdapter(ctx);
  environments.node = { versions: process.versions, adapter, topKVariant: topKVariantFor(chooseKernelConfig(ctx.adapterInfo)) };
  log(`Node ${process.version}, ${adapter}`);
  try {
    for (const size of sizes) {
      if (args.profile) profiles.push(await profileTopK(ctx, size));
      for (const impl of impls) {
        const request: SaeCellRequest = { size, impl, ...cellOptions };
        if (impl === 'tfjs-webgpu' && webgpuProblem) {
          rows.push({ ...emptyRow(request, adapter), env: 'node', failed: `TF.js webgpu could not start on Dawn: ${webgpuProblem}` });
          continue;
        }
        try {
          if (!args['in-process']) {
            rows.push(await nodeCellIsolated(request, adapter));
          } else {
            const result = await runSaeCell(request, { ctx: impl === 'gpu' ? ctx : undefined, adapter }, log);
            rows.push(withCheck({ ...result, env: 'node' }));
          }
        } catch (error) {
          rows.push({ ...emptyRow(request, adapter), env: 'node', failed: error instanceof Error ? error.message : String(error) });
        }
        log(describeRow(rows[rows.length - 1]));
        save();
      }
    }
  } finally {
    ctx.destroy();
  }
}

function emptyRow(request: SaeCellRequest, adapter: string): SaeCellResult {
  const z = saeSizes[request.size];
  return {
    impl: request.impl,
    size: request.size,
    shape: { inputs: z.inputs, latents: z.latents, k: z.k, batch: z.batch, auxK: Math.floor(z.inputs / 2) },
    firstStepMs: NaN,
    firstReconstruction: NaN,
    samplesMs: [],
    medianMsPerStep: null,
    stepsPerSecond: null,
    stepsPerGroup: request.stepsPerGroup,
    setupMs: NaN,
    adapter,
    notes: [],
  };
}

/**
 * The row-wise top-k alone at a size's (batch, latents): the main selection (k) and AuxK's masked
 * one (kAux = d/2, half the latents eligible), each kernel variant, `reps` dispatches in one
 * submission after a warm-up (pipeline compilation), median of three.
 */
async function profileTopK(ctx: GpuContext, size: SaeSizeName): Promise<Record<string, unknown>> {
  const z = saeSizes[size];
  const ld = Math.ceil(z.latents / 4) * 4;
  const rng = new Random(3);
  const device = ctx.device;
  const zBuffer = createStorageBuffer(device, z.batch * ld * 4, 'z');
  device.queue.writeBuffer(zBuffer, 0, Float32Array.from({ length: z.batch * ld }, () => rng.normal()));
  const eligible = createStorageBuffer(device, z.latents * 4, 'eligible');
  device.queue.writeBuffer(eligible, 0, Uint32Array.from({ length: z.latents }, (_, i) => i % 2));
  const spare = [createStorageBuffer(device, 16, 'indices'), createStorageBuffer(device, 16, 'values')];
  const result: Record<string, unknown> = { size, rows: z.batch, latents: z.latents, k: z.k, kAux: Math.floor(z.inputs / 2), adapter: describeAdapter(ctx), msPerDispatch: {} };
  try {
    for (const variant of ['thread', 'workgroup'] as TopKVariant[]) {
      for (const masked of [false, true]) {
        const program = topKProgram({ rows: z.batch, cols: z.latents, ld, k: masked ? Math.floor(z.inputs / 2) : z.k, masked, variant });
        const buffers = { z: zBuffer, indices: spare[0], values: spare[1], eligible };
        await runPrograms(ctx, [{ program, buffers }]);
        const t0 = performance.now();
        await runPrograms(ctx, [{ program, buffers }]);
        const once = performance.now() - t0;
        const reps = Math.max(1, Math.min(20, Math.floor(3000 / Math.max(once, 1))));
        const samples: number[] = [];
        for (let trial = 0; trial < 3; trial++) {
          const t = performance.now();
          await runPrograms(ctx, Array.from({ length: reps }, () => ({ program, buffers })));
          samples.push((performance.now() - t) / reps);
        }
        const ms = median(samples);
        (result.msPerDispatch as Record<string, number>)[`${variant}${masked ? ', masked (AuxK)' : ''}`] = ms;
        log(`profile ${size}: top-k ${variant} per row${masked ? ', masked' : ''}: ${ms.toFixed(2)} ms a dispatch (${reps} per submission)`);
      }
    }
  } finally {
    for (const b of [zBuffer, eligible, ...spare]) b.destroy();
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Chromium: the system's, headless, WebGPU on SwiftShader; bench/pages/sae.html from Vite.

async function chromiumRows(): Promise<void> {
  // The repository (npm runs the command there; bench/sae-bundle.mjs runs the bundle there too).
  const root = process.cwd();
  const server = await createServer({
    root,
    configFile: false,
    logLevel: 'warn',
    clearScreen: false,
    cacheDir: 'node_modules/.vite-bench-sae',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    optimizeDeps: { entries: ['bench/pages/sae.html'], include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgpu'] },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('the Vite server has no TCP address');
  const url = `http://127.0.0.1:${address.port}/bench/pages/sae.html`;
  let browser: Browser = await chromium.launch({ executablePath: chromiumExecutable, args: chromiumArgs });
  environments.chromium = { version: browser.version(), executable: chromiumExecutable, args: chromiumArgs };
  try {
    for (const size of sizes) {
      for (const impl of impls) {
        const request: SaeCellRequest = { size, impl, ...cellOptions };
        const page = await browser.newPage();
        page.on('pageerror', (error) => log(`page error: ${error.message}`));
        const progress = new CellProgress();
        page.on('console', (message) => {
          if (message.type() === 'error' || message.type() === 'warning') log(`page ${message.type()}: ${message.text()}`);
          if (message.type() === 'log' && message.text().startsWith('bench-sae: ')) {
            progress.read(message.text());
            log(`  [page] ${message.text().slice('bench-sae: '.length)}`);
          }
        });
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
          await page.goto(url, { timeout: 300_000 });
          await page.waitForFunction(() => window.benchReady === true, undefined, { timeout: 300_000 });
          // A step can't be stopped from inside: past the budget and a grace, the page is closed.
          const limit = cellOptions.budgetMs + GRACE_MS;
          const started = performance.now();
          const result = await Promise.race([
            page.evaluate((req) => window.benchSae(req), request),
            new Promise<'stopped'>((resolve) => (timer = setTimeout(() => resolve('stopped'), limit))),
          ]);
          if (result === 'stopped') {
            rows.push(stoppedRow(request, 'chromium', 'SwiftShader', progress, performance.now() - started));
            await browser.close().catch(() => {});
            browser = await chromium.launch({ executablePath: chromiumExecutable, args: chromiumArgs });
          } else {
            rows.push(withCheck({ ...result, env: 'chromium' }));
          }
        } catch (error) {
          rows.push({ ...emptyRow(request, 'SwiftShader'), env: 'chromium', failed: error instanceof Error ? error.message : String(error) });
          await browser.close().catch(() => {});
          browser = await chromium.launch({ executablePath: chromiumExecutable, args: chromiumArgs });
        } finally {
          clearTimeout(timer);
          await page.close().catch(() => {});
        }
        log(describeRow(rows[rows.length - 1]));
        save();
      }
    }
  } finally {
    await browser.close().catch(() => {});
    await server.close();
  }
}

// ---------------------------------------------------------------------------------------------

function describeRow(row: Row): string {
  const what = `${row.env} ${row.impl} ${row.size}`;
  if (row.failed) return `${what}: failed: ${row.failed}`;
  if (row.unfinished) return `${what}: > ${(row.unfinished.firstStepOverMs / 1000).toFixed(0)} s for its first step, did not finish (stopped at the ${row.unfinished.budgetMs / 1000} s budget + ${GRACE_MS / 1000} s)`;
  const median = row.medianMsPerStep === null ? `only the first step (${row.firstStepMs.toFixed(0)} ms) within the budget` : `${row.medianMsPerStep.toFixed(1)} ms a step, ${row.stepsPerSecond!.toFixed(2)} steps/s`;
  return `${what}: ${median}; first step L_rec ${row.firstReconstruction.toPrecision(6)} vs float64 ${row.check?.reference.toPrecision(6)} (${row.check?.ok ? 'ok' : 'MISMATCH'}, relative ${row.check?.relativeError.toExponential(1)})`;
}

function printTables(): void {
  for (const env of envs) {
    for (const size of sizes) {
      const cells = rows.filter((r) => r.env === env && r.size === size);
      if (cells.length === 0) continue;
      const z = saeSizes[size];
      const gpu = cells.find((r) => r.impl === 'gpu');
      log(`\n${env}, (inputs, latents, k, batch) = (${z.inputs}, ${z.latents}, ${z.k}, ${z.batch}), AuxK kAux ${Math.floor(z.inputs / 2)}; ${cells[0].adapter}`);
      log('| impl | ms a step (median) | steps/s | gpu steps/s ÷ this | first step ms | first L_rec check |');
      log('| --- | --- | --- | --- | --- | --- |');
      for (const r of cells) {
        const ms = r.medianMsPerStep ?? (Number.isFinite(r.firstStepMs) ? r.firstStepMs : null);
        const mark = r.medianMsPerStep === null && ms !== null ? ' (first step only)' : '';
        const gpuMs = gpu?.medianMsPerStep ?? gpu?.firstStepMs;
        const ratio = r.impl !== 'gpu' && ms !== null && gpuMs ? `${(ms / gpuMs).toFixed(1)}×` : '';
        if (r.unfinished) {
          const over = r.unfinished.firstStepOverMs;
          log(`| ${r.impl} | > ${over.toFixed(0)}: first step did not finish | < ${(1000 / over).toFixed(4)} | ${gpuMs ? `> ${(over / gpuMs).toFixed(0)}×` : ''} | > ${over.toFixed(0)} | — |`);
          continue;
        }
        log(`| ${r.impl} | ${r.failed ? `failed: ${r.failed}` : ms === null ? '—' : ms.toFixed(1) + mark} | ${ms ? (1000 / ms).toFixed(3) : '—'} | ${ratio} | ${Number.isFinite(r.firstStepMs) ? r.firstStepMs.toFixed(0) : '—'} | ${r.check ? `${r.check.ok ? 'ok' : 'MISMATCH'} (${r.check.relativeError.toExponential(1)})` : '—'} |`);
      }
    }
  }
}

if (envs.includes('node')) await nodeRows();
if (envs.includes('chromium')) await chromiumRows();
save();
printTables();
log(`\nwritten: ${args.out}`);
process.exit(rows.some((r) => r.check && !r.check.ok) ? 1 : 0);

export type { SaeImpl };
