/**
 * The trainer page: settings, data (embedded, MNIST, or the user's files), start / pause /
 * resume / stop, live pictures of the model while it trains, exports, and runs that survive a
 * reload (IndexedDB). The work happens in ./worker.ts; this thread only draws.
 */
import { describeUnits } from '../../analysis/units';
import { drawNetwork } from '../../display/canvas';
import { messageOf } from '../../data/errors';
import { adapterLabel, type AdapterSummary } from '../../gpu/adapter';
import type { TileSize } from '../../display/network';
import type { CostParts } from '../../reference/autoencoder';
import type { Shape } from '../../reference/params';
import { presets, type PresetName, type TrainConfig } from '../../train/config';
import type { UserFile } from '../../train/data';
import type { PixelGeometry } from '../../train/model-files';
import { chartTimings, formatNumber, LogLineChart, TargetBarChart } from '../common/charts';
import { drawPairs, integerScale } from '../common/draw';
import { probeWebGpu, webGpuAdvice, type WebGpuStatus } from '../common/webgpu';
import type { DeviceChoice, ExportKind, FromWorker, RunSummary, ToWorker } from './protocol';
import {
  dataChoice,
  markPreset,
  matchingPreset,
  readForm,
  settingsFromUrl,
  updateFieldVisibility,
  writeForm,
  type DataChoice,
} from './settings';
import { clearRun, loadFiles, loadRun, saveFiles, saveRun, type CostHistory, type SavedRun } from './store';

type State = 'idle' | 'loading' | 'training' | 'pausing' | 'paused' | 'stopping' | 'finished' | 'stopped' | 'error';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const el = {
  adapter: $('adapter'),
  adapterText: $('adapter-text'),
  noWebGpu: $('no-webgpu'),
  noWebGpuHeadline: $('no-webgpu-headline'),
  noWebGpuSteps: $('no-webgpu-steps'),
  resumeBanner: $('resume-banner'),
  resumeTitle: $('resume-title'),
  resumeText: $('resume-text'),
  resumeRun: $<HTMLButtonElement>('resume-run'),
  discardRun: $<HTMLButtonElement>('discard-run'),
  form: $<HTMLFormElement>('controls'),
  settings: $<HTMLFieldSetElement>('settings'),
  dropzone: $('dropzone'),
  fileInput: $<HTMLInputElement>('file-input'),
  chooseFile: $<HTMLButtonElement>('choose-file'),
  dataInfo: $('data-info'),
  dataError: $('data-error'),
  configError: $('config-error'),
  device: $<HTMLSelectElement>('device'),
  deviceHint: $('device-hint'),
  iterationsInput: $<HTMLInputElement>('iterations'),
  start: $<HTMLButtonElement>('start'),
  pause: $<HTMLButtonElement>('pause'),
  resume: $<HTMLButtonElement>('resume'),
  stop: $<HTMLButtonElement>('stop'),
  state: $('state'),
  iteration: $('iteration'),
  cost: $('cost'),
  rateIterations: $('rate-iterations'),
  rateEvaluations: $('rate-evaluations'),
  elapsed: $('elapsed'),
  progress: $('progress'),
  statusLine: $('status-line'),
  unitStats: $('unit-stats'),
  features: $<HTMLCanvasElement>('features'),
  featuresPlaceholder: $('features-placeholder'),
  featuresMeta: $('features-meta'),
  costChart: $<HTMLCanvasElement>('cost-chart'),
  costLegend: $('cost-legend'),
  rhoChart: $<HTMLCanvasElement>('rho-chart'),
  rhoMeta: $('rho-meta'),
  recon: $<HTMLCanvasElement>('recon'),
  reconMeta: $('recon-meta'),
  footnote: $('footnote'),
  exports: { png: $<HTMLButtonElement>('export-png'), json: $<HTMLButtonElement>('export-json'), mat: $<HTMLButtonElement>('export-mat') },
};

const stateLabels: Record<State, string> = {
  idle: 'Idle',
  loading: 'Preparing',
  training: 'Training',
  pausing: 'Pausing…',
  paused: 'Paused',
  stopping: 'Stopping…',
  finished: 'Finished',
  stopped: 'Stopped',
  error: 'Error',
};

const series = [
  { name: 'J total', color: '#1c2433', width: 2.2 },
  { name: 'reconstruction', color: '#2463c9', dashed: true },
  { name: 'weight decay', color: '#1f8a4c', dashed: true },
  { name: 'sparsity', color: '#d9731a', dashed: true },
];

// ------------------------------------------------------------------ state

const url = settingsFromUrl(location.search);
let state: State = 'idle';
let webgpu: WebGpuStatus | undefined;
let preset: TrainConfig['preset'] = url.config.preset;
let userFiles: UserFile[] | undefined;
let userFilesValid = false;
/** The run the worker is on. */
let run:
  | {
      config: TrainConfig;
      device: DeviceChoice;
      description: string;
      maxExamples?: number;
      shape?: Shape;
      pixelGeometry?: PixelGeometry;
      geometry?: TileSize;
      sample?: Float64Array;
      sampleCount?: number;
      iteration: number;
      totalIterations: number;
      evaluations: number;
      elapsedSeconds: number;
      cost: number;
      startIteration: number;
      /** The engine actually used ('cpu: float64 reference…'), and why not the GPU if asked. */
      engine?: string;
      fallback?: string;
      checkpointIteration?: number;
      meanActivation?: Float64Array;
      summary?: RunSummary;
      theta?: Float64Array;
    }
  | undefined;
let savedRun: SavedRun | undefined;
const rates: { t: number; iteration: number; evaluations: number }[] = [];
/** Where this page's part of the run began, for the average rates at the end. */
let rateOrigin: { t: number; iteration: number; evaluations: number } | undefined;

const costChart = new LogLineChart(el.costChart, series, { xLabel: 'iteration', empty: 'the cost appears here while training' });
const rhoChart = new TargetBarChart(el.rhoChart, {
  targetLabel: (rho) => `target ρ = ${formatNumber(rho)}`,
  empty: 'ρ̂ appears here while training',
});

/** What tests (and curious people) can read: window.trainer. */
const stats = {
  state: 'idle' as State,
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
(window as unknown as { trainerHistory(): number[] }).trainerHistory = () => costChart.data().x;

// ------------------------------------------------------------------ worker

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'trainer' });
worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const started = performance.now();
  onWorkerMessage(event.data);
  const took = performance.now() - started;
  if (took > 100) stats.slowWork++;
  stats.longestWorkMs = Math.max(stats.longestWorkMs, Math.round(took), Math.round(chartTimings.longest));
};
worker.onerror = (event) => {
  event.preventDefault();
  fail(`the training worker failed: ${event.message || 'unknown error'}`);
};

function send(message: ToWorker, transfer: Transferable[] = []): void {
  worker.postMessage(message, transfer);
}

// ------------------------------------------------------------------ UI helpers

function setState(next: State): void {
  state = next;
  stats.state = next;
  document.body.dataset.state = next;
  el.state.textContent = stateLabels[next];
  const busy = next === 'loading' || next === 'training' || next === 'pausing' || next === 'stopping';
  el.settings.disabled = busy || next === 'paused';
  // While paused only the number of iterations may change (resume runs to the new total).
  el.iterationsInput.disabled = busy;
  el.iterationsInput.closest('label')!.classList.toggle('keep-enabled', next === 'paused');
  if (next === 'paused') {
    el.settings.disabled = false;
    for (const control of el.settings.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLButtonElement>('input, select, button')) {
      control.disabled = control !== el.iterationsInput;
    }
  } else if (!busy) {
    for (const control of el.settings.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLButtonElement>('input, select, button')) {
      control.disabled = false;
    }
    applyDeviceAvailability();
    updateFieldVisibility();
  }
  el.start.hidden = next === 'training' || next === 'pausing' || next === 'paused';
  el.start.disabled = busy;
  el.pause.hidden = !(next === 'training' || next === 'pausing');
  el.pause.disabled = next !== 'training';
  el.resume.hidden = next !== 'paused';
  el.stop.disabled = !(next === 'training' || next === 'paused' || next === 'pausing');
  const haveModel = !!run?.theta || stats.featuresDrawn > 0;
  for (const button of Object.values(el.exports)) button.disabled = !haveModel || next === 'loading';
  if (next === 'training' || next === 'loading') el.resumeBanner.hidden = true;
}

function showError(target: HTMLElement, message: string | undefined): void {
  target.textContent = message ?? '';
  target.hidden = !message;
}

function fail(message: string): void {
  stats.lastError = message;
  showError(el.configError, message);
  setState(run?.theta ? 'stopped' : 'error');
}

function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - 60 * m)} s`;
}

function formatCost(cost: number): string {
  return Number.isFinite(cost) ? cost.toPrecision(6) : '–';
}

function setStatusLine(parts: (string | undefined)[]): void {
  el.statusLine.replaceChildren();
  parts
    .filter((p): p is string => !!p)
    .forEach((text, i) => {
      if (i > 0) {
        const sep = document.createElement('span');
        sep.className = 'sep';
        sep.textContent = '•';
        el.statusLine.append(sep);
      }
      el.statusLine.append(text);
    });
}

function runStatusLine(extra?: string): void {
  if (!run) return;
  const engine = run.engine ?? (run.device === 'gpu' ? 'WebGPU' : 'float64 reference');
  const checkpoint = run.checkpointIteration !== undefined ? `checkpoint saved at iteration ${run.checkpointIteration}` : undefined;
  const shape = run.shape ? `${run.shape.visibleSize}-${run.shape.hiddenSize}` : undefined;
  setStatusLine([run.description, shape, engine, run.fallback, checkpoint, extra]);
}

function updateLegend(parts: CostParts | undefined, cost: number): void {
  const values = [cost, parts?.reconstruction, parts?.weightDecay, parts?.sparsity];
  el.costLegend.replaceChildren(
    ...series.map((s, k) => {
      const li = document.createElement('li');
      li.style.color = s.color;
      const swatch = document.createElement('i');
      if (s.dashed) swatch.className = 'dashed';
      const name = document.createElement('span');
      name.textContent = s.name;
      name.style.color = 'var(--ink-2)';
      const value = document.createElement('b');
      const v = values[k];
      value.textContent = v === undefined || !Number.isFinite(v) ? '' : formatNumber(v, 4);
      li.append(swatch, name, value);
      return li;
    }),
  );
}

function updateCounters(): void {
  if (!run) return;
  el.iteration.textContent = `${run.iteration} / ${run.totalIterations}`;
  el.cost.textContent = formatCost(run.cost);
  el.elapsed.textContent = formatSeconds(run.elapsedSeconds);
  el.progress.style.width = `${Math.min(100, (100 * run.iteration) / Math.max(1, run.totalIterations))}%`;
  // Rates over the last few seconds (or since the run started or resumed).
  const last = rates[rates.length - 1];
  const first = [...rates].reverse().find((r) => last && last.t - r.t >= 4) ?? rates[0];
  if (last && first && last.t > first.t) {
    const dt = last.t - first.t;
    el.rateIterations.textContent = ((last.iteration - first.iteration) / dt).toFixed(1);
    el.rateEvaluations.textContent = ((last.evaluations - first.evaluations) / dt).toFixed(1);
  }
  stats.iteration = run.iteration;
  stats.cost = run.cost;
}

function drawFeatures(image: { width: number; height: number; values: Float32Array }, iteration: number): void {
  drawNetwork(el.features, image, { scale: integerScale(image.width, 460, 12) });
  el.featuresPlaceholder.hidden = true;
  el.featuresMeta.textContent = `iteration ${iteration}`;
  el.features.dataset.iteration = String(iteration);
  stats.featuresDrawn++;
  stats.featuresIteration = iteration;
}

function drawReconstructions(reconstructions: Float64Array | undefined, iteration?: number): void {
  if (!run?.sample || !run.geometry || !run.sampleCount) return;
  const tile = run.geometry;
  // As large as fits beside the row labels, in whole pixels.
  const room = (el.recon.parentElement?.clientWidth ?? 500) - 110 - 2 * (run.sampleCount - 1);
  drawPairs(el.recon, run.sample, reconstructions, run.sampleCount, tile, integerScale(run.sampleCount * tile.width, room, 8));
  if (iteration !== undefined) el.reconMeta.textContent = `iteration ${iteration}`;
}

function drawRho(meanActivation: Float64Array, target: number, label: string): void {
  rhoChart.set(meanActivation, target);
  let mean = 0;
  for (const v of meanActivation) mean += v;
  mean /= meanActivation.length;
  el.rhoMeta.textContent = `${label} · mean ${formatNumber(mean, 3)}`;
}

function historyUpTo(iteration: number): CostHistory {
  const data = costChart.data();
  let n = data.x.length;
  while (n > 0 && data.x[n - 1] > iteration) n--;
  return { x: data.x.slice(0, n), y: data.y.map((y) => y.slice(0, n)) };
}

// ------------------------------------------------------------------ WebGPU availability

function applyDeviceAvailability(): void {
  const gpuOption = el.device.querySelector<HTMLOptionElement>('option[value="gpu"]')!;
  gpuOption.disabled = webgpu?.available === false;
  if (webgpu?.available === false) el.device.value = 'cpu';
  updateDeviceHint();
}

function updateDeviceHint(): void {
  el.deviceHint.className = 'hint';
  if (el.device.value !== 'cpu') {
    el.deviceHint.textContent = '';
    return;
  }
  const config = readForm(preset, userFiles?.map((f) => f.name).join(', '));
  const examples = config.data === 'mnist' ? 10_000 : config.patches;
  const visible = config.data === 'mnist' ? 784 : config.patchSize ** 2;
  // The reference runs about 70 million multiply-adds of m·v·h a second in V8 (4 per term).
  const seconds = (examples * visible * config.hiddenSize) / 70e6;
  if (Number.isFinite(seconds)) {
    el.deviceHint.textContent = `About ${seconds < 0.1 ? '<0.1' : seconds.toFixed(1)} s per evaluation on the CPU (${examples.toLocaleString('en')} × ${visible}-${config.hiddenSize}).`;
    if (seconds > 0.5) el.deviceHint.className = 'hint warn';
  }
}

async function checkWebGpu(): Promise<void> {
  webgpu = await probeWebGpu();
  if (webgpu.available) {
    el.adapter.dataset.kind = 'gpu';
    const label = adapterLabel(webgpu.adapter);
    el.adapterText.textContent = `WebGPU · ${label}`;
    el.adapter.title = `WebGPU adapter: ${label}`;
    stats.adapter = webgpu.adapter;
    if (url.device) el.device.value = url.device;
  } else {
    el.adapter.dataset.kind = 'cpu';
    el.adapterText.textContent = 'No WebGPU · float64 reference on the CPU';
    const advice = webGpuAdvice(webgpu);
    el.noWebGpuHeadline.textContent = advice.headline;
    el.noWebGpuSteps.replaceChildren(
      ...advice.steps.map((step) => {
        const li = document.createElement('li');
        li.textContent = step;
        return li;
      }),
    );
    el.noWebGpu.hidden = false;
    // Make the default problem small enough for the reference, unless the URL chose sizes.
    if (state === 'idle' && !savedRun) {
      const patches = el.form.querySelector<HTMLInputElement>('#patches')!;
      const iterations = el.iterationsInput;
      if (!url.given.has('patches') && dataChoice() === 'natural') patches.value = '2000';
      if (!url.given.has('iterations')) iterations.value = '100';
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
  if (list.length === 0) return;
  if (state === 'loading' || state === 'training' || state === 'pausing' || state === 'paused' || state === 'stopping') return;
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="data"]')) radio.checked = radio.value === 'file';
  preset = 'custom';
  markPreset(preset);
  updateFieldVisibility();
  showError(el.dataError, undefined);
  el.dataInfo.textContent = `Reading ${[...list].map((f) => f.name).join(', ')}…`;
  try {
    userFiles = await readFiles(list);
  } catch (error) {
    userFiles = undefined;
    userFilesValid = false;
    el.dataInfo.textContent = '';
    showError(el.dataError, `the file could not be read: ${messageOf(error)}`);
    return;
  }
  userFilesValid = false;
  const config = readForm(preset, userFiles.map((f) => f.name).join(', '));
  send({ type: 'inspect', files: userFiles, config });
}

function setupDropzone(): void {
  el.chooseFile.addEventListener('click', () => el.fileInput.click());
  el.fileInput.addEventListener('change', () => {
    if (el.fileInput.files) void takeFiles(el.fileInput.files);
    el.fileInput.value = '';
  });
  const zone = el.dropzone;
  let depth = 0;
  // The whole page accepts a drop; the zone lights up.
  document.addEventListener('dragenter', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    depth++;
    zone.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone.classList.remove('dragging');
  });
  document.addEventListener('dragover', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('drop', (event) => {
    if (!event.dataTransfer?.files.length) return;
    event.preventDefault();
    depth = 0;
    zone.classList.remove('dragging');
    void takeFiles(event.dataTransfer.files);
  });
}

// ------------------------------------------------------------------ runs

function currentConfig(): TrainConfig | undefined {
  const choice: DataChoice = dataChoice();
  if (choice === 'file' && (!userFiles || !userFilesValid)) {
    showError(el.configError, userFiles ? 'Your data could not be read (see above): choose another file or other data.' : 'Choose a file (or drop one on the page) first, or pick other data.');
    return undefined;
  }
  return readForm(preset, userFiles?.map((f) => f.name).join(', '));
}

function resetViews(): void {
  costChart.clear();
  rhoChart.set(undefined, NaN);
  el.rhoMeta.textContent = '';
  el.featuresMeta.textContent = '';
  el.reconMeta.textContent = '';
  el.featuresPlaceholder.hidden = false;
  el.features.width = 1;
  el.features.height = 1;
  el.recon.width = 1;
  el.recon.height = 1;
  updateLegend(undefined, NaN);
  for (const id of ['iteration', 'cost', 'rate-iterations', 'rate-evaluations', 'elapsed']) $(id).textContent = '–';
  el.progress.style.width = '0';
  stats.featuresDrawn = 0;
  stats.featuresIteration = -1;
  stats.checkpointIteration = -1;
  stats.savedIteration = -1;
  stats.resumedFrom = undefined;
  stats.longestTaskMs = 0;
  stats.longestWorkMs = 0;
  stats.slowWork = 0;
  chartTimings.longest = 0;
  stats.initialCost = NaN;
  rates.length = 0;
  rateOrigin = undefined;
}

function beginRun(
  config: TrainConfig,
  device: DeviceChoice,
  options: { resume?: Uint8Array; history?: CostHistory; files?: UserFile[]; maxExamples?: number } = {},
): void {
  showError(el.configError, undefined);
  stats.lastError = '';
  resetViews();
  if (options.history) costChart.load(options.history);
  const maxExamples = 'maxExamples' in options ? options.maxExamples : url.maxExamples;
  run = {
    config,
    device,
    description: '',
    maxExamples,
    iteration: 0,
    totalIterations: config.iterations,
    evaluations: 0,
    elapsedSeconds: 0,
    cost: NaN,
    startIteration: 0,
  };
  setState('loading');
  el.unitStats.hidden = true;
  setStatusLine(['Starting…']);
  const liveEvery = url.liveEvery ?? (config.data === 'mnist' ? 2 : 5);
  // Checkpoints by training time: an L-BFGS checkpoint reads θ and up to 200 correction
  // vectors back from the GPU, cheap for the natural model, 250 MB for MNIST's.
  const thetaLength = 2 * config.hiddenSize * (config.data === 'mnist' ? 784 : config.patchSize ** 2);
  const checkpointEvery = url.checkpointEvery ?? 0;
  const checkpointSeconds = url.checkpointEvery ? 0 : thetaLength > 100_000 ? 30 : 10;
  const files = options.files ?? (config.data === 'natural' || config.data === 'mnist' ? undefined : userFiles);
  void saveFiles(files).catch(() => undefined);
  send({ type: 'start', config, device, files, resume: options.resume, liveEvery, checkpointEvery, checkpointSeconds, maxExamples });
}

function startFromForm(): void {
  if (state === 'loading' || state === 'training' || state === 'pausing' || state === 'stopping') return;
  // Paused, the form holds only the iterations field, and Enter there means "go on".
  if (state === 'paused') {
    el.resume.click();
    return;
  }
  const config = currentConfig();
  if (!config) return;
  beginRun(config, el.device.value === 'gpu' ? 'gpu' : 'cpu');
}

function onWorkerMessage(message: FromWorker): void {
  switch (message.type) {
    case 'inspected':
      if (message.ok) {
        userFilesValid = true;
        showError(el.dataError, undefined);
        el.dataInfo.textContent = `${message.description} (${message.examples.toLocaleString('en')} examples of ${message.visibleSize} values)`;
      } else {
        userFilesValid = false;
        el.dataInfo.textContent = '';
        showError(el.dataError, message.message);
      }
      updateDeviceHint();
      return;
    case 'status':
      setStatusLine([message.text]);
      return;
    case 'ready': {
      if (!run) return;
      Object.assign(run, {
        description: message.description,
        shape: message.shape,
        pixelGeometry: message.pixelGeometry,
        geometry: message.geometry,
        sample: message.sample,
        sampleCount: message.sampleCount,
      });
      stats.device = `${message.device.backend}: ${message.device.adapter}`;
      if (message.adapter) stats.adapter = message.adapter;
      const adapter = message.adapter ?? stats.adapter;
      run.engine = message.device.backend === 'webgpu' ? `WebGPU on ${adapter ? adapterLabel(adapter) : message.device.adapter}` : 'float64 reference on the CPU';
      run.fallback = message.fallback;
      if (message.resumedFrom) {
        const r = message.resumedFrom;
        Object.assign(run, { iteration: r.iteration, startIteration: r.iteration, evaluations: r.evaluations, elapsedSeconds: r.elapsedSeconds, cost: r.cost });
        stats.initialCost = r.initialCost;
        stats.resumedFrom = { iteration: r.iteration, cost: r.cost };
        rates.push({ t: r.elapsedSeconds, iteration: r.iteration, evaluations: r.evaluations });
        rateOrigin = rates[0];
        costChart.truncateAfter(r.iteration);
        updateCounters();
      }
      drawReconstructions(undefined);
      setState('training');
      runStatusLine();
      showResponsiveness();
      if (message.fallback) {
        el.deviceHint.textContent = message.fallback;
        el.deviceHint.className = 'hint warn';
      }
      return;
    }
    case 'progress': {
      if (!run) return;
      run.iteration = message.iteration;
      run.totalIterations = message.totalIterations;
      run.evaluations = message.evaluations;
      run.elapsedSeconds = message.elapsedSeconds;
      run.cost = message.cost;
      if (!Number.isFinite(stats.initialCost)) stats.initialCost = message.cost;
      if (stats.resumedFrom && stats.resumedFrom.next === undefined) stats.resumedFrom.next = message.iteration;
      rates.push({ t: message.elapsedSeconds, iteration: message.iteration, evaluations: message.evaluations });
      rateOrigin ??= rates[0];
      while (rates.length > 2 && rates[1].t < message.elapsedSeconds - 8) rates.shift();
      const p = message.parts;
      costChart.push(message.iteration, [message.cost, p?.reconstruction ?? NaN, p?.weightDecay ?? NaN, p?.sparsity ?? NaN]);
      updateLegend(p, message.cost);
      updateCounters();
      return;
    }
    case 'view':
      if (!run) return;
      drawFeatures(message.features, message.iteration);
      drawReconstructions(message.reconstructions, message.iteration);
      if (message.meanActivation) {
        run.meanActivation = message.meanActivation;
        drawRho(message.meanActivation, run.config.sparsityParam, `iteration ${message.iteration}`);
      }
      for (const button of Object.values(el.exports)) button.disabled = state === 'loading';
      return;
    case 'checkpoint': {
      if (!run) return;
      run.checkpointIteration = message.iteration;
      stats.checkpointIteration = message.iteration;
      const record: SavedRun = {
        kind: 'checkpoint',
        config: run.config,
        device: run.device,
        description: run.description,
        history: historyUpTo(message.iteration),
        savedAt: Date.now(),
        elapsedSeconds: run.elapsedSeconds,
        evaluations: run.evaluations,
        maxExamples: run.maxExamples,
        iteration: message.iteration,
        totalIterations: message.totalIterations,
        cost: message.cost,
        bytes: message.bytes,
        keptCorrections: message.keptCorrections,
      };
      persist(record);
      runStatusLine();
      return;
    }
    case 'ended':
      onEnded(message.reason, message.summary, message.theta);
      return;
    case 'error':
      if (message.during === 'export') {
        showError(el.configError, message.message);
        return;
      }
      if (message.during === 'data' && run?.config.data !== 'natural' && run?.config.data !== 'mnist') {
        showError(el.dataError, message.message);
      }
      fail(message.message);
      setStatusLine([`Could not ${message.during === 'data' ? 'load the data' : message.during === 'engine' ? 'set up the engine' : message.during === 'config' ? 'use these settings' : 'train'}.`]);
      return;
    case 'exported': {
      const blob = new Blob([message.bytes as BlobPart], { type: message.mime });
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = message.filename;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      return;
    }
  }
}

let persisting: Promise<void> = Promise.resolve();
let queued: SavedRun | undefined;

/** Saves the newest record; records that arrive while one is being written replace each other. */
function persist(record: SavedRun): void {
  const idle = queued === undefined;
  queued = record;
  if (!idle) return;
  persisting = persisting.then(async () => {
    const next = queued!;
    queued = undefined;
    try {
      await saveRun(next);
      stats.savedIteration = next.kind === 'checkpoint' ? next.iteration : next.iterations;
    } catch (error) {
      el.footnote.textContent = `The run could not be saved for a reload: ${messageOf(error)}`;
    }
  });
}

function onEnded(reason: 'paused' | 'stopped' | 'finished', summary: RunSummary, theta: Float64Array): void {
  if (!run) return;
  run.summary = summary;
  run.theta = theta;
  run.iteration = summary.iterations;
  run.evaluations = summary.evaluations;
  run.elapsedSeconds = summary.seconds;
  run.cost = reason === 'paused' ? run.cost : summary.finalCost;
  run.meanActivation = summary.meanActivation;
  drawRho(summary.meanActivation, run.config.sparsityParam, `iteration ${summary.iterations}, all examples`);
  updateCounters();
  showResponsiveness();
  // The average over the whole run, once it is over.
  const start = rateOrigin;
  if (start && summary.seconds > start.t && summary.iterations > start.iteration) {
    el.rateIterations.textContent = ((summary.iterations - start.iteration) / (summary.seconds - start.t)).toFixed(1);
    el.rateEvaluations.textContent = ((summary.evaluations - start.evaluations) / (summary.seconds - start.t)).toFixed(1);
  }
  if (reason === 'paused') {
    setState('paused');
    el.iterationsInput.value = String(run.totalIterations);
    runStatusLine(`paused at iteration ${summary.iterations}: resume continues from here`);
    return;
  }
  el.cost.textContent = formatCost(summary.finalCost);
  stats.cost = summary.finalCost;
  updateLegend(summary.parts, summary.finalCost);
  el.unitStats.textContent = summary.units ? describeUnits(summary.units, run.config.hiddenSize) : '';
  el.unitStats.hidden = !summary.units;
  setState(reason);
  const exit = summary.exitReason === 'max-iterations' ? 'reached the iteration limit' : summary.exitReason.replace(/-/g, ' ');
  if (summary.divergedAt !== undefined) {
    runStatusLine(
      `diverged: the cost is not finite at iteration ${summary.divergedAt}; shown is θ from iteration ${summary.iterations}, the last with a finite cost (J ${formatCost(summary.finalCost)})` +
        `${run.config.optimizer === 'lbfgs' ? '' : ' — try a smaller learning rate'}`,
    );
  } else {
    runStatusLine(
      `${reason === 'finished' ? 'done' : 'stopped'}: ${summary.iterations} iterations, ${summary.evaluations} evaluations in ${formatSeconds(summary.seconds)}; J ${formatCost(summary.initialCost)} → ${formatCost(summary.finalCost)} (${exit})`,
    );
  }
  if (run.shape && run.geometry && run.sample && run.sampleCount !== undefined) {
    persist({
      kind: 'model',
      config: run.config,
      device: run.device,
      description: run.description,
      history: costChart.data(),
      savedAt: Date.now(),
      elapsedSeconds: summary.seconds,
      evaluations: summary.evaluations,
      maxExamples: run.maxExamples,
      shape: run.shape,
      pixelGeometry: run.pixelGeometry,
      geometry: run.geometry,
      theta,
      iterations: summary.iterations,
      finalCost: summary.finalCost,
      parts: summary.parts,
      meanActivation: summary.meanActivation,
      exitReason: summary.exitReason,
      sample: run.sample,
      sampleCount: run.sampleCount,
    });
  }
}

// ------------------------------------------------------------------ saved runs (reload)

function describeSaved(saved: SavedRun): string {
  const when = new Date(saved.savedAt).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' });
  const data = saved.config.data === 'natural' ? 'natural images' : saved.config.data === 'mnist' ? 'MNIST digits' : saved.config.data;
  const method = { lbfgs: 'L-BFGS', gd: 'gradient descent', sgd: 'SGD', adam: 'Adam' }[saved.config.optimizer];
  const common = `${data}, ${saved.config.hiddenSize} hidden units, ${method} on ${saved.device === 'gpu' ? 'WebGPU' : 'the CPU'}`;
  if (saved.kind === 'checkpoint') {
    const pairs = saved.keptCorrections ? ` (kept with the newest ${saved.keptCorrections.kept} of ${saved.keptCorrections.of} L-BFGS pairs)` : '';
    return `Saved ${when}: ${common} — iteration ${saved.iteration} of ${saved.totalIterations}, cost ${formatCost(saved.cost)}${pairs}.`;
  }
  return `Finished ${when}: ${common} — ${saved.iterations} iterations, cost ${formatCost(saved.finalCost)}.`;
}

async function offerSavedRun(): Promise<void> {
  try {
    savedRun = await loadRun();
  } catch {
    savedRun = undefined;
  }
  if (!savedRun || state !== 'idle') return;
  el.resumeTitle.textContent = savedRun.kind === 'checkpoint' ? 'An unfinished run was saved' : 'Your last trained model';
  el.resumeText.textContent = describeSaved(savedRun);
  el.resumeRun.textContent = savedRun.kind === 'checkpoint' ? 'Resume' : 'Show it';
  el.resumeBanner.hidden = false;
}

function formDataFor(config: TrainConfig): DataChoice {
  return config.data === 'natural' || config.data === 'mnist' ? config.data : 'file';
}

async function resumeSaved(): Promise<void> {
  const saved = savedRun;
  if (!saved) return;
  el.resumeBanner.hidden = true;
  preset = saved.config.preset;
  writeForm(saved.config, formDataFor(saved.config));
  el.device.value = saved.device === 'gpu' && webgpu?.available !== false ? 'gpu' : 'cpu';
  let files: UserFile[] | undefined;
  if (formDataFor(saved.config) === 'file') {
    files = await loadFiles().catch(() => undefined);
    if (!files) {
      showError(el.configError, 'The files this run trained on are no longer stored: choose them again and start a new run.');
      return;
    }
    userFiles = files;
    userFilesValid = true;
    el.dataInfo.textContent = files.map((f) => f.name).join(', ');
  }
  if (saved.kind === 'checkpoint') {
    beginRun(saved.config, el.device.value === 'gpu' ? 'gpu' : 'cpu', { resume: saved.bytes, history: saved.history, files, maxExamples: saved.maxExamples });
    return;
  }
  // A finished model: show it, ready for export.
  resetViews();
  costChart.load(saved.history);
  run = {
    config: saved.config,
    device: saved.device,
    description: saved.description,
    shape: saved.shape,
    pixelGeometry: saved.pixelGeometry,
    geometry: saved.geometry,
    sample: saved.sample,
    sampleCount: saved.sampleCount,
    iteration: saved.iterations,
    totalIterations: saved.config.iterations,
    evaluations: saved.evaluations,
    elapsedSeconds: saved.elapsedSeconds,
    cost: saved.finalCost,
    startIteration: saved.iterations,
    theta: saved.theta,
    meanActivation: saved.meanActivation,
  };
  updateCounters();
  updateLegend(saved.parts, saved.finalCost);
  drawRho(saved.meanActivation, saved.config.sparsityParam, `iteration ${saved.iterations}, all examples`);
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
  setState('finished');
  el.state.textContent = 'Restored';
  runStatusLine(`restored from ${new Date(saved.savedAt).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' })}`);
}

// ------------------------------------------------------------------ responsiveness

/**
 * The page's own work per worker message and per chart redraw stays far below a frame budget;
 * long tasks (≥ 50 ms, wall clock) also catch what the browser does for us, and a busy CPU.
 */
function showResponsiveness(): void {
  const tasks = stats.longestTaskMs > 0 ? `; longest task seen ${stats.longestTaskMs} ms` : '; no task over 50 ms';
  el.footnote.textContent = `Main thread while training: the longest piece of this page's own work took ${stats.longestWorkMs} ms${tasks}. Training runs in a worker.`;
}

let measuring = false;
try {
  new PerformanceObserver((list) => {
    if (!measuring) return;
    for (const entry of list.getEntries()) stats.longestTaskMs = Math.max(stats.longestTaskMs, Math.round(entry.duration));
    showResponsiveness();
  }).observe({ type: 'longtask' });
} catch {
  // Long tasks are not reported in every browser.
}

// ------------------------------------------------------------------ wiring

function onSettingsChanged(): void {
  updateFieldVisibility();
  const config = readForm(preset, undefined);
  preset = matchingPreset(config) ?? 'custom';
  markPreset(preset);
  updateDeviceHint();
}

function applyPreset(name: PresetName): void {
  const config = { ...presets[name] };
  if (webgpu?.available === false && name === 'ufldl-natural') {
    config.patches = 2000;
    config.iterations = 100;
  }
  writeForm(config, config.data === 'mnist' ? 'mnist' : 'natural');
  preset = matchingPreset(config) ?? 'custom';
  markPreset(name);
  preset = name;
  showError(el.configError, undefined);
  updateDeviceHint();
}

function init(): void {
  writeForm(url.config, url.data);
  preset = url.config.preset;
  if (url.device) el.device.value = url.device;
  updateLegend(undefined, NaN);
  setupDropzone();

  el.form.addEventListener('submit', (event) => {
    event.preventDefault();
    startFromForm();
  });
  el.form.addEventListener('input', (event) => {
    if ((event.target as HTMLElement).id === 'file-input') return;
    if ((event.target as HTMLElement).id === 'iterations' && state === 'paused') return;
    onSettingsChanged();
  });
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="data"]')) {
    radio.addEventListener('change', () => {
      showError(el.dataError, undefined);
      if (radio.value === 'file' && !userFiles) el.dataInfo.textContent = 'Drop a file on the page or choose one.';
      else if (radio.value !== 'file') el.dataInfo.textContent = '';
      onSettingsChanged();
    });
  }
  el.device.addEventListener('change', updateDeviceHint);
  for (const button of document.querySelectorAll<HTMLButtonElement>('.preset')) {
    button.addEventListener('click', () => applyPreset(button.dataset.preset as PresetName));
  }
  el.pause.addEventListener('click', () => {
    if (state !== 'training') return;
    setState('pausing');
    send({ type: 'pause' });
  });
  el.resume.addEventListener('click', () => {
    if (state !== 'paused' || !run) return;
    const iterations = Number(el.iterationsInput.value);
    if (!(Number.isInteger(iterations) && iterations >= 0)) {
      showError(el.configError, `iterations must be a whole number ≥ 0, got ${el.iterationsInput.value}`);
      return;
    }
    showError(el.configError, undefined);
    run.totalIterations = iterations;
    run.config = { ...run.config, iterations };
    stats.resumedFrom = { iteration: run.iteration, cost: run.cost };
    setState('training');
    runStatusLine();
    send({ type: 'resume', iterations });
  });
  el.stop.addEventListener('click', () => {
    if (state !== 'training' && state !== 'paused' && state !== 'pausing') return;
    setState('stopping');
    send({ type: 'stop' });
  });
  for (const [kind, button] of Object.entries(el.exports) as [ExportKind, HTMLButtonElement][]) {
    button.addEventListener('click', () => send({ type: 'export', kind }));
  }
  el.resumeRun.addEventListener('click', () => void resumeSaved());
  el.discardRun.addEventListener('click', () => {
    el.resumeBanner.hidden = true;
    savedRun = undefined;
    void clearRun().catch(() => undefined);
  });
  const observeStates = new MutationObserver(() => {
    measuring = document.body.dataset.state === 'training';
  });
  observeStates.observe(document.body, { attributes: true, attributeFilter: ['data-state'] });

  setState('idle');
  void Promise.all([checkWebGpu(), offerSavedRun()]).then(() => {
    if (url.autostart && state === 'idle') startFromForm();
  });
}

init();
