/**
 * The benchmark page (e2e/pages/bench.html), driven by bench/run.ts through Playwright:
 *
 *   window.benchAdapter()      → navigator.gpu's adapter (src/gpu/adapter.ts's summary)
 *   window.benchCell(request)  → one cell (implementation × size): timings, cost check
 *
 * While a cell runs it calls window.benchReport(event) — a binding the runner exposes — before
 * and after each evaluation, so the runner can enforce the time box from outside the page.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { runCell, type EvaluatorFactory } from '../../bench/cell';
import type { AdapterSummary, CellEvent, CellRequest, CellResult } from '../../bench/config';
import { browserGpuContext, gpuEvaluator } from '../../bench/impls/gpu';
import { referenceEvaluator } from '../../bench/impls/reference';
import { tfjsEvaluator } from '../../bench/impls/tfjs';
import { summarizeAdapter } from '../../src/gpu/adapter';

declare global {
  interface Window {
    benchReady?: boolean;
    benchAdapter(): Promise<AdapterSummary | null>;
    benchCell(request: CellRequest): Promise<CellResult>;
    benchReport?: (event: CellEvent) => Promise<void>;
  }
}

const out = document.getElementById('out')!;

const factory: EvaluatorFactory = async (impl, inputs) => {
  switch (impl) {
    case 'cpu-reference':
      return referenceEvaluator(inputs);
    case 'gpu':
      return gpuEvaluator(inputs, browserGpuContext);
    case 'tfjs-cpu':
      return tfjsEvaluator('cpu', inputs);
    case 'tfjs-webgpu': {
      const evaluator = await tfjsEvaluator('webgpu', inputs);
      // The adapter tfjs asked for itself (the same request: no options but its power preference).
      return { ...evaluator, adapter: await window.benchAdapter() };
    }
    case 'numpy':
      throw new Error('numpy runs in Node only');
  }
};

window.benchAdapter = async () => {
  const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
  return adapter ? summarizeAdapter(adapter) : null;
};

window.benchCell = async (request) => {
  out.textContent = `running ${request.impl} at ${request.size}…`;
  const result = await runCell(request, factory, async (event) => {
    await window.benchReport?.(event);
  });
  out.textContent = JSON.stringify(result, null, 2);
  return result;
};

window.benchReady = true;
out.textContent = 'ready';
