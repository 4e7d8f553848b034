/**
 * The trainer page's drawing: render(state) brings the DOM up to date with a state from
 * ./state.ts, touching only what changed since the last call — the controls, the counters and
 * status line, the charts (cost and ρ̂), the features and reconstructions, the banner that offers
 * a saved run. It decides nothing the reducer should; the words for the state's facts (the status
 * line, problems, the banner) are here, as pure functions (test/pages/trainer-views.test.ts).
 */
import { describeUnits } from '../../analysis/units';
import { drawNetwork } from '../../display/canvas';
import { chartTimings, formatNumber, LogLineChart, TargetBarChart } from '../common/charts';
import { drawPairs, integerScale } from '../common/draw';
import { markInvalid } from '../common/link';
import type { LinkProblem } from './link';
import { updateFieldVisibility } from './settings';
import type { RunSummary } from './protocol';
import { busy, type DataInfo, type FailedStep, type ModelFile, type Offer, type Phase, type Problem, type RunNote, type RunState, type TrainerState } from './state';
import type { SavedRun } from './store';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const stateLabels: Record<Phase, string> = {
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

/** The counters show a run once it has reported an iteration (or was restored, or has ended). */
const reported = (run: RunState) => run.rates.length > 0 || run.summary !== undefined || run.restored === true;

export class TrainerViews {
  private readonly el = {
    resumeBanner: $('resume-banner'),
    resumeTitle: $('resume-title'),
    resumeText: $('resume-text'),
    resumeRun: $<HTMLButtonElement>('resume-run'),
    settings: $<HTMLFieldSetElement>('settings'),
    dataInfo: $('data-info'),
    dataError: $('data-error'),
    modelInfo: $('model-info'),
    modelError: $('model-error'),
    configError: $('config-error'),
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
    linkError: $('link-error'),
    copyStatus: $('copy-link-status'),
    exports: [$<HTMLButtonElement>('export-png'), $<HTMLButtonElement>('export-json'), $<HTMLButtonElement>('export-mat')],
  };
  private readonly costChart = new LogLineChart(this.el.costChart, series, { xLabel: 'iteration', empty: 'the cost appears here while training' });
  private readonly rhoChart = new TargetBarChart(this.el.rhoChart, {
    targetLabel: (rho) => `target ρ = ${formatNumber(rho)}`,
    empty: 'ρ̂ appears here while training',
  });
  private last: TrainerState | undefined;
  /** The link's values that could not be used and are still as the link left them. */
  private linkProblems: LinkProblem[] = [];
  private statusText = '';
  private legendText = '';

  /** `onControlsEnabled`: the settings form's own rules, applied whenever the controls unlock. */
  constructor(private readonly onControlsEnabled: () => void) {}

  render(state: TrainerState): void {
    const last = this.last;
    this.last = state;
    const run = state.run;
    const lastRun = last?.run;
    const newRun = run?.id !== lastRun?.id;
    if (newRun) this.clearRun();
    if (!last || state.phase !== last.phase || state.webgpu !== last.webgpu) this.renderControls(state.phase);
    if (!last || state.phase !== last.phase || run?.restored !== lastRun?.restored || run?.opened !== lastRun?.opened) {
      document.body.dataset.state = state.phase;
      this.el.state.textContent = state.phase === 'finished' && run?.restored ? 'Restored' : state.phase === 'finished' && run?.opened ? 'Opened' : stateLabels[state.phase];
    }
    this.renderExports(state);
    if (state.error !== last?.error) show(this.el.configError, state.error && problemText(state.error));
    if (state.data !== last?.data) {
      this.el.dataInfo.textContent = dataInfoText(state.data.info);
      show(this.el.dataError, state.data.error && problemText(state.data.error));
    }
    if (state.modelFile !== last?.modelFile) {
      this.el.modelInfo.textContent = modelFileText(state.modelFile);
      show(this.el.modelError, state.modelFile?.kind === 'refused' ? modelRefusedText(state.modelFile) : undefined);
    }
    if (state.offer !== last?.offer) this.renderOffer(state);
    if (state.saveError !== last?.saveError && state.saveError) this.el.footnote.textContent = saveFailedText(state.saveError);
    this.renderStatusLine(state);
    if (!run) return;
    if (newRun || run !== lastRun) this.renderRun(run, newRun ? undefined : lastRun);
  }

  /** Marks each field whose value in the link could not be used, and says why under the heading. */
  showLinkProblems(problems: readonly LinkProblem[]): void {
    for (const problem of this.linkProblems) markInvalid(document.getElementById(linkFieldIds[problem.field]), false);
    this.linkProblems = [...problems];
    for (const problem of problems) markInvalid(document.getElementById(linkFieldIds[problem.field]), true);
    show(this.el.linkError, problems.length > 0 ? linkProblemsText(problems) : undefined);
  }

  /** The person changed a control (by its id): a mark from the link on it is no longer true. */
  settingChanged(id: string): void {
    const left = this.linkProblems.filter((p) => linkFieldIds[p.field] !== id && !(id.startsWith('preset') && p.field === 'preset'));
    if (left.length !== this.linkProblems.length) this.showLinkProblems(left);
  }

  showCopied(copied: boolean): void {
    this.el.copyStatus.textContent = copyLinkText(copied);
  }

  /** The main thread's own work while training (measured by main.ts). */
  showFootnote(text: string): void {
    this.el.footnote.textContent = text;
  }

  // ---------------------------------------------------------------- controls

  private renderControls(phase: Phase): void {
    const el = this.el;
    const isBusy = busy(phase);
    el.settings.disabled = isBusy || phase === 'paused';
    // While paused only the number of iterations may change (resume runs to the new total).
    el.iterationsInput.disabled = isBusy;
    el.iterationsInput.closest('label')!.classList.toggle('keep-enabled', phase === 'paused');
    const controls = el.settings.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLButtonElement>('input, select, button');
    if (phase === 'paused') {
      el.settings.disabled = false;
      for (const control of controls) control.disabled = control !== el.iterationsInput;
    } else if (!isBusy) {
      for (const control of controls) control.disabled = false;
      this.onControlsEnabled();
      updateFieldVisibility();
    }
    el.start.hidden = phase === 'training' || phase === 'pausing' || phase === 'paused';
    el.start.disabled = isBusy;
    el.pause.hidden = !(phase === 'training' || phase === 'pausing');
    el.pause.disabled = phase !== 'training';
    el.resume.hidden = phase !== 'paused';
    el.stop.disabled = !(phase === 'training' || phase === 'paused' || phase === 'pausing');
  }

  private renderExports(state: TrainerState): void {
    const haveModel = !!state.run?.theta || (state.run?.featuresDrawn ?? 0) > 0;
    const disabled = !haveModel || state.phase === 'loading';
    for (const button of this.el.exports) button.disabled = disabled;
  }

  private renderOffer(state: TrainerState): void {
    const offer = state.offer;
    this.el.resumeBanner.hidden = !offer;
    if (!offer) return;
    const words = describeSaved(offer.record, offer.reason);
    this.el.resumeTitle.textContent = words.title;
    this.el.resumeText.textContent = words.text;
    this.el.resumeRun.textContent = words.action;
  }

  // ---------------------------------------------------------------- status

  private renderStatusLine(state: TrainerState): void {
    const parts = statusParts(state);
    const text = parts.join('\u0000');
    if (text === this.statusText) return;
    this.statusText = text;
    const line = this.el.statusLine;
    line.replaceChildren();
    parts.forEach((part, i) => {
      if (i > 0) {
        const sep = document.createElement('span');
        sep.className = 'sep';
        sep.textContent = '•';
        line.append(sep);
      }
      line.append(part);
    });
  }

  private renderLegend(run: RunState | undefined): void {
    const p = run?.parts;
    const values = [run?.cost, p?.reconstruction, p?.weightDecay, p?.sparsity];
    const texts = values.map((v) => (v === undefined || !Number.isFinite(v) ? '' : formatNumber(v, 4)));
    const key = texts.join('|');
    if (key === this.legendText && this.el.costLegend.childElementCount > 0) return;
    this.legendText = key;
    this.el.costLegend.replaceChildren(
      ...series.map((s, k) => {
        const li = document.createElement('li');
        li.style.color = s.color;
        const swatch = document.createElement('i');
        if (s.dashed) swatch.className = 'dashed';
        const name = document.createElement('span');
        name.textContent = s.name;
        name.style.color = 'var(--ink-2)';
        const value = document.createElement('b');
        value.textContent = texts[k];
        li.append(swatch, name, value);
        return li;
      }),
    );
  }

  // ---------------------------------------------------------------- the run

  /** A new run starts from blank pictures and counters. */
  private clearRun(): void {
    const el = this.el;
    this.costChart.clear();
    this.rhoChart.set(undefined, NaN);
    el.rhoMeta.textContent = '';
    el.featuresMeta.textContent = '';
    el.reconMeta.textContent = '';
    el.featuresPlaceholder.hidden = false;
    el.features.width = 1;
    el.features.height = 1;
    el.recon.width = 1;
    el.recon.height = 1;
    el.unitStats.hidden = true;
    this.renderLegend(undefined);
    for (const cell of [el.iteration, el.cost, el.rateIterations, el.rateEvaluations, el.elapsed]) cell.textContent = '–';
    el.progress.style.width = '0';
    chartTimings.longest = 0;
  }

  private renderRun(run: RunState, last: RunState | undefined): void {
    const el = this.el;
    if (reported(run)) {
      el.iteration.textContent = `${run.iteration} / ${run.totalIterations}`;
      el.cost.textContent = formatCost(run.cost);
      el.elapsed.textContent = formatSeconds(run.elapsedSeconds);
      el.progress.style.width = `${Math.min(100, (100 * run.iteration) / Math.max(1, run.totalIterations))}%`;
      if (run.speed) {
        el.rateIterations.textContent = run.speed.iterations.toFixed(1);
        el.rateEvaluations.textContent = run.speed.evaluations.toFixed(1);
      }
    }
    if (run.cost !== last?.cost || run.parts !== last?.parts) this.renderLegend(run);
    if (run.history !== last?.history) this.costChart.load(run.history);
    if (run.features && run.features !== last?.features) {
      const { image, iteration } = run.features;
      drawNetwork(el.features, image, { scale: integerScale(image.width, 460, 12) });
      el.featuresPlaceholder.hidden = true;
      el.featuresMeta.textContent = run.opened ? run.opened.name : `iteration ${iteration}`;
      el.features.dataset.iteration = String(iteration);
    }
    if (run.reconstructions && run.reconstructions !== last?.reconstructions) this.drawReconstructions(run);
    if (run.rho !== last?.rho) {
      this.rhoChart.set(run.rho?.values, run.rho ? run.config.sparsityParam : NaN);
      let mean = 0;
      if (run.rho) {
        for (const v of run.rho.values) mean += v;
        mean /= run.rho.values.length;
      }
      el.rhoMeta.textContent = run.rho ? `${run.opened ? 'every example of the data' : rhoLabel(run.rho)} · mean ${formatNumber(mean, 3)}` : '';
    }
    if (run.summary !== last?.summary || run.opened !== last?.opened) {
      const units = run.summary?.units ?? run.opened?.units;
      el.unitStats.textContent = units ? describeUnits(units, run.config.hiddenSize) : '';
      el.unitStats.hidden = !units;
    }
  }

  private drawReconstructions(run: RunState): void {
    const { sample, geometry, pixelGeometry, sampleCount } = run;
    if (!sample || !geometry || !sampleCount) return;
    // Color patches in color (their three planes), as the features are drawn.
    const color = pixelGeometry?.channels === 3;
    const tile = color ? { width: pixelGeometry.width, height: pixelGeometry.height } : geometry;
    // As large as fits beside the row labels, in whole pixels.
    const room = (this.el.recon.parentElement?.clientWidth ?? 500) - 110 - 2 * (sampleCount - 1);
    drawPairs(this.el.recon, sample, run.reconstructions?.values, sampleCount, tile, integerScale(sampleCount * tile.width, room, 8), color ? 3 : 1);
    if (run.opened) this.el.reconMeta.textContent = run.opened.name;
    else if (run.reconstructions?.iteration !== undefined) this.el.reconMeta.textContent = `iteration ${run.reconstructions.iteration}`;
  }
}

function show(target: HTMLElement, message: string | undefined): void {
  target.textContent = message ?? '';
  target.hidden = !message;
}

// ------------------------------------------------------------------ words

/** The control that shows each field a link can set. */
const linkFieldIds: Record<LinkProblem['field'], string> = {
  hiddenSize: 'hiddenSize',
  seed: 'seed',
  patchSize: 'patchSize',
  patches: 'patches',
  sparsityParam: 'sparsityParam',
  beta: 'beta',
  lambda: 'lambda',
  iterations: 'iterations',
  learningRate: 'learningRate',
  momentum: 'momentum',
  batchSize: 'batchSize',
  preset: 'presets',
  data: 'data-choices',
  device: 'device',
  optimizer: 'optimizer',
  output: 'output',
};

const linkFieldLabels: Record<LinkProblem['field'], string> = {
  hiddenSize: 'Hidden units',
  seed: 'Seed',
  patchSize: 'Patch size',
  patches: 'Patches',
  sparsityParam: 'Sparsity ρ',
  beta: 'Sparsity weight β',
  lambda: 'Weight decay λ',
  iterations: 'Iterations',
  learningRate: 'Learning rate',
  momentum: 'Momentum',
  batchSize: 'Batch size',
  preset: 'Preset',
  data: 'Data',
  device: 'Train on',
  optimizer: 'Method',
  output: 'Output layer',
};

const choiceFields = new Set<LinkProblem['field']>(['preset', 'data', 'device', 'optimizer', 'output']);

/** What the link got wrong, field by field; the marked fields hold their defaults instead. */
export function linkProblemsText(problems: readonly LinkProblem[]): string {
  const items = problems.map((p) => {
    const why = p.reason ?? (choiceFields.has(p.field) ? 'not one of the choices' : 'not a number');
    return `${linkFieldLabels[p.field]} “${p.value}” (${why})`;
  });
  const plural = problems.length > 1;
  return `This link had ${plural ? 'values' : 'a value'} that cannot be used; the default${plural ? 's are' : ' is'} in ${plural ? 'their places' : 'its place'}, marked: ${items.join('; ')}.`;
}

/** After Copy link: where the link is. */
export function copyLinkText(copied: boolean): string {
  return copied ? 'Link copied: it opens this page with these settings.' : 'The browser did not allow copying: the address bar holds the same link.';
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - 60 * m)} s`;
}

export function formatCost(cost: number): string {
  return Number.isFinite(cost) ? cost.toPrecision(6) : '–';
}

const formatDate = (t: number) => new Date(t).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' });

const failedStep: Record<FailedStep, string> = { data: 'load the data', engine: 'set up the engine', config: 'use these settings', training: 'train', device: 'train' };

/** A problem under the controls or the data choice. */
export function problemText(problem: Problem): string {
  switch (problem.kind) {
    case 'message':
      return problem.message;
    case 'file-unreadable':
      return `the file could not be read: ${problem.message}`;
    case 'bad-iterations':
      return `iterations must be a whole number ≥ 0, got ${problem.text}`;
  }
}

/** The line under the data choice. */
export function dataInfoText(info: DataInfo): string {
  switch (info.kind) {
    case 'none':
      return '';
    case 'choose':
      return 'Drop a file on the page or choose one.';
    case 'reading':
      return `Reading ${info.names.join(', ')}…`;
    case 'files':
      return info.names.join(', ');
    case 'inspected':
      return `${info.description} (${info.examples.toLocaleString('en')} examples of ${info.visibleSize} values)`;
  }
}

/** What the ρ̂ chart shows: the iteration, and "all examples" for the pass at a run's end. */
export function rhoLabel(rho: NonNullable<RunState['rho']>): string {
  return `iteration ${rho.iteration}${rho.allExamples ? ', all examples' : ''}`;
}

/** The line under "open a model.json": what became of the latest one. */
export function modelFileText(file: ModelFile | undefined): string {
  if (!file) return '';
  if (file.kind === 'opening') return `Opening ${file.name}…`;
  if (file.kind === 'opened') return `Showing ${file.name}.`;
  return '';
}

export const modelRefusedText = (file: Extract<ModelFile, { kind: 'refused' }>) =>
  `${file.name} could not be opened: ${file.message.startsWith(`${file.name}: `) ? file.message.slice(file.name.length + 2) : file.message}. The page is as it was.`;

export const saveFailedText = (message: string) => `The run could not be saved for a reload: ${message}`;

function endNote(reason: 'finished' | 'stopped', summary: RunSummary, optimizer: string): string {
  if (summary.divergedAt !== undefined) {
    return (
      `diverged: the cost is not finite at iteration ${summary.divergedAt}; shown is θ from iteration ${summary.iterations}, the last with a finite cost (J ${formatCost(summary.finalCost)})` +
      `${optimizer === 'lbfgs' ? '' : ' — try a smaller learning rate'}`
    );
  }
  const exit = summary.exitReason === 'max-iterations' ? 'reached the iteration limit' : summary.exitReason.replace(/-/g, ' ');
  return (
    `${reason === 'finished' ? 'done' : 'stopped'}: ${summary.iterations} iterations, ${summary.evaluations} evaluations in ${formatSeconds(summary.seconds)}; ` +
    `J ${formatCost(summary.initialCost)} → ${formatCost(summary.finalCost)} (${exit})`
  );
}

function noteText(note: RunNote): string {
  switch (note.kind) {
    case 'restored':
      return `restored from ${formatDate(note.savedAt)}`;
    case 'opened':
      return `opened ${note.name}${note.whitened ? ', these patches whitened with its own meanPatch and ZCAWhite' : ''}: its features, ρ̂ and reconstructions on these data`;
    case 'paused':
      return `paused at iteration ${note.iteration}: resume continues from here`;
    case 'ended':
      return endNote(note.reason, note.summary, note.optimizer);
  }
}

/** The status line's parts: a message of its own, or what the run is on and the note. */
export function statusParts(state: TrainerState): string[] {
  const line = state.statusLine;
  switch (line.kind) {
    case 'idle':
      return ['Choose data and settings, then start training.'];
    case 'starting':
      return ['Starting…'];
    case 'worker':
      return [line.text];
    case 'failed':
      return [`Could not ${failedStep[line.step]}.`];
    case 'device-lost': {
      const at = line.iteration !== undefined ? ` at iteration ${line.iteration}` : '';
      const kept =
        line.checkpointIteration !== undefined
          ? `Its checkpoint from iteration ${line.checkpointIteration} is kept in this browser: resume from it on a new device.`
          : 'No checkpoint of this run had been saved yet: start it again.';
      return [`The GPU was lost${at}. ${kept}`];
    }
  }
  const run = state.run;
  const note = line.note && noteText(line.note);
  if (!run) return note ? [note] : [];
  const checkpoint = run.checkpointIteration !== undefined ? `checkpoint saved at iteration ${run.checkpointIteration}` : undefined;
  const shape = run.shape ? `${run.shape.visibleSize}-${run.shape.hiddenSize}` : undefined;
  return [run.description, shape, engineText(run), run.fallback, checkpoint, note].filter((p): p is string => !!p);
}

/** The engine a run is on; before the worker has said, the one asked for. */
function engineText(run: RunState): string {
  if (!run.engine) return run.device === 'gpu' ? 'WebGPU' : 'float64 reference';
  if (run.engine.backend === 'cpu') return 'float64 reference on the CPU';
  return `WebGPU on ${run.engine.adapter}${run.engine.kernels ? `; kernels: ${run.engine.kernels}` : ''}`;
}

/** The banner's words for a saved run. */
export function describeSaved(saved: SavedRun, reason: Offer['reason'] = 'reload'): { title: string; text: string; action: string } {
  const when = formatDate(saved.savedAt);
  const data = saved.config.data === 'natural' ? 'natural images' : saved.config.data === 'mnist' ? 'MNIST digits' : saved.config.data;
  const method = { lbfgs: 'L-BFGS', gd: 'gradient descent', sgd: 'SGD', adam: 'Adam' }[saved.config.optimizer];
  const common = `${data}, ${saved.config.hiddenSize} hidden units, ${method} on ${saved.device === 'gpu' ? 'WebGPU' : 'the CPU'}`;
  if (saved.kind === 'checkpoint') {
    const pairs = saved.keptCorrections ? ` (kept with the newest ${saved.keptCorrections.kept} of ${saved.keptCorrections.of} L-BFGS pairs)` : '';
    if (reason === 'device-lost') {
      return {
        title: 'The GPU was lost during training',
        text: `The run's last checkpoint is kept in this browser: ${common} — iteration ${saved.iteration} of ${saved.totalIterations}, cost ${formatCost(saved.cost)}${pairs}. Resume continues from it on a new device.`,
        action: 'Resume',
      };
    }
    return {
      title: 'An unfinished run was saved',
      text: `Saved ${when}: ${common} — iteration ${saved.iteration} of ${saved.totalIterations}, cost ${formatCost(saved.cost)}${pairs}.`,
      action: 'Resume',
    };
  }
  if (saved.divergedAt !== undefined) {
    return {
      title: 'Your last run diverged',
      text: `Saved ${when}: ${common} — the cost was not finite at iteration ${saved.divergedAt}; kept is θ from iteration ${saved.iterations}, cost ${formatCost(saved.finalCost)}.`,
      action: 'Show it',
    };
  }
  return {
    title: 'Your last trained model',
    text: `Finished ${when}: ${common} — ${saved.iterations} iterations, cost ${formatCost(saved.finalCost)}.`,
    action: 'Show it',
  };
}
