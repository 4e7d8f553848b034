/**
 * `npm run bench:sae`: TopK SAE training steps per second (GitHub issue 18, item 7) of the
 * project's GPU step beside the same recipe in TensorFlow.js, in Node (Dawn) and headless
 * Chromium, in the same run; and, with --profile, where a step's time goes on this adapter: the
 * row-wise top-k kernels (main and AuxK's masked one), both variants, timed alone. See
 * bench/README.md ("SAE training steps").
 */
import { mkdirSync, writeFileSync } from 'node:fs';
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
          const result = await runSaeCell(request, { ctx: impl === 'gpu' ? ctx : undefined, adapter }, log);
          rows.push(withCheck({ ...result, env: 'node' }));
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
        page.on('console', (message) => {
          if (message.type() === 'error' || message.type() === 'warning') log(`page ${message.type()}: ${message.text()}`);
        });
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
          await page.goto(url, { timeout: 300_000 });
          await page.waitForFunction(() => window.benchReady === true, undefined, { timeout: 300_000 });
          // A step can't be stopped from inside: past the budget and ten minutes more, give up on the page.
          const limit = cellOptions.budgetMs + 600_000;
          const result = await Promise.race([
            page.evaluate((req) => window.benchSae(req), request),
            new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${limit / 1000} s`)), limit))),
          ]);
          rows.push(withCheck({ ...result, env: 'chromium' }));
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
