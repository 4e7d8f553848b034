/**
 * The SAE page's views: the state (./state.ts) into words, numbers and canvases. The pure parts
 * (labels, colors, the frontier's geometry and hit test, how a decoder direction is drawn) are
 * exported for test/pages/sae-views.test.ts; SaeViews puts them on the page.
 */
import type { DensityHistogram } from '../../analysis/sae-metrics';
import type { SaeVariant } from '../../train/sae-trainer';
import { formatNumber, LogLineChart } from '../common/charts';
import { markInvalid } from '../common/link';
import type { SaeSettings, SaeSnapshot } from './protocol';
import { canStart, type Phase, type SaeState } from './state';
import type { StoredRun } from './store';

export const variantNames: Record<SaeVariant, string> = { topk: 'TopK', batchtopk: 'BatchTopK', 'relu-l1': 'ReLU-L1' };
export const variantColors: Record<SaeVariant, string> = { topk: '#2f6fd6', batchtopk: '#d9822b', 'relu-l1': '#2a9d6a' };

/** "TopK k 5", "ReLU-L1 λ 0.3": the variant and its sparsity setting. */
export function variantLabel(s: Pick<SaeSettings, 'variant' | 'k' | 'l1'>): string {
  return `${variantNames[s.variant]} ${s.variant === 'relu-l1' ? `λ ${s.l1}` : `k ${s.k}`}`;
}

/** A stored run in one line: variant, size, training, data. */
export function runLabel(run: StoredRun): string {
  const s = run.settings;
  return `#${run.id} ${variantLabel(s)}, ${s.latents} latents, ${s.steps} steps × ${s.batchSize}, lr ${s.learningRate}, seed ${s.seed}`;
}

/** Its final numbers in one line. */
export function runMetricsText(run: StoredRun): string {
  const m = run.metrics;
  return `L0 ${m.l0.toFixed(2)} · FVU ${m.fvu.toFixed(4)} · dead ${m.dead}/${m.latents}${m.mmcs !== undefined ? ` · MMCS ${m.mmcs.toFixed(3)}` : ''}`;
}

export const phaseText: Record<Phase, string> = {
  idle: 'Idle',
  loading: 'Preparing',
  training: 'Training',
  pausing: 'Pausing',
  paused: 'Paused',
  stopping: 'Stopping',
  finished: 'Finished',
  error: 'Error',
};

export interface FrontierPoint {
  id: number;
  /** CSS pixels in the plot's canvas. */
  x: number;
  y: number;
  color: string;
}

export interface FrontierGeometry {
  left: number;
  top: number;
  width: number;
  height: number;
  /** The axes' upper ends (both start at 0). */
  l0Max: number;
  fvuMax: number;
  points: FrontierPoint[];
}

export const FRONTIER_MARGIN = { left: 48, right: 12, top: 10, bottom: 30 };

/** Round numbers for an axis from 0: the smallest of 1, 2, 5 × 10ⁿ above `value` × 1.1. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const target = value * 1.1;
  const power = 10 ** Math.floor(Math.log10(target));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((c) => c >= target)!;
}

/** Where each run with finite L0 and FVU lies on a `width` × `height` plot: L0 across, FVU up, both from 0. */
export function frontierGeometry(runs: readonly StoredRun[], width: number, height: number): FrontierGeometry {
  const shown = runs.filter((r) => Number.isFinite(r.metrics.l0) && Number.isFinite(r.metrics.fvu));
  const l0Max = niceCeiling(Math.max(0, ...shown.map((r) => r.metrics.l0)));
  const fvuMax = Math.min(niceCeiling(Math.max(0, ...shown.map((r) => r.metrics.fvu))), Math.max(1, ...shown.map((r) => r.metrics.fvu)));
  const m = FRONTIER_MARGIN;
  const w = Math.max(1, width - m.left - m.right);
  const h = Math.max(1, height - m.top - m.bottom);
  return {
    left: m.left,
    top: m.top,
    width: w,
    height: h,
    l0Max,
    fvuMax,
    points: shown.map((r) => ({
      id: r.id,
      x: m.left + (r.metrics.l0 / l0Max) * w,
      y: m.top + (1 - Math.min(r.metrics.fvu, fvuMax) / fvuMax) * h,
      color: variantColors[r.settings.variant],
    })),
  };
}

/** The run whose point is nearest (x, y) within `radius` CSS pixels; the later run among equals. */
export function runAt(points: readonly FrontierPoint[], x: number, y: number, radius = 8): number | undefined {
  let best: number | undefined;
  let bestDistance = radius * radius;
  for (const p of points) {
    const d = (p.x - x) ** 2 + (p.y - y) ** 2;
    if (d <= bestDistance) {
      best = p.id;
      bestDistance = d;
    }
  }
  return best;
}

/** A decoder direction of d values is drawn as a side × side image when d is a square (≥ 4), else as bars. */
export function imageSide(dimensions: number): number | undefined {
  const side = Math.round(Math.sqrt(dimensions));
  return side >= 2 && side * side === dimensions ? side : undefined;
}

/** The histogram's bars left to right: dead latents first (log₁₀ 0 = −∞), then the bins with their lower edges. */
export function densityBars(h: DensityHistogram): { label: string; count: number; dead?: boolean }[] {
  const bars: { label: string; count: number; dead?: boolean }[] = [{ label: 'dead', count: h.dead, dead: true }];
  // Only the decades that hold latents, and one empty bin either side, so the shape is readable.
  const nonEmpty = h.counts.flatMap((c, i) => (c > 0 ? [i] : []));
  const first = nonEmpty.length ? Math.max(0, nonEmpty[0] - 1) : 0;
  const last = nonEmpty.length ? Math.min(h.counts.length - 1, nonEmpty[nonEmpty.length - 1] + 1) : -1;
  if (h.belowRange > 0) bars.push({ label: `< ${h.edges[0]}`, count: h.belowRange });
  for (let i = first; i <= last; i++) bars.push({ label: String(h.edges[i]), count: h.counts[i] });
  return bars;
}

// ---------------------------------------------------------------------------------------------
// On the page.

const AXIS = '#8a94a6';
const TEXT = '#4b5566';
const FONT = '11px system-ui, -apple-system, "Segoe UI", sans-serif';

function fit(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; width: number; height: number } {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, canvas.clientWidth);
  const height = Math.max(1, canvas.clientHeight);
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  ctx.font = FONT;
  return { ctx, width, height };
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export class SaeViews {
  private readonly loss = new LogLineChart($<HTMLCanvasElement>('loss-chart'), [
    { name: 'batch ‖x − x̂‖²', color: '#2f6fd6', width: 2 },
    { name: 'AuxK or λ·L1 term', color: '#d9822b', dashed: true },
  ], { xLabel: 'step', empty: 'the loss appears here while training' });
  private drawn: { loss?: unknown; snapshot?: unknown; runs?: unknown; hovered?: number; frontierSize?: string } = {};
  /** The frontier's last geometry, for the mouse. */
  geometry?: FrontierGeometry;

  /** `rerender`: draw the state again (the canvases were resized). */
  constructor(rerender: () => void) {
    const observer = new ResizeObserver(() => {
      this.drawn = { loss: this.drawn.loss };
      rerender();
    });
    for (const id of ['frontier', 'density-chart', 'columns']) observer.observe($(id));
  }

  render(state: SaeState): void {
    document.body.dataset.state = state.phase;
    this.renderControls(state);
    this.renderStats(state);
    if (state.loss !== this.drawn.loss) {
      this.drawn.loss = state.loss;
      this.loss.load({ x: state.loss.map((p) => p.step), y: [state.loss.map((p) => p.reconstruction), state.loss.map((p) => p.auxiliary)] });
    }
    const snapshot = state.finished?.snapshot ?? state.snapshot;
    if (snapshot !== this.drawn.snapshot) {
      this.drawn.snapshot = snapshot;
      this.drawDensity(snapshot);
      this.drawColumns(snapshot);
    }
    const frontier = $<HTMLCanvasElement>('frontier');
    const size = `${frontier.clientWidth}×${frontier.clientHeight}`;
    if (state.runs !== this.drawn.runs || state.hovered !== this.drawn.hovered || size !== this.drawn.frontierSize) {
      this.drawn.runs = state.runs;
      this.drawn.hovered = state.hovered;
      this.drawn.frontierSize = size;
      this.drawFrontier(state.runs, state.hovered);
      this.renderRunList(state.runs, state.hovered);
    }
  }

  private renderControls(state: SaeState): void {
    const s = state.settings;
    const running = state.phase === 'loading' || state.phase === 'training' || state.phase === 'pausing' || state.phase === 'paused' || state.phase === 'stopping';
    $<HTMLFieldSetElement>('settings').disabled = running;
    for (const el of document.querySelectorAll<HTMLElement>('[data-variants]')) el.hidden = !el.dataset.variants!.split(' ').includes(s.variant);
    for (const el of document.querySelectorAll<HTMLElement>('[data-source]')) el.hidden = el.dataset.source !== s.data;
    const all = [...state.linkProblems, ...state.problems];
    const invalid = new Set(all.map((p) => p.field));
    for (const el of document.querySelectorAll<HTMLElement>('#settings input[id], #settings select[id]')) markInvalid(el, invalid.has(el.id as never));
    $<HTMLButtonElement>('start').disabled = !canStart(state);
    $('pause').hidden = !(state.phase === 'training' || state.phase === 'pausing');
    $<HTMLButtonElement>('pause').disabled = state.phase === 'pausing';
    $('resume').hidden = state.phase !== 'paused';
    $<HTMLButtonElement>('stop').disabled = !(state.phase === 'training' || state.phase === 'paused' || state.phase === 'pausing');

    const problems = all.map((p) => `${p.field} ${p.value === '' ? '(empty)' : `“${p.value}”`}: ${p.reason}`);
    const linkError = $('settings-error');
    linkError.hidden = problems.length === 0;
    linkError.textContent = problems.length ? `Not used: ${problems.join('; ')}.` : '';

    const info = $('data-info');
    const fileError = $('data-error');
    if (s.data === 'file') {
      const f = state.file;
      info.textContent = !f ? 'No file chosen yet.' : f.error ? `${f.name}` : f.examples === undefined ? `reading ${f.name}…` : `${f.name}: ${f.examples.toLocaleString('en-US')} examples × ${f.dimensions} values`;
      fileError.hidden = !f?.error;
      fileError.textContent = f?.error ?? '';
    } else {
      info.textContent = 'Sparse non-negative combinations of known unit directions (Sharkey et al. 2022): the decoder can be scored against them (MMCS).';
      fileError.hidden = true;
    }
  }

  private renderStats(state: SaeState): void {
    const snapshot = state.finished?.snapshot ?? state.snapshot;
    $('state').textContent = phaseText[state.phase];
    const p = state.progress;
    $('step').textContent = p ? `${p.step.toLocaleString('en-US')} / ${p.steps.toLocaleString('en-US')}` : '–';
    $('l0').textContent = snapshot ? snapshot.l0.toFixed(2) : '–';
    $('fvu').textContent = snapshot ? snapshot.fvu.toFixed(4) : '–';
    // While training, the GPU's count (not fired over the last window of examples); at the end, never fired over the data.
    $('dead').textContent = state.finished ? `${state.finished.snapshot.dead}` : p && state.run ? `${p.dead}` : '–';
    $('mmcs').textContent = snapshot?.mmcs !== undefined ? snapshot.mmcs.toFixed(3) : state.run && !state.run.knownDirections ? 'n/a' : '–';
    $('progress').style.width = p && p.steps > 0 ? `${(100 * p.step) / p.steps}%` : '0%';
    const line: string[] = [];
    if (state.run) line.push(`${variantLabel(state.run.settings)}, ${state.run.settings.latents} latents`, state.run.description, state.run.device);
    if (p && p.elapsedSeconds > 0) line.push(`${p.elapsedSeconds.toFixed(1)} s, ${(p.step / p.elapsedSeconds).toFixed(1)} steps/s`);
    if (state.status) line.push(state.status);
    if (snapshot) line.push(state.finished ? `metrics over all ${snapshot.examples.toLocaleString('en-US')} examples` : `metrics at step ${snapshot.step} on ${snapshot.examples.toLocaleString('en-US')} examples`);
    if (state.finished?.threshold !== undefined) line.push(`inference threshold ${formatNumber(state.finished.threshold)}`);
    if (state.finished?.exitReason === 'cancelled') line.push('stopped: not stored');
    $('status-line').textContent = line.length ? line.join(' · ') : 'Choose a variant and data, then start training.';
    const error = $('run-error');
    error.hidden = !state.error;
    error.textContent = state.error;
    const fallback = $('fallback');
    fallback.hidden = !state.run?.fallback;
    fallback.textContent = state.run?.fallback ?? '';
  }

  private drawDensity(snapshot: SaeSnapshot | undefined): void {
    const canvas = $<HTMLCanvasElement>('density-chart');
    const { ctx, width, height } = fit(canvas);
    const left = 36;
    const bottom = 34;
    const top = 8;
    const plotW = width - left - 8;
    const plotH = height - top - bottom;
    ctx.fillStyle = AXIS;
    if (!snapshot) {
      ctx.textAlign = 'center';
      ctx.fillText('the latents’ firing frequencies appear here while training', left + plotW / 2, top + plotH / 2);
      $('density-meta').textContent = '';
      return;
    }
    const bars = densityBars(snapshot.histogram);
    const max = Math.max(1, ...bars.map((b) => b.count));
    const slot = plotW / bars.length;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    bars.forEach((bar, i) => {
      const h = (bar.count / max) * plotH;
      ctx.fillStyle = bar.dead ? '#c0392b' : '#2f6fd6';
      ctx.fillRect(left + i * slot + 1, top + plotH - h, Math.max(1, slot - 2), h);
      const every = Math.ceil(bars.length / 12);
      if (bar.dead || i % every === 0) {
        ctx.fillStyle = TEXT;
        ctx.fillText(bar.label, left + (i + 0.5) * slot, top + plotH + 4);
      }
    });
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = TEXT;
    ctx.fillText(String(max), left - 4, top + 4);
    ctx.fillText('0', left - 4, top + plotH);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    ctx.fillText('log₁₀ firing frequency', left + plotW / 2, height);
    $('density-meta').textContent = `${snapshot.dead} never fired on ${snapshot.examples.toLocaleString('en-US')} examples`;
  }

  private drawColumns(snapshot: SaeSnapshot | undefined): void {
    const canvas = $<HTMLCanvasElement>('columns');
    const { ctx, width, height } = fit(canvas);
    if (!snapshot || snapshot.columns.count === 0) {
      ctx.fillStyle = AXIS;
      ctx.textAlign = 'center';
      ctx.fillText('decoder directions appear here while training', width / 2, height / 2);
      $('columns-meta').textContent = '';
      return;
    }
    const { count, dimensions: d, values, latents } = snapshot.columns;
    const side = imageSide(d);
    const perRow = side ? Math.min(count, 8) : Math.min(count, 4);
    const rows = Math.ceil(count / perRow);
    const gap = 6;
    const cellW = (width - gap * (perRow - 1)) / perRow;
    const cellH = (height - gap * (rows - 1)) / rows;
    for (let j = 0; j < count; j++) {
      const x0 = (j % perRow) * (cellW + gap);
      const y0 = Math.floor(j / perRow) * (cellH + gap);
      const column = values.subarray(j * d, (j + 1) * d);
      let peak = 1e-12;
      for (const v of column) peak = Math.max(peak, Math.abs(v));
      if (side) {
        // Gray: mid-gray 0, white +peak, black −peak, as display_network draws features.
        const cell = Math.floor(Math.min(cellW, cellH) / side);
        for (let r = 0; r < side; r++)
          for (let c = 0; c < side; c++) {
            const g = Math.round(127.5 + 127.5 * (column[r * side + c] / peak));
            ctx.fillStyle = `rgb(${g},${g},${g})`;
            ctx.fillRect(x0 + c * cell, y0 + r * cell, cell, cell);
          }
      } else {
        const mid = y0 + cellH / 2;
        const barW = cellW / d;
        ctx.fillStyle = 'rgba(138, 148, 166, 0.12)';
        ctx.fillRect(x0, y0, cellW, cellH);
        for (let c = 0; c < d; c++) {
          const v = column[c] / peak;
          ctx.fillStyle = v >= 0 ? '#2f6fd6' : '#c0392b';
          ctx.fillRect(x0 + c * barW, v >= 0 ? mid - (v * cellH) / 2 : mid, Math.max(1, barW - (barW > 3 ? 1 : 0)), (Math.abs(v) * cellH) / 2);
        }
        ctx.fillStyle = TEXT;
        ctx.textAlign = 'left';
        ctx.textBaseline = 'top';
        ctx.fillText(`#${latents[j]}`, x0 + 2, y0 + 2);
      }
    }
    $('columns-meta').textContent = `the ${count} most often firing latents${side ? `, as ${side}×${side} images` : `, ${d} values each`}`;
  }

  private drawFrontier(runs: readonly StoredRun[], hovered: number | undefined): void {
    const canvas = $<HTMLCanvasElement>('frontier');
    const { ctx, width, height } = fit(canvas);
    const g = frontierGeometry(runs, width, height);
    this.geometry = g;
    ctx.strokeStyle = AXIS;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(g.left + 0.5, g.top);
    ctx.lineTo(g.left + 0.5, g.top + g.height + 0.5);
    ctx.lineTo(g.left + g.width, g.top + g.height + 0.5);
    ctx.stroke();
    ctx.fillStyle = TEXT;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (let i = 0; i <= 4; i++) ctx.fillText(formatNumber((g.l0Max * i) / 4), g.left + (g.width * i) / 4, g.top + g.height + 4);
    ctx.textBaseline = 'bottom';
    ctx.fillText('L0 (latents active per example)', g.left + g.width / 2, height);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let i = 0; i <= 4; i++) ctx.fillText(formatNumber((g.fvuMax * i) / 4), g.left - 4, g.top + g.height * (1 - i / 4));
    ctx.save();
    ctx.translate(10, g.top + g.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText('FVU', 0, 0);
    ctx.restore();
    if (g.points.length === 0) {
      ctx.fillStyle = AXIS;
      ctx.textAlign = 'center';
      ctx.fillText('finished runs are drawn here, kept across reloads', g.left + g.width / 2, g.top + g.height / 2);
    }
    // Each variant's runs joined in order of L0: its frontier.
    const byId = new Map(runs.map((r) => [r.id, r]));
    for (const variant of Object.keys(variantColors) as SaeVariant[]) {
      const pts = g.points.filter((p) => byId.get(p.id)!.settings.variant === variant).sort((a, b) => a.x - b.x);
      if (pts.length < 2) continue;
      ctx.strokeStyle = variantColors[variant];
      ctx.globalAlpha = 0.5;
      ctx.beginPath();
      pts.forEach((p, i) => (i === 0 ? ctx.moveTo(p.x, p.y) : ctx.lineTo(p.x, p.y)));
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
    for (const p of g.points) {
      ctx.fillStyle = p.color;
      ctx.beginPath();
      ctx.arc(p.x, p.y, p.id === hovered ? 7 : 5, 0, 2 * Math.PI);
      ctx.fill();
      if (p.id === hovered) {
        ctx.strokeStyle = '#1b2333';
        ctx.lineWidth = 2;
        ctx.stroke();
        ctx.lineWidth = 1;
      }
      ctx.fillStyle = TEXT;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'bottom';
      ctx.fillText(`#${p.id}`, p.x + 6, p.y - 4);
    }
    const tip = $('frontier-tip');
    const run = hovered !== undefined ? byId.get(hovered) : undefined;
    tip.textContent = run ? `${runLabel(run)} — ${runMetricsText(run)}` : runs.length ? 'Hover a point (or a run below) to name it.' : '';
  }

  private renderRunList(runs: readonly StoredRun[], hovered: number | undefined): void {
    const list = $('run-list');
    list.replaceChildren(
      ...runs.map((run) => {
        const li = document.createElement('li');
        li.dataset.id = String(run.id);
        li.classList.toggle('hovered', run.id === hovered);
        const swatch = document.createElement('span');
        swatch.className = 'swatch';
        swatch.style.background = variantColors[run.settings.variant];
        const text = document.createElement('span');
        text.className = 'run-text';
        text.textContent = `${runLabel(run)} — ${runMetricsText(run)}`;
        text.title = `${run.data}; ${run.device}; ${run.seconds.toFixed(1)} s; saved ${new Date(run.savedAt).toLocaleString()}`;
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'small delete-run';
        remove.dataset.id = String(run.id);
        remove.textContent = 'Delete';
        remove.setAttribute('aria-label', `Delete run #${run.id}`);
        li.append(swatch, text, remove);
        return li;
      }),
    );
    $<HTMLButtonElement>('clear-runs').disabled = runs.length === 0;
    $('runs-meta').textContent = runs.length ? `${runs.length} run${runs.length === 1 ? '' : 's'} kept in this browser` : '';
  }
}
