/**
 * The trainer page: settings, data (embedded, MNIST, or the user's files), start / pause /
 * resume / stop, live pictures of the model while it trains, exports, and runs that survive a
 * reload. The parts, wired together here: the settings form (./settings.ts), the worker that
 * trains (./worker.ts), the run's state (./state.ts, a pure reducer every worker message and
 * page event goes through), the views that draw it (./views.ts), and IndexedDB (./store.ts).
 * What a new state asks for — a record to save, a run to start — is done here.
 */
import { messageOf } from '../../data/errors';
import type { AdapterSummary } from '../../gpu/adapter';
import { isBuiltInData, presets, type PresetName, type TrainConfig } from '../../train/config';
import type { UserFile } from '../../train/data';
import { chartTimings } from '../common/charts';
import { copyText, replaceQuery } from '../common/link';
import { probeWebGpu, showWebGpuStatus } from '../common/webgpu';
import { decodeTrainerLink, encodeTrainerLink, passthroughParams, TUNE_BUDGET_STORAGE_KEY, tuneBudgetOf } from './link';
import type { DeviceChoice, ExportKind, FromWorker, ToWorker } from './protocol';
import {
  dataChoice,
  dataChoiceOf,
  markPreset,
  matchingPreset,
  readForm,
  updateFieldVisibility,
  writeForm,
  type DataChoice,
} from './settings';
import { busy, initialState, reduce, settingsLocked, type Message, type TrainerState, type UnsavedRun } from './state';
import { clearRun, loadFiles, loadRun, saveRun, type CostHistory } from './store';
import { TrainerViews } from './views';
import { acceptFileDrops } from '../common/drop';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const el = {
  adapter: $('adapter'),
  adapterText: $('adapter-text'),
  noWebGpu: $('no-webgpu'),
  noWebGpuHeadline: $('no-webgpu-headline'),
  noWebGpuSteps: $('no-webgpu-steps'),
  resumeRun: $<HTMLButtonElement>('resume-run'),
  discardRun: $<HTMLButtonElement>('discard-run'),
  form: $<HTMLFormElement>('controls'),
  dropzone: $('dropzone'),
  fileInput: $<HTMLInputElement>('file-input'),
  chooseFile: $<HTMLButtonElement>('choose-file'),
  openModel: $<HTMLButtonElement>('open-model'),
  modelInput: $<HTMLInputElement>('model-input'),
  normalize: $<HTMLInputElement>('normalize'),
  device: $<HTMLSelectElement>('device'),
  deviceHint: $('device-hint'),
  iterationsInput: $<HTMLInputElement>('iterations'),
  pause: $<HTMLButtonElement>('pause'),
  resume: $<HTMLButtonElement>('resume'),
  stop: $<HTMLButtonElement>('stop'),
  copyLink: $<HTMLButtonElement>('copy-link'),
  exports: { png: $<HTMLButtonElement>('export-png'), json: $<HTMLButtonElement>('export-json'), mat: $<HTMLButtonElement>('export-mat') },
};

const url = decodeTrainerLink(location.search);
let state: TrainerState = initialState;
/** Which preset the form holds (or 'custom'): the settings form's own state. */
let preset: TrainConfig['preset'] = url.config.preset;
/** IndexedDB held a run when the page loaded: the CPU defaults are then left alone. */
let hadSavedRun = false;
const views = new TrainerViews(applyDeviceAvailability);

/** The page's own work: the longest piece (one worker message, one chart redraw) and long tasks, in ms. */
const perf = { longestTaskMs: 0, longestWorkMs: 0, slowWork: 0 };

/** What tests (and curious people) can read: window.trainer. */
const stats = {
  state: 'idle' as TrainerState['phase'],
  iteration: 0,
  cost: NaN,
  initialCost: NaN,
  featuresDrawn: 0,
  featuresIteration: -1,
  checkpointIteration: -1,
  /** The iteration of the run saved in IndexedDB (once the write has completed). */
  savedIteration: -1,
  longestTaskMs: 0,
  /** The longest piece of this page's own work (handling one worker message, one chart redraw), in ms. */
  longestWorkMs: 0,
  /** How many pieces of it took longer than 100 ms. */
  slowWork: 0,
  /** Where the latest resume (after a pause or a reload) started, and the first iteration after it. */
  resumedFrom: undefined as { iteration: number; cost: number; next?: number } | undefined,
  device: '' as string,
  adapter: undefined as AdapterSummary | undefined,
  lastError: '' as string,
};
(window as unknown as { trainer: typeof stats }).trainer = stats;
(window as unknown as { trainerHistory(): number[] }).trainerHistory = () => state.run?.history.x.slice() ?? [];
/** The model.json shown, if one was opened: its file, shape, ρ̂ over the data, and the latest file's fate. */
(window as unknown as { trainerModel(): object }).trainerModel = () => ({
  file: state.modelFile,
  opened: state.run?.opened?.name,
  shape: state.run?.opened && state.run.shape,
  meanActivation: state.run?.opened && state.run.rho && Array.from(state.run.rho.values),
  runId: state.run?.id,
});
if (url.testHooks) {
  (window as unknown as { trainerTest: object }).trainerTest = {
    /** Destroys the worker's GPU device, as a driver reset would, under the run in progress. */
    loseDevice: () => send({ type: 'lose-device' }),
  };
}

function updateStats(): void {
  const run = state.run;
  Object.assign(stats, perf, {
    state: state.phase,
    iteration: run?.iteration ?? 0,
    cost: run?.cost ?? NaN,
    initialCost: run?.initialCost ?? NaN,
    featuresDrawn: run?.featuresDrawn ?? 0,
    featuresIteration: run?.features?.iteration ?? -1,
    checkpointIteration: run?.checkpointIteration ?? -1,
    savedIteration: state.savedIteration,
    resumedFrom: run?.resumedFrom,
    device: state.device,
    adapter: state.adapter,
    lastError: state.lastError,
  });
}

/** Every change of the page's state: the reducer, then the views, then what the new state asks for. */
function dispatch(message: Message): void {
  const before = state;
  state = reduce(state, message);
  if (state === before) return;
  if (state.run && state.run.id !== before.run?.id) {
    perf.longestTaskMs = 0;
    perf.longestWorkMs = 0;
    perf.slowWork = 0;
  }
  views.render(state);
  if (state.save && state.save !== before.save) persist(state.save.record, state.run!.id);
  if (state.deviceLost && !before.deviceLost && state.run) void offerAfterDeviceLoss(state.run.id);
  // A pause shows the run's total, which resume runs to (and which may be changed meanwhile).
  if (state.phase === 'paused' && before.phase !== 'paused' && state.run) el.iterationsInput.value = String(state.run.totalIterations);
  updateStats();
}

// ------------------------------------------------------------------ worker

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'trainer' });
worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const started = performance.now();
  onWorkerMessage(event.data);
  const took = performance.now() - started;
  if (took > 100) perf.slowWork++;
  perf.longestWorkMs = Math.max(perf.longestWorkMs, Math.round(took), Math.round(chartTimings.longest));
  Object.assign(stats, perf);
};
worker.onerror = (event) => {
  event.preventDefault();
  dispatch({ type: 'worker-failed', message: `the training worker failed: ${event.message || 'unknown error'}` });
};

function send(message: ToWorker, transfer: Transferable[] = []): void {
  worker.postMessage(message, transfer);
}

function onWorkerMessage(message: FromWorker): void {
  if (message.type === 'exported') {
    download(message.bytes, message.filename, message.mime);
    return;
  }
  dispatch(message);
  if (message.type === 'inspected') updateDeviceHint();
  if (message.type === 'ready') {
    showResponsiveness();
    if (message.fallback) {
      el.deviceHint.textContent = message.fallback;
      el.deviceHint.className = 'hint warn';
    }
  }
  if (message.type === 'ended') showResponsiveness();
}

function download(bytes: Uint8Array, filename: string, mime: string): void {
  const blob = new Blob([bytes as BlobPart], { type: mime });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

// ------------------------------------------------------------------ IndexedDB

let persisting: Promise<void> = Promise.resolve();
let queued: { record: UnsavedRun; runId: number } | undefined;
/** The files of the latest run, written with its first record. */
let runFiles: { runId: number; files: UserFile[] | undefined; written: boolean } | undefined;

/** Saves the newest record; records that arrive while one is being written replace each other. */
function persist(record: UnsavedRun, runId: number): void {
  const idle = queued === undefined;
  queued = { record, runId };
  if (!idle) return;
  persisting = persisting.then(async () => {
    const next = queued!;
    queued = undefined;
    const files = runFiles && runFiles.runId === next.runId && !runFiles.written ? runFiles : undefined;
    try {
      await saveRun({ ...next.record, savedAt: Date.now() }, files && { files: files.files });
      if (files) files.written = true;
      dispatch({ type: 'saved', iteration: next.record.kind === 'checkpoint' ? next.record.iteration : next.record.iterations });
    } catch (error) {
      dispatch({ type: 'save-failed', message: messageOf(error) });
    }
  });
}

/** After the GPU was lost: once the run's last checkpoint is written, offers it from IndexedDB. */
async function offerAfterDeviceLoss(runId: number): Promise<void> {
  await persisting;
  const saved = await loadRun().catch(() => undefined);
  if (saved?.kind === 'checkpoint' && state.run?.id === runId && state.savedIteration >= 0) {
    dispatch({ type: 'saved-found', record: saved, reason: 'device-lost' });
  }
}

async function offerSavedRun(): Promise<void> {
  const saved = await loadRun().catch(() => undefined);
  hadSavedRun = !!saved;
  if (saved) dispatch({ type: 'saved-found', record: saved, reason: 'reload' });
}

function formDataFor(config: TrainConfig): DataChoice {
  return isBuiltInData(config.data) ? config.data : 'file';
}

/** Values per example the configuration's data will have (MNIST's digits, or its patches). */
function visibleSizeOf(config: TrainConfig): number {
  return config.data === 'mnist' ? 784 : config.data === 'natural-color' ? 3 * config.patchSize ** 2 : config.patchSize ** 2;
}

async function resumeSaved(): Promise<void> {
  const saved = state.offer?.record;
  if (!saved) return;
  dispatch({ type: 'offer-taken' });
  preset = saved.config.preset;
  writeForm(saved.config, formDataFor(saved.config));
  el.device.value = saved.device === 'gpu' && state.webgpu?.available !== false ? 'gpu' : 'cpu';
  syncLink();
  let files: UserFile[] | undefined;
  if (formDataFor(saved.config) === 'file') {
    files = await loadFiles().catch(() => undefined);
    if (!files) {
      dispatch({ type: 'refused', message: 'The files this run trained on are no longer stored: choose them again and start a new run.' });
      return;
    }
    dispatch({ type: 'files-restored', files });
  }
  if (saved.kind === 'checkpoint') {
    beginRun(saved.config, el.device.value === 'gpu' ? 'gpu' : 'cpu', { resume: saved.bytes, history: saved.history, files, maxExamples: saved.maxExamples });
    return;
  }
  // A finished model: show it, ready for export.
  dispatch({ type: 'model-restored', record: saved });
  send({
    type: 'show-model',
    config: saved.config,
    shape: saved.shape,
    pixelGeometry: saved.pixelGeometry,
    geometry: saved.geometry,
    theta: saved.theta,
    sample: saved.sample,
    sampleCount: saved.sampleCount,
  });
}

// ------------------------------------------------------------------ WebGPU availability

function applyDeviceAvailability(): void {
  const gpuOption = el.device.querySelector<HTMLOptionElement>('option[value="gpu"]')!;
  gpuOption.disabled = state.webgpu?.available === false;
  if (state.webgpu?.available === false) el.device.value = 'cpu';
  updateDeviceHint();
}

function fileNames(): string | undefined {
  return state.data.files?.map((f) => f.name).join(', ');
}

function updateDeviceHint(): void {
  el.deviceHint.className = 'hint';
  if (el.device.value !== 'cpu') {
    el.deviceHint.textContent = '';
    return;
  }
  const config = readForm(preset, fileNames());
  const examples = config.data === 'mnist' ? 10_000 : config.patches;
  const visible = visibleSizeOf(config);
  // The reference runs about 70 million multiply-adds of m·v·h a second in V8 (4 per term).
  const seconds = (examples * visible * config.hiddenSize) / 70e6;
  if (Number.isFinite(seconds)) {
    el.deviceHint.textContent = `About ${seconds < 0.1 ? '<0.1' : seconds.toFixed(1)} s per evaluation on the CPU (${examples.toLocaleString('en')} × ${visible}-${config.hiddenSize}).`;
    if (seconds > 0.5) el.deviceHint.className = 'hint warn';
  }
}

async function checkWebGpu(): Promise<void> {
  const webgpu = await probeWebGpu();
  dispatch({ type: 'webgpu-probed', available: webgpu.available, adapter: webgpu.available ? webgpu.adapter : undefined });
  showWebGpuStatus(el, webgpu, 'No WebGPU · float64 reference on the CPU');
  if (webgpu.available) {
    if (url.device) el.device.value = url.device;
  } else {
    // Make the default problem small enough for the reference, unless the URL chose sizes.
    if (state.phase === 'idle' && !hadSavedRun) {
      const patches = el.form.querySelector<HTMLInputElement>('#patches')!;
      if (!url.given.has('patches') && (dataChoice() === 'natural' || dataChoice() === 'natural-color')) patches.value = '2000';
      if (!url.given.has('iterations')) el.iterationsInput.value = '100';
      preset = 'custom';
      markPreset(preset);
    }
  }
  applyDeviceAvailability();
}

// ------------------------------------------------------------------ data files

async function readFiles(list: FileList | File[]): Promise<UserFile[]> {
  return Promise.all([...list].map(async (file) => ({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) })));
}

async function takeFiles(list: FileList | File[]): Promise<void> {
  if (list.length === 0 || settingsLocked(state.phase)) return;
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="data"]')) radio.checked = radio.value === 'file';
  preset = 'custom';
  markPreset(preset);
  updateFieldVisibility();
  syncLink();
  dispatch({ type: 'files-chosen', names: [...list].map((f) => f.name) });
  let files: UserFile[];
  try {
    files = await readFiles(list);
  } catch (error) {
    dispatch({ type: 'files-unreadable', message: messageOf(error) });
    return;
  }
  dispatch({ type: 'files-read', files });
  send({ type: 'inspect', files, config: readForm(preset, fileNames()) });
}

function setupDropzone(): void {
  el.chooseFile.addEventListener('click', () => el.fileInput.click());
  el.fileInput.addEventListener('change', () => {
    if (el.fileInput.files) void takeFiles(el.fileInput.files);
    el.fileInput.value = '';
  });
  acceptFileDrops(el.dropzone, (files) => {
    // No training data come as JSON: one .json file is a model to open.
    if (files.length === 1 && isModelFile(files[0])) void openModel(files[0]);
    else void takeFiles(files);
  });
}

// ------------------------------------------------------------------ a model.json

const isModelFile = (file: File) => /\.json$/i.test(file.name) || file.type === 'application/json';

/** A model.json, shown on the data the form chooses (read by the worker, as a run's data are). */
async function openModel(file: File): Promise<void> {
  dispatch({ type: 'model-chosen', name: file.name });
  if (state.modelFile?.kind !== 'opening' || state.modelFile.name !== file.name) return; // a run is on
  if (dataChoice() === 'file' && (!state.data.files || !state.data.valid)) {
    dispatch({ type: 'model-unreadable', name: file.name, message: 'it is shown on the data above: choose your data files first, or pick other data' });
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch (error) {
    dispatch({ type: 'model-unreadable', name: file.name, message: messageOf(error) });
    return;
  }
  const config = readForm(preset, fileNames());
  const files = isBuiltInData(config.data) ? undefined : state.data.files;
  send({ type: 'open-model', name: file.name, bytes, config, files }, [bytes.buffer]);
}

function setupModelPicker(): void {
  el.openModel.addEventListener('click', () => el.modelInput.click());
  el.modelInput.addEventListener('change', () => {
    const file = el.modelInput.files?.[0];
    el.modelInput.value = '';
    if (file) void openModel(file);
  });
}

// ------------------------------------------------------------------ runs

function beginRun(
  config: TrainConfig,
  device: DeviceChoice,
  options: { resume?: Uint8Array; history?: CostHistory; files?: UserFile[]; maxExamples?: number } = {},
): void {
  const maxExamples = 'maxExamples' in options ? options.maxExamples : url.maxExamples;
  dispatch({ type: 'start-requested', config, device, maxExamples, history: options.history });
  if (state.phase !== 'loading') return;
  const liveEvery = url.liveEvery ?? (config.data === 'mnist' ? 2 : 5);
  // Checkpoints by training time: an L-BFGS checkpoint reads θ and up to 200 correction
  // vectors back from the GPU, cheap for the natural model, 250 MB for MNIST's.
  const thetaLength = 2 * config.hiddenSize * visibleSizeOf(config);
  const checkpointEvery = url.checkpointEvery ?? 0;
  const checkpointSeconds = url.checkpointEvery ? 0 : thetaLength > 100_000 ? 30 : 10;
  const files = options.files ?? (isBuiltInData(config.data) ? undefined : state.data.files);
  runFiles = { runId: state.run!.id, files, written: false };
  const tuneBudgetMs = tuneBudgetOf(new URLSearchParams(location.search).get('tune'), storedTuneBudget());
  send({ type: 'start', config, device, files, resume: options.resume, liveEvery, checkpointEvery, checkpointSeconds, maxExamples, tuneBudgetMs });
}

function storedTuneBudget(): string | null {
  try {
    return localStorage.getItem(TUNE_BUDGET_STORAGE_KEY);
  } catch {
    return null; // storage refused (a private window's policy): the default budget
  }
}

function startFromForm(): void {
  if (busy(state.phase)) return;
  // Paused, the form holds only the iterations field, and Enter there means "go on".
  if (state.phase === 'paused') {
    resumeRun();
    return;
  }
  if (dataChoice() === 'file' && (!state.data.files || !state.data.valid)) {
    dispatch({
      type: 'refused',
      message: state.data.files ? 'Your data could not be read (see above): choose another file or other data.' : 'Choose a file (or drop one on the page) first, or pick other data.',
    });
    return;
  }
  beginRun(readForm(preset, fileNames()), el.device.value === 'gpu' ? 'gpu' : 'cpu');
}

function resumeRun(): void {
  if (state.phase !== 'paused') return;
  dispatch({ type: 'resume-requested', iterations: Number(el.iterationsInput.value), text: el.iterationsInput.value });
  const now: TrainerState = state; // the reducer checked the iterations
  if (now.phase === 'training') send({ type: 'resume', iterations: now.run!.totalIterations });
}

// ------------------------------------------------------------------ responsiveness

/**
 * The page's own work per worker message and per chart redraw stays far below a frame budget;
 * long tasks (≥ 50 ms, wall clock) also catch what the browser does for us, and a busy CPU.
 */
function showResponsiveness(): void {
  const tasks = perf.longestTaskMs > 0 ? `; longest task seen ${perf.longestTaskMs} ms` : '; no task over 50 ms';
  views.showFootnote(`Main thread while training: the longest piece of this page's own work took ${perf.longestWorkMs} ms${tasks}. Training runs in a worker.`);
}

try {
  new PerformanceObserver((list) => {
    if (state.phase !== 'training') return;
    for (const entry of list.getEntries()) perf.longestTaskMs = Math.max(perf.longestTaskMs, Math.round(entry.duration));
    stats.longestTaskMs = perf.longestTaskMs;
    showResponsiveness();
  }).observe({ type: 'longtask' });
} catch {
  // Long tasks are not reported in every browser.
}

// ------------------------------------------------------------------ the link

/** The address bar as a link to the form's set-up (and the run options the page was opened with). */
function syncLink(): void {
  const query = encodeTrainerLink({ config: readForm(preset, fileNames()), data: dataChoice(), device: el.device.value === 'cpu' ? 'cpu' : 'gpu' });
  const opened = new URLSearchParams(location.search);
  for (const name of passthroughParams) {
    const value = opened.get(name);
    if (value !== null) query.set(name, value);
  }
  replaceQuery(query);
}

async function copyLink(): Promise<void> {
  syncLink();
  views.showCopied(await copyText(location.href));
}

// ------------------------------------------------------------------ wiring

function onSettingsChanged(): void {
  updateFieldVisibility();
  const config = readForm(preset, undefined);
  preset = matchingPreset(config) ?? 'custom';
  markPreset(preset);
  updateDeviceHint();
  syncLink();
}

function applyPreset(name: PresetName): void {
  const config = { ...presets[name] };
  if (state.webgpu?.available === false && name === 'ufldl-natural') {
    config.patches = 2000;
    config.iterations = 100;
  }
  // 192-400 on 10,000 patches takes seconds per evaluation in float64 JavaScript.
  if (state.webgpu?.available === false && name === 'ufldl-linear-decoder') {
    config.patches = 2000;
    config.iterations = 50;
  }
  writeForm(config, dataChoiceOf(config));
  markPreset(name);
  preset = name;
  dispatch({ type: 'error-dismissed' });
  updateDeviceHint();
  views.settingChanged('presets');
  syncLink();
}

function init(): void {
  writeForm(url.config, url.data);
  preset = url.config.preset;
  if (url.device) el.device.value = url.device;
  setupDropzone();
  setupModelPicker();

  el.form.addEventListener('submit', (event) => {
    event.preventDefault();
    startFromForm();
  });
  el.form.addEventListener('input', (event) => {
    const id = (event.target as HTMLElement).id;
    if (id === 'file-input' || id === 'model-input') return;
    if (id === 'iterations' && state.phase === 'paused') return;
    if (id) views.settingChanged(id);
    onSettingsChanged();
  });
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="data"]')) {
    radio.addEventListener('change', () => {
      dispatch({ type: 'data-choice-changed', choice: radio.value as DataChoice });
      views.settingChanged('data-choices');
      onSettingsChanged();
    });
  }
  el.device.addEventListener('change', () => {
    views.settingChanged('device');
    updateDeviceHint();
    syncLink();
  });
  el.copyLink.addEventListener('click', () => void copyLink());
  // Rescaling changes what the files hold: the worker reads them again.
  el.normalize.addEventListener('change', () => {
    const files = state.data.files;
    if (!files || settingsLocked(state.phase)) return;
    dispatch({ type: 'files-chosen', names: files.map((f) => f.name) });
    send({ type: 'inspect', files, config: readForm(preset, fileNames()) });
  });
  for (const button of document.querySelectorAll<HTMLButtonElement>('.preset')) {
    button.addEventListener('click', () => applyPreset(button.dataset.preset as PresetName));
  }
  el.pause.addEventListener('click', () => {
    if (state.phase !== 'training') return;
    dispatch({ type: 'pause-requested' });
    send({ type: 'pause' });
  });
  el.resume.addEventListener('click', resumeRun);
  el.stop.addEventListener('click', () => {
    if (state.phase !== 'training' && state.phase !== 'paused' && state.phase !== 'pausing') return;
    dispatch({ type: 'stop-requested' });
    send({ type: 'stop' });
  });
  for (const [kind, button] of Object.entries(el.exports) as [ExportKind, HTMLButtonElement][]) {
    button.addEventListener('click', () => send({ type: 'export', kind }));
  }
  el.resumeRun.addEventListener('click', () => void resumeSaved());
  el.discardRun.addEventListener('click', () => {
    dispatch({ type: 'offer-dismissed' });
    void clearRun().catch(() => undefined);
  });

  views.render(state);
  views.showLinkProblems(url.problems);
  void Promise.all([checkWebGpu(), offerSavedRun()]).then(() => {
    if (url.autostart && state.phase === 'idle') startFromForm();
  });
}

init();
