/**
 * The classification page: the controls, the worker (./worker.ts) and the views wired
 * together. Every worker message goes through the reducer (./state.ts), then the views draw
 * the new state. Query parameters preset the controls: ?task=stl&digits=1000&hidden=36&ae=20.
 */
import { taskNames, type TaskName } from '../../classify/pipeline';
import { probeWebGpu, showWebGpuStatus } from '../common/webgpu';
import type { ClassifyRequest, FromWorker, ToWorker } from './protocol';
import { initialState, reduce, type ClassifyState, type Message } from './state';
import { ClassifyViews } from './views';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const el = {
  adapter: $('adapter'),
  adapterText: $('adapter-text'),
  noWebGpu: $('no-webgpu'),
  noWebGpuHeadline: $('no-webgpu-headline'),
  noWebGpuSteps: $('no-webgpu-steps'),
  form: $<HTMLFormElement>('controls'),
  settings: $<HTMLFieldSetElement>('settings'),
  configError: $('config-error'),
  start: $<HTMLButtonElement>('start'),
  stop: $<HTMLButtonElement>('stop'),
};

/** The number inputs: id, query parameter, and the smallest and largest value allowed. */
const numberFields = {
  digits: { id: 'digits', query: 'digits', min: 100, max: 10_000, label: 'digits used' },
  hiddenSize: { id: 'hiddenSize', query: 'hidden', min: 1, max: 2_000, label: 'hidden units' },
  seed: { id: 'seed', query: 'seed', min: -(2 ** 31), max: 2 ** 31 - 1, label: 'seed' },
  autoencoderIterations: { id: 'aeIterations', query: 'ae', min: 1, max: 10_000, label: 'autoencoder iterations' },
  softmaxIterations: { id: 'softmaxIterations', query: 'softmax', min: 1, max: 10_000, label: 'softmax iterations' },
  finetuneIterations: { id: 'finetuneIterations', query: 'finetune', min: 1, max: 10_000, label: 'fine-tuning iterations' },
} as const;

let state: ClassifyState = initialState;
let webGpuAvailable: boolean | undefined;
const views = new ClassifyViews();

/** What tests (and curious people) can read: window.classify. */
(window as unknown as { classify: () => ClassifyState }).classify = () => state;

function dispatch(message: Message): void {
  state = reduce(state, message);
  views.render(state);
  updateControls();
}

const busy = () => state.phase === 'loading' || state.phase === 'running' || state.phase === 'stopping';

function updateControls(): void {
  el.settings.disabled = busy();
  el.start.disabled = busy() || webGpuAvailable !== true;
  el.stop.disabled = !(state.phase === 'loading' || state.phase === 'running');
}

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'classify' });
worker.onmessage = (event: MessageEvent<FromWorker>) => dispatch(event.data);
worker.onerror = (event) => {
  event.preventDefault();
  dispatch({ type: 'error', message: `the worker failed: ${event.message || 'unknown error'}`, during: 'run' });
};

function send(message: ToWorker): void {
  worker.postMessage(message);
}

function chosenTask(): TaskName {
  return (el.form.querySelector<HTMLInputElement>('input[name="task"]:checked')?.value as TaskName) ?? 'softmax';
}

/** The request the controls describe, or the first thing wrong with them. */
function readRequest(): ClassifyRequest | string {
  const values: Record<string, number> = {};
  for (const [key, field] of Object.entries(numberFields)) {
    const text = $<HTMLInputElement>(field.id).value.trim();
    const value = Number(text);
    if (!(text !== '' && Number.isInteger(value) && value >= field.min && value <= field.max)) {
      return `${field.label} must be a whole number from ${field.min.toLocaleString('en')} to ${field.max.toLocaleString('en')}, got “${text}”`;
    }
    values[key] = value;
  }
  return {
    type: 'start',
    task: chosenTask(),
    digits: values.digits,
    hiddenSize: values.hiddenSize,
    seed: values.seed,
    autoencoderIterations: values.autoencoderIterations,
    softmaxIterations: values.softmaxIterations,
    finetuneIterations: values.finetuneIterations,
  };
}

function start(): void {
  if (busy() || !webGpuAvailable) return;
  const request = readRequest();
  el.configError.hidden = typeof request !== 'string';
  if (typeof request === 'string') {
    el.configError.textContent = request;
    return;
  }
  dispatch({ type: 'requested', task: request.task });
  send(request);
}

function applyQuery(): void {
  const query = new URLSearchParams(location.search);
  const task = query.get('task');
  if (task && (taskNames as readonly string[]).includes(task)) {
    el.form.querySelector<HTMLInputElement>(`input[name="task"][value="${task}"]`)!.checked = true;
  }
  for (const field of Object.values(numberFields)) {
    const value = query.get(field.query);
    if (value !== null) $<HTMLInputElement>(field.id).value = value;
  }
}

async function checkWebGpu(): Promise<void> {
  const status = await probeWebGpu();
  webGpuAvailable = status.available;
  showWebGpuStatus(el, status, 'No WebGPU');
  if (!status.available) {
    dispatch({ type: 'status', text: 'WebGPU is not available here, so nothing can be trained on this page.' });
  }
  updateControls();
}

function init(): void {
  applyQuery();
  el.form.addEventListener('submit', (event) => {
    event.preventDefault();
    start();
  });
  el.stop.addEventListener('click', () => {
    if (!(state.phase === 'loading' || state.phase === 'running')) return;
    dispatch({ type: 'stop-requested' });
    send({ type: 'stop' });
  });
  views.render(state);
  updateControls();
  void checkWebGpu();
}

init();
