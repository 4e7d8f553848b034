/**
 * Two small hand-written canvas charts: a line chart of several series over iterations with a
 * logarithmic y axis (the cost and its parts), and a bar chart of one value per hidden unit
 * against a target line (ρ̂ against ρ). Both draw at the device's pixel ratio, size themselves
 * to their canvas's CSS box, and redraw at most once per animation frame.
 *
 * Why not uPlot: it has log scales (scale.distr 3), several dashed series and bars
 * (uPlot.paths.bars, coloured bar by bar through `disp`), but this look would still be written
 * here, as its callbacks: the 1-2-5 ticks with a dashed minor grid (a second axis), widening a
 * range narrower than a decade, the "appears here while training" text, and the ρ target line with
 * its label (a draw hook). Bars on a log axis have no base there either: values ≤ 0 (a dead unit's
 * ρ̂) are clamped to a tenth of the axis minimum, where this chart keeps its own floor. uPlot would
 * replace the few dozen lines that stroke the lines and fill the bars, for a dependency, its CSS
 * and a DOM wrapper around each canvas; what it is good at — zoom, cursor, legends, series of
 * 100,000 points — these charts of a few hundred points do not need.
 */

export interface Series {
  name: string;
  color: string;
  /** Dashed line (for the parts, so the total stands out). */
  dashed?: boolean;
  width?: number;
}

const FONT = '11px system-ui, -apple-system, "Segoe UI", sans-serif';
const AXIS = '#8a94a6';
const GRID = 'rgba(138, 148, 166, 0.18)';
const TEXT = '#4b5566';

/** Prepares a canvas for drawing at its CSS size × devicePixelRatio; returns the CSS size. */
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

/** 1.2e-3 → "1.2e-3", 0.05 → "0.05", 12 → "12". */
export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e4 || magnitude < 1e-3) {
    const [mantissa, exponent] = value.toExponential(digits - 1).split('e');
    return `${Number(mantissa)}e${Number(exponent)}`;
  }
  return String(Number(value.toPrecision(digits)));
}

/** Decades (and 2×, 5× when the range is narrow) between lo and hi, both > 0. */
function logTicks(lo: number, hi: number): { major: number[]; minor: number[] } {
  const major: number[] = [];
  const minor: number[] = [];
  const first = Math.floor(Math.log10(lo));
  const last = Math.ceil(Math.log10(hi));
  const decades = last - first;
  for (let e = first; e <= last; e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v < lo * 0.999 || v > hi * 1.001) continue;
      if (m === 1 || decades <= 2) major.push(v);
      else minor.push(v);
    }
    if (decades > 2) {
      for (let m = 2; m <= 9; m++) {
        const v = m * 10 ** e;
        if (v >= lo && v <= hi && m !== 2 && m !== 5) minor.push(v);
      }
    }
  }
  return { major, minor };
}

/** Round steps (1, 2, 5 × 10ⁿ) for a linear axis from 0 to hi. */
function linearTicks(lo: number, hi: number, count = 5, minStep = 0): number[] {
  const span = hi - lo || 1;
  const raw = Math.max(span / count, minStep);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** The longest single chart redraw so far, in ms (the pages report their main-thread work). */
export const chartTimings = { longest: 0 };

function scheduler(draw: () => void): () => void {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const started = performance.now();
      draw();
      chartTimings.longest = Math.max(chartTimings.longest, performance.now() - started);
    });
  };
}

/** Several series of (iteration, value) on a log-scale y axis. */
export class LogLineChart {
  private xs: number[] = [];
  private ys: number[][];
  readonly requestDraw: () => void;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly series: readonly Series[],
    private readonly options: { xLabel?: string; empty?: string } = {},
  ) {
    this.ys = series.map(() => []);
    this.requestDraw = scheduler(() => this.draw());
    new ResizeObserver(() => this.requestDraw()).observe(canvas);
  }

  get length(): number {
    return this.xs.length;
  }

  clear(): void {
    this.xs = [];
    this.ys = this.series.map(() => []);
    this.requestDraw();
  }

  /** Adds a point; a point at an iteration already shown replaces that one and all after it. */
  push(x: number, values: readonly number[]): void {
    while (this.xs.length > 0 && this.xs[this.xs.length - 1] >= x) {
      this.xs.pop();
      for (const y of this.ys) y.pop();
    }
    this.xs.push(x);
    values.forEach((v, k) => this.ys[k].push(v));
    this.requestDraw();
  }

  /** Drops the points after iteration x (a run resumed from an earlier checkpoint). */
  truncateAfter(x: number): void {
    while (this.xs.length > 0 && this.xs[this.xs.length - 1] > x) {
      this.xs.pop();
      for (const y of this.ys) y.pop();
    }
    this.requestDraw();
  }

  /** The points as plain arrays (for saving with a checkpoint). */
  data(): { x: number[]; y: number[][] } {
    return { x: this.xs.slice(), y: this.ys.map((y) => y.slice()) };
  }

  load(data: { x: ArrayLike<number>; y: ArrayLike<number>[] }): void {
    this.xs = Array.from(data.x);
    this.ys = this.series.map((_, k) => Array.from(data.y[k] ?? []));
    this.requestDraw();
  }

  draw(): void {
    const { ctx, width, height } = fit(this.canvas);
    const left = 52;
    const right = 12;
    const top = 10;
    const bottom = 28;
    const plotW = width - left - right;
    const plotH = height - top - bottom;
    if (plotW <= 10 || plotH <= 10) return;

    let lo = Infinity;
    let hi = -Infinity;
    for (const y of this.ys) {
      for (const v of y) {
        if (v > 0 && Number.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    if (!(hi > 0)) {
      ctx.fillStyle = AXIS;
      ctx.textAlign = 'center';
      ctx.fillText(this.options.empty ?? 'no data yet', left + plotW / 2, top + plotH / 2);
      this.axes(ctx, left, top, plotW, plotH);
      return;
    }
    if (hi / lo < 10) {
      const mid = Math.sqrt(hi * lo);
      lo = Math.min(lo, mid / Math.sqrt(10));
      hi = Math.max(hi, mid * Math.sqrt(10));
    }
    const logLo = Math.log10(lo) - 0.05;
    const logHi = Math.log10(hi) + 0.05;
    const xMin = this.xs[0] ?? 0;
    const xMax = Math.max(xMin + 1, this.xs[this.xs.length - 1] ?? 1);
    const X = (x: number) => left + ((x - xMin) / (xMax - xMin)) * plotW;
    const Y = (v: number) => top + (1 - (Math.log10(v) - logLo) / (logHi - logLo)) * plotH;

    // Grid and labels.
    const { major, minor } = logTicks(10 ** logLo, 10 ** logHi);
    ctx.lineWidth = 1;
    ctx.strokeStyle = GRID;
    for (const v of minor) this.hline(ctx, left, plotW, Math.round(Y(v)) + 0.5, true);
    ctx.fillStyle = TEXT;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const v of major) {
      ctx.strokeStyle = GRID;
      this.hline(ctx, left, plotW, Math.round(Y(v)) + 0.5);
      ctx.fillText(formatNumber(v, 2), left - 6, Y(v));
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    // Iterations are whole numbers.
    for (const x of linearTicks(xMin, xMax, Math.max(2, Math.floor(plotW / 70)), 1)) {
      if (x < xMin || x > xMax) continue;
      ctx.strokeStyle = GRID;
      ctx.beginPath();
      ctx.moveTo(Math.round(X(x)) + 0.5, top);
      ctx.lineTo(Math.round(X(x)) + 0.5, top + plotH);
      ctx.stroke();
      ctx.fillText(String(x), X(x), top + plotH + 6);
    }
    if (this.options.xLabel) {
      ctx.textAlign = 'right';
      ctx.fillStyle = AXIS;
      ctx.fillText(this.options.xLabel, left + plotW, top + plotH + 16);
    }
    this.axes(ctx, left, top, plotW, plotH);

    // Series, clipped to the plot.
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, plotW, plotH);
    ctx.clip();
    ctx.lineJoin = 'round';
    this.series.forEach((s, k) => {
      const y = this.ys[k];
      ctx.strokeStyle = s.color;
      ctx.lineWidth = s.width ?? 1.5;
      ctx.setLineDash(s.dashed ? [5, 3] : []);
      ctx.beginPath();
      let drawing = false;
      for (let i = 0; i < this.xs.length; i++) {
        const v = y[i];
        if (!(v > 0 && Number.isFinite(v))) {
          drawing = false;
          continue;
        }
        if (drawing) ctx.lineTo(X(this.xs[i]), Y(v));
        else ctx.moveTo(X(this.xs[i]), Y(v));
        drawing = true;
      }
      if (this.xs.length === 1 && y[0] > 0) {
        ctx.arc(X(this.xs[0]), Y(y[0]), 2, 0, 2 * Math.PI);
      }
      ctx.stroke();
    });
    ctx.restore();
  }

  private hline(ctx: CanvasRenderingContext2D, left: number, width: number, y: number, dashed = false): void {
    ctx.setLineDash(dashed ? [2, 3] : []);
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + width, y);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  private axes(ctx: CanvasRenderingContext2D, left: number, top: number, w: number, h: number): void {
    ctx.strokeStyle = AXIS;
    ctx.lineWidth = 1;
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.moveTo(left + 0.5, top);
    ctx.lineTo(left + 0.5, top + h + 0.5);
    ctx.lineTo(left + w, top + h + 0.5);
    ctx.stroke();
  }
}

/**
 * One bar per unit on a log y axis, with a dashed target line: ρ̂ⱼ against ρ. Bars within a
 * factor of two of the target are drawn in the accent color, others in a warning color.
 */
export class TargetBarChart {
  private values: Float64Array | undefined;
  private target = NaN;
  readonly requestDraw: () => void;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly options: { targetLabel: (target: number) => string; empty?: string },
  ) {
    this.requestDraw = scheduler(() => this.draw());
    new ResizeObserver(() => this.requestDraw()).observe(canvas);
  }

  set(values: Float64Array | undefined, target: number): void {
    this.values = values;
    this.target = target;
    this.requestDraw();
  }

  draw(): void {
    const { ctx, width, height } = fit(this.canvas);
    const left = 52;
    const right = 12;
    const top = 10;
    const bottom = 22;
    const plotW = width - left - right;
    const plotH = height - top - bottom;
    if (plotW <= 10 || plotH <= 10) return;
    const values = this.values;
    const target = this.target;
    ctx.strokeStyle = AXIS;
    if (!values || values.length === 0 || !(target > 0)) {
      ctx.fillStyle = AXIS;
      ctx.textAlign = 'center';
      ctx.fillText(this.options.empty ?? 'no data yet', left + plotW / 2, top + plotH / 2);
      return;
    }
    let lo = target;
    let hi = target;
    for (const v of values) {
      if (v > 0) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    const logLo = Math.log10(Math.max(lo / 2, 1e-6));
    const logHi = Math.min(0, Math.log10(hi * 1.5));
    const Y = (v: number) => top + (1 - (Math.log10(Math.max(v, 10 ** logLo)) - logLo) / (logHi - logLo || 1)) * plotH;

    const { major } = logTicks(10 ** logLo, 10 ** logHi);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.lineWidth = 1;
    for (const v of major) {
      ctx.strokeStyle = GRID;
      ctx.beginPath();
      ctx.moveTo(left, Math.round(Y(v)) + 0.5);
      ctx.lineTo(left + plotW, Math.round(Y(v)) + 0.5);
      ctx.stroke();
      ctx.fillStyle = TEXT;
      ctx.fillText(formatNumber(v, 2), left - 6, Y(v));
    }

    const n = values.length;
    const slot = plotW / n;
    const gap = slot > 4 ? Math.min(2, slot * 0.2) : 0;
    for (let j = 0; j < n; j++) {
      const v = values[j];
      const ratio = v / target;
      ctx.fillStyle = ratio > 0.5 && ratio < 2 ? '#3b82c4' : '#e08a2c';
      const y = Y(v);
      ctx.fillRect(left + j * slot + gap / 2, y, Math.max(1, slot - gap), top + plotH - y);
    }
    // Unit numbers under the bars, thinned to fit.
    ctx.fillStyle = TEXT;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const every = Math.max(1, Math.ceil(28 / slot));
    for (let j = 0; j < n; j += every) ctx.fillText(String(j + 1), left + (j + 0.5) * slot, top + plotH + 5);

    // Target line.
    const ty = Math.round(Y(target)) + 0.5;
    ctx.strokeStyle = '#c0392b';
    ctx.lineWidth = 1.5;
    ctx.setLineDash([6, 4]);
    ctx.beginPath();
    ctx.moveTo(left, ty);
    ctx.lineTo(left + plotW, ty);
    ctx.stroke();
    ctx.setLineDash([]);
    const label = this.options.targetLabel(target);
    ctx.font = `600 ${FONT}`;
    const labelWidth = ctx.measureText(label).width + 8;
    ctx.fillStyle = 'rgba(255,255,255,0.85)';
    ctx.fillRect(left + plotW - labelWidth, ty - 16, labelWidth, 14);
    ctx.fillStyle = '#c0392b';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    ctx.fillText(label, left + plotW - 4, ty - 3);

    ctx.strokeStyle = AXIS;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(left + 0.5, top);
    ctx.lineTo(left + 0.5, top + plotH + 0.5);
    ctx.lineTo(left + plotW, top + plotH + 0.5);
    ctx.stroke();
  }
}
