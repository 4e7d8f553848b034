/**
 * The PCA page: the form, the two sliders, the worker (./worker.ts) and the views wired
 * together. Every worker message and page event goes through the reducer (./state.ts); a new
 * `request` in the state is sent to the worker, then the views draw the state. The settings are
 * in the address bar as they change: ?patches=10000&seed=1&variance=0.99&epsilon=0.1.
 */
import { markInvalid, replaceQuery } from '../common/link';
import { probeWebGpu, showWebGpuStatus } from '../common/webgpu';
import {
  decodePcaLink,
  encodePcaLink,
  epsilonFromSlider,
  initialState,
  parseSetting,
  reduce,
  settingFields,
  sliderFromEpsilon,
  summary,
  type LinkProblem,
  type Message,
  type PcaState,
} from './state';
import { linkProblemsText, PcaViews } from './views';
import type { PcaMessage } from './worker';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const el = {
  adapter: $('adapter'),
  adapterText: $('adapter-text'),
  noWebGpu: $('no-webgpu'),
  noWebGpuHeadline: $('no-webgpu-headline'),
  noWebGpuSteps: $('no-webgpu-steps'),
  linkError: $('link-error'),
  form: $<HTMLFormElement>('sample-settings'),
  patches: $<HTMLInputElement>('patches'),
  seed: $<HTMLInputElement>('seed'),
  variance: $<HTMLInputElement>('variance'),
  epsilon: $<HTMLInputElement>('epsilon'),
};

const { settings, problems } = decodePcaLink(location.search);
let state: PcaState = initialState(settings);
const views = new PcaViews();
/** What tests (and curious people) can read: window.pcaPage. */
Object.defineProperty(window, 'pcaPage', { get: () => summary(state), configurable: true });

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'pca' });
worker.onmessage = (event: MessageEvent<PcaMessage>) => dispatch(event.data);
worker.onerror = (event) => {
  event.preventDefault();
  dispatch({ type: 'error', message: `the worker failed: ${event.message || 'unknown error'}`, during: 'load' });
};

function dispatch(message: Message): void {
  const before = state;
  state = reduce(state, message);
  if (state.request && state.request !== before.request) worker.postMessage(state.request);
  if (state.settings !== before.settings) replaceQuery(encodePcaLink(state.settings));
  views.render(state);
}

// ------------------------------------------------------------------ the link's problems

let linkProblems: LinkProblem[] = problems;
const controlOf = (field: LinkProblem['field']) => el[field];
for (const problem of linkProblems) markInvalid(controlOf(problem.field), true);
el.linkError.hidden = linkProblems.length === 0;
el.linkError.textContent = linkProblems.length > 0 ? linkProblemsText(linkProblems) : '';

/** A control the user has set again is no longer the link's problem. */
function clearProblem(field: LinkProblem['field']): void {
  if (!linkProblems.some((p) => p.field === field)) return;
  markInvalid(controlOf(field), false);
  linkProblems = linkProblems.filter((p) => p.field !== field);
  el.linkError.hidden = linkProblems.length === 0;
  el.linkError.textContent = linkProblems.length > 0 ? linkProblemsText(linkProblems) : '';
}

// ------------------------------------------------------------------ the controls

el.patches.value = String(settings.patches);
el.seed.value = String(settings.seed);
el.variance.value = String(100 * settings.variance);
el.epsilon.value = String(sliderFromEpsilon(settings.epsilon));

el.form.addEventListener('submit', (event) => {
  event.preventDefault();
  const patches = parseSetting('patches', el.patches.value);
  const seed = parseSetting('seed', el.seed.value);
  markInvalid(el.patches, patches === undefined);
  markInvalid(el.seed, seed === undefined);
  if (patches === undefined || seed === undefined) return;
  clearProblem('patches');
  clearProblem('seed');
  dispatch({ type: 'load', patches, seed, gpu: webGpuAvailable });
});
// 'input' fires on every step of a drag: the reducer folds the moves made while the worker is busy into one request.
el.variance.addEventListener('input', () => {
  clearProblem('variance');
  dispatch({ type: 'variance', value: Math.round(10 * Number(el.variance.value)) / 1000 });
});
el.epsilon.addEventListener('input', () => {
  clearProblem('epsilon');
  dispatch({ type: 'epsilon', value: epsilonFromSlider(Number(el.epsilon.value)) });
});

/** Whether this page found a WebGPU adapter: the worker forms Σ on it, or in float64. */
let webGpuAvailable = false;

async function start(): Promise<void> {
  views.render(state);
  const status = await probeWebGpu();
  showWebGpuStatus(el, status, 'No WebGPU · float64 reference');
  webGpuAvailable = status.available;
  dispatch({ type: 'load', patches: settings.patches, seed: settings.seed, gpu: webGpuAvailable });
}

void start();
// The fields' ranges, from the one place that has them.
el.patches.min = String(settingFields.patches.min);
el.patches.max = String(settingFields.patches.max);
