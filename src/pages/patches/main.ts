/**
 * The patches page: UFLDL's Step 1 picture (200 random normalized patches, display_network)
 * and the whitened images they were cut from, with the patches' places marked. The parts, wired
 * together here: the worker that whitens and samples (./worker.ts), the page's state (./state.ts,
 * a pure reducer every worker message and page event goes through), and the views that draw it
 * (./views.ts). A new request in the state is sent to the worker here. Query parameters fill the
 * form: ?patches=10000&patchSize=8&seed=1.
 */
import { initialState, reduce, summary, type Fields, type Message, type PatchesState } from './state';
import { PatchesViews } from './views';
import type { PatchesMessage } from './worker';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const inputs = { patches: $<HTMLInputElement>('patches'), patchSize: $<HTMLInputElement>('patchSize'), seed: $<HTMLInputElement>('seed') };
const canvas = $<HTMLCanvasElement>('patches-canvas');

const query = new URLSearchParams(location.search);
for (const [name, input] of Object.entries(inputs)) {
  const value = query.get(name);
  if (value !== null && value.trim() !== '' && Number.isFinite(Number(value))) input.value = value;
}
const fields = (): Fields => ({ patches: inputs.patches.value, patchSize: inputs.patchSize.value, seed: inputs.seed.value });

let state: PatchesState = initialState;
const views = new PatchesViews();
/** What tests (and curious people) can read: window.patchesPage. */
Object.defineProperty(window, 'patchesPage', { get: () => summary(state), configurable: true });

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'patches' });
worker.onmessage = (event: MessageEvent<PatchesMessage>) => dispatch(event.data);
worker.onerror = (event) => {
  event.preventDefault();
  dispatch({ type: 'error', message: `the worker failed: ${event.message || 'unknown error'}` });
};

function dispatch(message: Message): void {
  const before = state;
  state = reduce(state, message);
  if (state.request && state.request !== before.request) worker.postMessage(state.request);
  views.render(state);
}

canvas.addEventListener('mousemove', (event) => {
  const rect = canvas.getBoundingClientRect();
  if (rect.width === 0 || rect.height === 0) return;
  dispatch({ type: 'hover', x: (event.clientX - rect.left) / rect.width, y: (event.clientY - rect.top) / rect.height });
});
canvas.addEventListener('mouseleave', () => dispatch({ type: 'leave' }));
$<HTMLFormElement>('patch-settings').addEventListener('submit', (event) => {
  event.preventDefault();
  dispatch({ type: 'sample', fields: fields() });
});
$('reshuffle').addEventListener('click', () => dispatch({ type: 'reshuffle', fields: fields() }));

views.render(state);
dispatch({ type: 'sample', fields: fields() });
