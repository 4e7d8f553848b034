/**
 * The classification page: the controls, the worker (./worker.ts) and the views wired
 * together. Every worker message goes through the reducer (./state.ts), then the views draw
 * the new state. The query string holds the controls' set-up (./link.ts), written as they
 * change, so the address bar is a link to it: ?task=stl&digits=1000&hidden=36&ae=20.
 */
import type { TaskName } from '../../classify/pipeline';
import { copyText, markInvalid, replaceQuery } from '../common/link';
import { probeWebGpu, showWebGpuStatus } from '../common/webgpu';
import { mnistDigitFromInk } from './digit-pad';
import { decodeClassifyLink, encodeClassifyLink, numberFields, parseField, type ClassifySetup, type LinkProblem, type NumberField } from './link';
import type { ClassifyRequest, FromWorker, ToWorker } from './protocol';
import { initialState, reduce, type ClassifyState, type Message } from './state';
import { DigitPad } from './pad';
import { ClassifyViews, copyLinkText, fieldRangeText, linkProblemsText } from './views';
import { acceptFileDrops } from '../common/drop';

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
  linkError: $('link-error'),
  copyLink: $<HTMLButtonElement>('copy-link'),
  copyStatus: $('copy-link-status'),
  pad: $<HTMLCanvasElement>('pad'),
  padClear: $<HTMLButtonElement>('pad-clear'),
  openModel: $<HTMLButtonElement>('open-model'),
  openModelLine: $('open-model-line'),
  modelInput: $<HTMLInputElement>('model-input'),
};

const fieldEntries = Object.entries(numberFields) as [NumberField, (typeof numberFields)[NumberField]][];

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
  el.openModel.disabled = busy() || webGpuAvailable !== true;
}

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'classify' });
worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const message = event.data;
  if (message.type === 'digit-predicted' || message.type === 'digit-failed') {
    digitInFlight = false;
    dispatch(message);
    sendDigit();
    return;
  }
  if (message.type === 'model-opened') pad.clear();
  dispatch(message);
};
worker.onerror = (event) => {
  event.preventDefault();
  dispatch({ type: 'error', message: `the worker failed: ${event.message || 'unknown error'}`, during: 'run' });
};

function send(message: ToWorker, transfer: Transferable[] = []): void {
  worker.postMessage(message, transfer);
}

function chosenTask(): TaskName {
  return (el.form.querySelector<HTMLInputElement>('input[name="task"]:checked')?.value as TaskName) ?? 'softmax';
}

/** The request the controls describe, or the first thing wrong with them. */
function readRequest(): ClassifyRequest | string {
  const values = {} as Record<NumberField, number>;
  for (const [key, field] of fieldEntries) {
    const text = $<HTMLInputElement>(field.id).value.trim();
    const value = parseField(key, text);
    if (value === undefined) return fieldRangeText(key, text);
    values[key] = value;
  }
  return { type: 'start', task: chosenTask(), ...values };
}

// ------------------------------------------------------------------ the link

/** The controls as they stand (a field being typed into reads as NaN and is left out of the link). */
function formSetup(): ClassifySetup {
  const values = {} as Record<NumberField, number>;
  for (const [key, field] of fieldEntries) {
    const text = $<HTMLInputElement>(field.id).value.trim();
    values[key] = text === '' ? NaN : Number(text);
  }
  return { task: chosenTask(), ...values };
}

/** Fields whose value in the opening link could not be used, still as the link left them. */
let linkProblems: LinkProblem[] = [];

const controlOf = (field: LinkProblem['field']) => (field === 'task' ? $('task-choices') : $(numberFields[field].id));

function showLinkProblems(problems: LinkProblem[]): void {
  for (const problem of linkProblems) markInvalid(controlOf(problem.field), false);
  linkProblems = problems;
  for (const problem of problems) markInvalid(controlOf(problem.field), true);
  el.linkError.hidden = problems.length === 0;
  el.linkError.textContent = problems.length > 0 ? linkProblemsText(problems) : '';
}

function onControlChanged(target: HTMLElement): void {
  const field = target instanceof HTMLInputElement && target.name === 'task' ? 'task' : fieldEntries.find(([, f]) => f.id === target.id)?.[0];
  if (field && linkProblems.some((p) => p.field === field)) showLinkProblems(linkProblems.filter((p) => p.field !== field));
  replaceQuery(encodeClassifyLink(formSetup()));
}

async function copyLink(): Promise<void> {
  replaceQuery(encodeClassifyLink(formSetup()));
  el.copyStatus.textContent = copyLinkText(await copyText(location.href));
}

function start(): void {
  if (busy() || !webGpuAvailable) return;
  const request = readRequest();
  el.configError.hidden = typeof request !== 'string';
  if (typeof request === 'string') {
    el.configError.textContent = request;
    return;
  }
  // The pad belongs to the classifier being replaced.
  pad.clear();
  nextDigit = undefined;
  dispatch({ type: 'requested', task: request.task });
  send(request);
}

/** The set-up of the link the page was opened with, into the controls; what it got wrong, marked. */
function applyLink(): void {
  const { setup, problems } = decodeClassifyLink(location.search);
  el.form.querySelector<HTMLInputElement>(`input[name="task"][value="${setup.task}"]`)!.checked = true;
  for (const [key, field] of fieldEntries) $<HTMLInputElement>(field.id).value = String(setup[key]);
  showLinkProblems(problems);
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

// ------------------------------------------------------------------ a model.json

/** A classifier's model.json, scored on the digits and seed the controls hold. */
async function openModel(file: File): Promise<void> {
  if (busy() || !webGpuAvailable) return;
  dispatch({ type: 'model-chosen', name: file.name });
  const setup = formSetup();
  const bad = (['digits', 'seed'] as const).find((key) => parseField(key, $<HTMLInputElement>(numberFields[key].id).value.trim()) === undefined);
  if (bad) {
    dispatch({ type: 'model-unreadable', name: file.name, message: `it is scored on the digits the controls choose: ${fieldRangeText(bad, String(setup[bad]))}` });
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (error) {
    dispatch({ type: 'model-unreadable', name: file.name, message: (error as Error).message });
    return;
  }
  // The pad belongs to the classifier being replaced (if this one is taken).
  nextDigit = undefined;
  send({ type: 'open-model', name: file.name, bytes, digits: setup.digits, seed: setup.seed }, [bytes.buffer]);
}

function setupModelPicker(): void {
  el.openModel.addEventListener('click', () => el.modelInput.click());
  el.modelInput.addEventListener('change', () => {
    const file = el.modelInput.files?.[0];
    el.modelInput.value = '';
    if (file) void openModel(file);
  });
  // The whole page takes a dropped file; the line that offers it lights up while one is dragged.
  acceptFileDrops(el.openModelLine, (files) => void openModel(files[0]));
}

// ------------------------------------------------------------------ the drawing pad

/** One drawn digit at a time goes to the worker; the newest waits here meanwhile. */
let digitInFlight = false;
let nextDigit: Float32Array | undefined;
let digitIds = 0;

function sendDigit(): void {
  if (digitInFlight || !nextDigit || state.phase !== 'finished') return;
  const pixels = nextDigit;
  nextDigit = undefined;
  digitInFlight = true;
  send({ type: 'predict-digit', id: ++digitIds, pixels });
}

const pad = new DigitPad(el.pad, (ink, width, height) => {
  const pixels = mnistDigitFromInk(ink, width, height);
  if (pixels.every((v) => v === 0)) return;
  nextDigit = pixels;
  sendDigit();
});

/** For the tests: whether a drawn digit is still on its way to a prediction. */
(window as unknown as { classifyPadBusy: () => boolean }).classifyPadBusy = () => digitInFlight || nextDigit !== undefined;

function init(): void {
  applyLink();
  el.form.addEventListener('input', (event) => {
    if ((event.target as HTMLElement).id !== 'model-input') onControlChanged(event.target as HTMLElement);
  });
  setupModelPicker();
  el.copyLink.addEventListener('click', () => void copyLink());
  el.padClear.addEventListener('click', () => {
    pad.clear();
    nextDigit = undefined;
    dispatch({ type: 'digit-cleared' });
  });
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
