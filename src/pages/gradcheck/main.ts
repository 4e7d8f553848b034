/**
 * The gradient-check page: runs ./worker.ts, and every message it sends goes through the
 * reducer (./state.ts); the views (./views.ts) tabulate the new state. Query parameters set the
 * sizes: ?hidden=5&examples=10 (numerical check), ?gpuExamples=10000&gpuHidden=25&seed=1.
 */
import { adapterLabel } from '../../gpu/adapter';
import { probeWebGpu } from '../common/webgpu';
import { initialState, reduce, summary, type GradcheckState } from './state';
import { GradcheckViews } from './views';
import type { CheckMessage, CheckRequest } from './worker';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const query = new URLSearchParams(location.search);
const int = (name: string, fallback: number, min = 1) => {
  const v = Number(query.get(name));
  return query.has(name) && Number.isInteger(v) && v >= min ? v : fallback;
};

let state: GradcheckState = initialState;
const views = new GradcheckViews();
/** What tests (and curious people) can read: window.gradcheck. */
Object.defineProperty(window, 'gradcheck', { get: () => summary(state), configurable: true });

function dispatch(message: CheckMessage): void {
  state = reduce(state, message);
  views.render(state);
}

async function main(): Promise<void> {
  const status = await probeWebGpu();
  const adapter = $('adapter');
  if (status.available) {
    adapter.dataset.kind = 'gpu';
    $('adapter-text').textContent = `WebGPU · ${adapterLabel(status.adapter)}`;
  } else {
    adapter.dataset.kind = 'cpu';
    $('adapter-text').textContent = 'No WebGPU · float64 reference only';
  }
  const seed = int('seed', 1, -2_147_483_648);
  const request: CheckRequest = {
    type: 'run',
    numeric: { hiddenSize: int('hidden', 5), examples: int('examples', 10), patchSize: int('patchSize', 8, 2), seed },
    gpu: status.available ? { hiddenSize: int('gpuHidden', 25), examples: int('gpuExamples', 10_000), seed } : undefined,
  };
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'gradcheck' });
  worker.onmessage = (event: MessageEvent<CheckMessage>) => dispatch(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    dispatch({ type: 'error', message: `the worker failed: ${event.message || 'unknown error'}` });
  };
  worker.postMessage(request);
}

void main();
