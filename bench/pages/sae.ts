/**
 * The SAE benchmark's page (bench/pages/sae.html), driven by bench/sae.ts through Playwright:
 *
 *   window.benchSae(request) → one cell of bench/sae-rows.ts: the project's TopK training step on
 *   navigator.gpu, or the same recipe with TensorFlow.js (webgpu or cpu backend)
 *
 * On the page's main thread: the cells time GPU work and TF.js's own scheduling, which a worker
 * would not change. Each cell gets a fresh page from the runner.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { createGpuContext } from '../../src/gpu/device';
import { describeAdapter } from '../../src/train/gpu-engine';
import { runSaeCell, type SaeCellRequest, type SaeCellResult } from '../sae-rows';

declare global {
  interface Window {
    benchReady?: boolean;
    benchSae(request: SaeCellRequest): Promise<SaeCellResult>;
  }
}

const out = document.getElementById('out')!;

window.benchSae = async (request) => {
  out.textContent = `${request.impl} ${request.size}…`;
  const ctx = await createGpuContext(navigator.gpu, { environment: 'browser' });
  try {
    const adapter = describeAdapter(ctx);
    return await runSaeCell(request, { ctx: request.impl === 'gpu' ? ctx : undefined, adapter }, (text) => {
      out.textContent = text;
      // The runner reads progress from the console: a page busy in a step answers no evaluate().
      console.log(`bench-sae: ${text}`);
    });
  } finally {
    ctx.destroy();
  }
};

out.textContent = 'ready';
window.benchReady = true;
