/**
 * The convolution benchmark's page (bench/pages/conv.html), driven by bench/conv.ts through
 * Playwright: window.benchConv() times the convolution-and-pooling stage (bench/conv-stages.ts)
 * on navigator.gpu, on the page's main thread as the classification page's worker would.
 */
import { createGpuContext } from '../../src/gpu/device';
import { describeAdapter } from '../../src/train/gpu-engine';
import { timeConvStages, type ConvStageRow } from '../conv-stages';

declare global {
  interface Window {
    benchReady?: boolean;
    benchConv(): Promise<{ adapter: string; rows: ConvStageRow[] }>;
  }
}

const out = document.getElementById('out')!;

window.benchConv = async () => {
  const ctx = await createGpuContext(navigator.gpu, { environment: 'browser' });
  try {
    const rows = await timeConvStages(ctx, (line) => (out.textContent += `\n${line}`));
    return { adapter: describeAdapter(ctx), rows };
  } finally {
    ctx.destroy();
  }
};

out.textContent = 'ready';
window.benchReady = true;
