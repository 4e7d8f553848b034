/**
 * The SAE page: TopK, BatchTopK and ReLU-L1 sparse autoencoders trained on WebGPU in a worker
 * (./worker.ts), on synthetic data with known directions or the user's activations, with live
 * L0, FVU, dead latents, density and MMCS, and every finished run kept in IndexedDB (./store.ts)
 * and drawn on one L0–FVU plot. Wiring only: the form and the link into settings (./state.ts's
 * codec), every event through reduce(), requests to the worker and runs to the store read off
 * the new state, ./views.ts to draw it.
 */
import { copyText, replaceQuery } from '../common/link';
import { probeWebGpu, showWebGpuStatus } from '../common/webgpu';
import type { ActivationFile, FromWorker, SaeSettings } from './protocol';
import { decodeSaeLink, encodeSaeLink, initialState, numberSettings, parseSetting, reduce, summary, type Message, type SaeState, type SettingProblem } from './state';
import { indexedDbRunStore, memoryRunStore, type RunStore } from './store';
import { runAt, SaeViews } from './views';
import { acceptFileDrops } from '../common/drop';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const link = decodeSaeLink(location.search);
let state: SaeState = initialState(link.settings, link.problems);
let device = link.device;
/** The chosen file's bytes (the state holds only its name and shape). */
let file: ActivationFile | undefined;
let store: RunStore = indexedDbRunStore();

const views = new SaeViews(() => views.render(state));
/** What tests (and curious people) can read: window.saePage. */
Object.defineProperty(window, 'saePage', { get: () => summary(state), configurable: true });

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'sae' });
worker.onmessage = (event: MessageEvent<FromWorker>) => dispatch(event.data);
worker.onerror = (event) => {
  event.preventDefault();
  dispatch({ type: 'error', message: `the worker failed: ${event.message || 'unknown error'}`, during: 'training' });
};

function dispatch(message: Message): void {
  const before = state;
  state = reduce(state, message);
  if (state.request && state.request !== before.request) worker.postMessage(state.request);
  if (state.save && state.save !== before.save) void saveRun(state.save);
  views.render(state);
}

async function refreshRuns(): Promise<void> {
  dispatch({ type: 'runs', runs: await store.list() });
}

async function saveRun(run: NonNullable<SaeState['save']>): Promise<void> {
  try {
    await store.add(run);
    await refreshRuns();
  } catch (error) {
    dispatch({ type: 'store-error', message: error instanceof Error ? error.message : String(error) });
  }
}

// ------------------------------------------------------------------ the form

function writeForm(s: SaeSettings): void {
  $<HTMLSelectElement>('variant').value = s.variant;
  for (const [field] of numberSettings) $<HTMLInputElement>(field).value = String(s[field]);
  $<HTMLInputElement>('tensor').value = s.tensor;
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="data"]')) radio.checked = radio.value === s.data;
}

/** The form's settings; a field that does not parse keeps the state's value and is reported. */
function readForm(): { settings: SaeSettings; problems: SettingProblem[] } {
  const settings: SaeSettings = { ...state.settings };
  const problems: SettingProblem[] = [];
  settings.variant = $<HTMLSelectElement>('variant').value as SaeSettings['variant'];
  settings.data = (document.querySelector<HTMLInputElement>('input[name="data"]:checked')?.value as SaeSettings['data']) ?? 'synthetic';
  settings.tensor = $<HTMLInputElement>('tensor').value.trim();
  for (const [field] of numberSettings) {
    const text = $<HTMLInputElement>(field).value;
    const parsed = parseSetting(field, text);
    if ('value' in parsed) settings[field] = parsed.value;
    else problems.push({ field, value: text, reason: parsed.reason });
  }
  return { settings, problems };
}

function formChanged(): void {
  const before = state.settings.tensor;
  dispatch({ type: 'settings', ...readForm() });
  replaceQuery(encodeSaeLink(state.settings));
  // Another tensor of the same file: ask again what it holds.
  if (file && state.settings.tensor !== before) dispatch({ type: 'file', file });
}

const form = $<HTMLFormElement>('controls');
form.addEventListener('input', formChanged);
form.addEventListener('change', formChanged);
form.addEventListener('submit', (event) => {
  event.preventDefault();
  dispatch({ type: 'start', device, ...(file ? { file } : {}) });
});
$('pause').addEventListener('click', () => dispatch({ type: 'pause' }));
$('resume').addEventListener('click', () => dispatch({ type: 'resume' }));
$('stop').addEventListener('click', () => dispatch({ type: 'stop' }));
$('copy-link').addEventListener('click', async () => {
  const url = location.href;
  const copied = await copyText(url);
  $('copy-link-status').textContent = copied ? 'Link copied.' : `Copy it from the address bar: ${url}`;
});

// ------------------------------------------------------------------ the user's file

async function takeFile(files: FileList): Promise<void> {
  const chosen = files[0];
  if (!chosen) return;
  file = { name: chosen.name, bytes: new Uint8Array(await chosen.arrayBuffer()) };
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="data"]')) radio.checked = radio.value === 'file';
  formChanged();
  dispatch({ type: 'file', file });
}

function setupDropzone(): void {
  const input = $<HTMLInputElement>('file-input');
  $('choose-file').addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    if (input.files) void takeFile(input.files);
    input.value = '';
  });
  acceptFileDrops($('dropzone'), (files) => {
    if (state.phase === 'idle' || state.phase === 'finished' || state.phase === 'error') void takeFile(files);
  });
}

// ------------------------------------------------------------------ the frontier

function setupFrontier(): void {
  const canvas = $<HTMLCanvasElement>('frontier');
  canvas.addEventListener('mousemove', (event) => {
    const rect = canvas.getBoundingClientRect();
    const points = views.geometry?.points ?? [];
    dispatch({ type: 'hover', id: runAt(points, event.clientX - rect.left, event.clientY - rect.top) });
  });
  canvas.addEventListener('mouseleave', () => dispatch({ type: 'hover', id: undefined }));
  const list = $('run-list');
  list.addEventListener('mouseover', (event) => {
    const item = (event.target as HTMLElement).closest<HTMLElement>('li[data-id]');
    dispatch({ type: 'hover', id: item ? Number(item.dataset.id) : undefined });
  });
  list.addEventListener('mouseleave', () => dispatch({ type: 'hover', id: undefined }));
  list.addEventListener('click', async (event) => {
    const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button.delete-run');
    if (!button) return;
    await store.delete(Number(button.dataset.id));
    await refreshRuns();
  });
  $('clear-runs').addEventListener('click', async () => {
    if (!confirm(`Delete all ${state.runs.length} stored runs?`)) return;
    await store.clear();
    await refreshRuns();
  });
}

// ------------------------------------------------------------------ start

async function main(): Promise<void> {
  writeForm(state.settings);
  setupDropzone();
  setupFrontier();
  views.render(state);
  replaceQuery(encodeSaeLink(state.settings));
  try {
    await refreshRuns();
  } catch (error) {
    // IndexedDB refused (a private window, a blocked database): runs last as long as the page.
    store = memoryRunStore();
    dispatch({ type: 'store-error', message: `${error instanceof Error ? error.message : String(error)}; finished runs are kept only until the page closes` });
  }
  const webgpu = await probeWebGpu();
  showWebGpuStatus(
    { adapter: $('adapter'), adapterText: $('adapter-text'), noWebGpu: $('no-webgpu'), noWebGpuHeadline: $('no-webgpu-headline'), noWebGpuSteps: $('no-webgpu-steps') },
    webgpu,
    'No WebGPU · float64 reference on the CPU',
  );
  if (!webgpu.available) device = 'cpu';
  if (link.autostart) dispatch({ type: 'start', device, ...(file ? { file } : {}) });
}

void main();
