/**
 * The benchmark page: any visitor's GPU, measured as `npm run bench` measures ours (ms per
 * evaluation at both sizes, GFLOP/s, training rows beside their lower bound, the kernels tuned on
 * the adapter), and a button that copies the results as JSON to report them. The worker
 * (./worker.ts) does the GPU work; the state (./state.ts) is a reducer; ./views.ts draws it.
 * Query parameters (tests, slow machines): ?sizes=small:200x16x8&reps=2&iters=3&tune=300.
 */
import type { FromBenchWorker } from './protocol';
import { initialState, reduce, requestFromQuery, resultsJson, type BenchState } from './state';
import { render } from './views';

const request = requestFromQuery(new URLSearchParams(location.search));
let state: BenchState = initialState;
/** For tests and the curious: window.benchPage. */
Object.defineProperty(window, 'benchPage', { get: () => ({ state, json: resultsJson(state, request, navigator.userAgent) }), configurable: true });

function dispatch(message: FromBenchWorker): void {
  state = reduce(state, message);
  render(state);
}

const copy = document.getElementById('copy-json') as HTMLButtonElement;
const copied = document.getElementById('copy-status')!;
copy.addEventListener('click', async () => {
  const json = resultsJson(state, request, navigator.userAgent);
  try {
    await navigator.clipboard.writeText(json);
    copied.textContent = 'copied';
  } catch {
    // No clipboard permission: show the JSON to copy by hand.
    copied.textContent = 'the browser refused the clipboard: select the text below';
  }
  const box = document.getElementById('json-box') as HTMLTextAreaElement;
  box.value = json;
  box.hidden = false;
});

render(state);
if (!('gpu' in navigator) || !navigator.gpu) {
  dispatch({ type: 'error', message: 'this browser does not offer WebGPU (navigator.gpu is missing)' });
} else {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'bench' });
  worker.onmessage = (event: MessageEvent<FromBenchWorker>) => dispatch(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    dispatch({ type: 'error', message: `the worker failed: ${event.message || 'unknown error'}` });
  };
  worker.postMessage(request);
}
