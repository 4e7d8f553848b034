/**
 * The trainer page's drawing: render(state) brings the DOM up to date with a state from
 * ./state.ts, touching only what changed since the last call — the controls, the counters and
 * status line, the charts (cost and ρ̂), the features and reconstructions, the banner that offers
 * a saved run. It decides nothing the reducer should.
 */
import { describeUnits } from '../../analysis/units';
import { drawNetwork } from '../../display/canvas';
import { chartTimings, formatNumber, LogLineChart, TargetBarChart } from '../common/charts';
import { drawPairs, integerScale } from '../common/draw';
import { updateFieldVisibility } from './settings';
import { busy, describeSaved, formatCost, formatSeconds, statusParts, type Phase, type RunState, type TrainerState } from './state';

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
    exports: [$<HTMLButtonElement>('export-png'), $<HTMLButtonElement>('export-json'), $<HTMLButtonElement>('export-mat')],
  };
  private readonly costChart = new LogLineChart(this.el.costChart, series, { xLabel: 'iteration', empty: 'the cost appears here while training' });
  private readonly rhoChart = new TargetBarChart(this.el.rhoChart, {
    targetLabel: (rho) => `target ρ = ${formatNumber(rho)}`,
    empty: 'ρ̂ appears here while training',
  });
  private last: TrainerState | undefined;
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
    if (!last || state.phase !== last.phase || run?.restored !== lastRun?.restored) {
      document.body.dataset.state = state.phase;
      this.el.state.textContent = run?.restored && state.phase === 'finished' ? 'Restored' : stateLabels[state.phase];
    }
    this.renderExports(state);
    if (state.error !== last?.error) show(this.el.configError, state.error);
    if (state.data !== last?.data) {
      this.el.dataInfo.textContent = state.data.info;
      show(this.el.dataError, state.data.error);
    }
    if (state.offer !== last?.offer) this.renderOffer(state);
    if (state.saveError !== last?.saveError && state.saveError) this.el.footnote.textContent = state.saveError;
    this.renderStatusLine(state);
    if (!run) return;
    if (newRun || run !== lastRun) this.renderRun(run, newRun ? undefined : lastRun);
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
      el.featuresMeta.textContent = `iteration ${iteration}`;
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
      el.rhoMeta.textContent = run.rho ? `${run.rho.label} · mean ${formatNumber(mean, 3)}` : '';
    }
    if (run.summary !== last?.summary) {
      const units = run.summary?.units;
      el.unitStats.textContent = units ? describeUnits(units, run.config.hiddenSize) : '';
      el.unitStats.hidden = !units;
    }
  }

  private drawReconstructions(run: RunState): void {
    const { sample, geometry: tile, sampleCount } = run;
    if (!sample || !tile || !sampleCount) return;
    // As large as fits beside the row labels, in whole pixels.
    const room = (this.el.recon.parentElement?.clientWidth ?? 500) - 110 - 2 * (sampleCount - 1);
    drawPairs(this.el.recon, sample, run.reconstructions?.values, sampleCount, tile, integerScale(sampleCount * tile.width, room, 8));
    if (run.reconstructions?.iteration !== undefined) this.el.reconMeta.textContent = `iteration ${run.reconstructions.iteration}`;
  }
}

function show(target: HTMLElement, message: string | undefined): void {
  target.textContent = message ?? '';
  target.hidden = !message;
}
