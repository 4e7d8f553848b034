/**
 * npm run bench:conv — convolution and pooling on this machine's adapters.
 *
 * 1. (Node) The two ways of convolving F features over the digits (28×28, 8×8 features): the
 *    direct kernel (shaders/convolve.wgsl) and im2col + the project's matmul with its sigmoid
 *    epilogue. Median of 3 submissions after a warm-up, each waited for.
 * 2. (Node and headless Chromium) The whole convolution-and-pooling stage as
 *    `classify --task conv` runs it, in images per second beside its float64 twin, at
 *    cnnExercise's size and the digits' (bench/conv-stages.ts).
 *
 *   npm run bench:conv -- [--env node,chromium]
 */
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { chromiumArgs, chromiumExecutable } from '../playwright.config';
import { timeConvolutions } from '../src/gpu/conv-checks';
import { createNodeGpuContext } from '../src/gpu/node';
import { describeAdapter } from '../src/train/gpu-engine';
import { describeConvStage, timeConvStages } from './conv-stages';

const { values } = parseArgs({ options: { env: { type: 'string', default: 'node,chromium' } } });
const envs = values.env!.split(',').map((s) => s.trim());
for (const env of envs) if (env !== 'node' && env !== 'chromium') throw new Error(`--env: unknown "${env}" (expected node, chromium)`);

if (envs.includes('node')) {
  const ctx = await createNodeGpuContext();
  try {
    console.log(`Node, Dawn: ${describeAdapter(ctx)}`);
    for (const [images, features] of [
      [50, 400],
      [200, 100],
    ]) {
      const t = await timeConvolutions(ctx, { images, channels: 1, imageDim: 28, features, patchDim: 8 }, 3);
      console.log(`${images} digits × ${features} features: direct ${t.directMs.toFixed(1)} ms, im2col + matmul ${t.im2colMatmulMs.toFixed(1)} ms (im2col + matmul takes ${(t.im2colMatmulMs / t.directMs).toFixed(2)} of the direct time)`);
    }
    await timeConvStages(ctx, console.log);
  } finally {
    ctx.destroy();
  }
}

if (envs.includes('chromium')) {
  // The system's headless Chromium (WebGPU on SwiftShader), bench/pages/conv.html from Vite.
  const server = await createServer({
    root: process.cwd(),
    configFile: false,
    logLevel: 'warn',
    clearScreen: false,
    cacheDir: 'node_modules/.vite-bench-conv',
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    optimizeDeps: { entries: ['bench/pages/conv.html'] },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('the Vite server has no TCP address');
  const browser = await chromium.launch({ executablePath: chromiumExecutable, args: chromiumArgs });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.log(`page error: ${error.message}`));
    await page.goto(`http://127.0.0.1:${address.port}/bench/pages/conv.html`, { timeout: 300_000 });
    await page.waitForFunction(() => window.benchReady === true, undefined, { timeout: 300_000 });
    const { adapter, rows } = await page.evaluate(() => window.benchConv());
    console.log(`Chromium ${browser.version()}: ${adapter}`);
    for (const row of rows) console.log(describeConvStage(row));
  } finally {
    await browser.close();
    await server.close();
  }
}
