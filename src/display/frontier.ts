/**
 * The L0–FVU frontier of SAE sweeps, as pictures people read.
 *
 * frontierSvg is the one to read: axes titled and numbered, each model a dot labelled with its
 * setting (k or λ), each variant a polyline in order of L0, a legend naming the variants, a
 * title. L0 across and FVU up, both linear from 0 to a rounded value above the largest measured.
 *
 * frontierPng / frontierComparePng draw the same geometry without text (no font here): the axes'
 * frame, tick marks and grid at the SVG's ticks, the curves and a legend of colour swatches in
 * series order; frontier.md / the SVG beside them hold the numbers and names.
 */
import { encode } from 'fast-png';

export interface FrontierPoint {
  l0: number;
  fvu: number;
  /** What sets this model's sparsity, e.g. "k = 5" or "λ = 0.6": written beside its dot. */
  label?: string;
}

export interface FrontierSeries {
  /** The variant's name in the legend (e.g. "TopK"). */
  name?: string;
  points: readonly FrontierPoint[];
  color?: readonly number[];
}

/** A sweep's runs (report.json's `runs`, or the CLI's reports) as one series: named by variant, each point by its k or λ. */
export function frontierSeries(runs: readonly { variant: string; settings: { k: number; l1: number }; metrics: { l0: number; fvu: number } }[]): FrontierSeries {
  const variant = runs[0]?.variant;
  return {
    name: VARIANT_NAMES[variant] ?? variant,
    points: runs.map((r) => ({ l0: r.metrics.l0, fvu: r.metrics.fvu, label: r.variant === 'relu-l1' ? `λ = ${r.settings.l1}` : `k = ${r.settings.k}` })),
  };
}

/** The names papers and tools give the SAE variants (as the SAE page's legend), for the legend. */
export const VARIANT_NAMES: Readonly<Record<string, string>> = { topk: 'TopK', batchtopk: 'BatchTopK', 'relu-l1': 'ReLU-L1' };

const CURVE = [40, 90, 200] as const;
/** The colours of the series, in order: blue, red, green, then grey. */
export const SERIES_COLORS: readonly (readonly number[])[] = [CURVE, [200, 40, 40], [30, 150, 60], [120, 120, 120]];

export const L0_AXIS_TITLE = 'L0 (mean active latents per example)';
export const FVU_AXIS_TITLE = 'FVU (fraction of variance unexplained, about the mean)';

const seriesColor = (s: FrontierSeries, n: number) => s.color ?? SERIES_COLORS[Math.min(n, SERIES_COLORS.length - 1)];
const finitePoints = (s: FrontierSeries) => s.points.filter((p) => Number.isFinite(p.l0) && Number.isFinite(p.fvu)).sort((a, b) => a.l0 - b.l0);

/** Ticks from 0 at the finest step of 1, 2 or 5 × 10ⁿ that needs at most `most` intervals, the last at or above `max`. */
export function niceTicks(max: number, most = 7): number[] {
  const top = max > 0 && Number.isFinite(max) ? max : 1;
  let power = 10 ** Math.floor(Math.log10(top / most));
  let step = power;
  for (let m = 0; Math.ceil(top / step - 1e-9) > most; m++) {
    step = [1, 2, 5][m % 3] * power;
    if (m % 3 === 2) power *= 10;
  }
  const n = Math.ceil(top / step - 1e-9);
  // Rounded to the step's decimals, so 0.1 · 3 prints as 0.3.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return Array.from({ length: n + 1 }, (_, i) => Number((i * step).toFixed(decimals)));
}

/** The axes both pictures share: ticks on each and the map from values to pixels. */
function frontierAxes(series: readonly FrontierSeries[], box: { left: number; top: number; width: number; height: number }) {
  const all = series.flatMap(finitePoints);
  const l0Ticks = niceTicks(Math.max(0, ...all.map((p) => p.l0)) * 1.05);
  const fvuTicks = niceTicks(Math.max(0, ...all.map((p) => p.fvu)) * 1.05);
  const maxL0 = l0Ticks[l0Ticks.length - 1];
  const maxFvu = fvuTicks[fvuTicks.length - 1];
  return {
    l0Ticks,
    fvuTicks,
    x: (l0: number) => box.left + (l0 / maxL0) * box.width,
    y: (fvu: number) => box.top + box.height - (fvu / maxFvu) * box.height,
  };
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const css = (c: readonly number[]) => `rgb(${c[0]},${c[1]},${c[2]})`;
const fmt = (v: number) => String(Number(v.toFixed(3)));
const px = (v: number) => v.toFixed(1);

const SVG = { width: 720, height: 480, left: 78, right: 170, top: 48, bottom: 62 };

/**
 * The frontier as a standalone SVG document: title, numbered axes with their titles, one
 * `<polyline class="series">` per series (its models in order of L0) with a dot and a label per
 * model, and a legend naming each series in its colour.
 */
export function frontierSvg(series: readonly FrontierSeries[], title = 'L0–FVU frontier'): string {
  const box = { left: SVG.left, top: SVG.top, width: SVG.width - SVG.left - SVG.right, height: SVG.height - SVG.top - SVG.bottom };
  const { l0Ticks, fvuTicks, x, y } = frontierAxes(series, box);
  const bottom = box.top + box.height;
  const right = box.left + box.width;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SVG.width}" height="${SVG.height}" viewBox="0 0 ${SVG.width} ${SVG.height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${SVG.width}" height="${SVG.height}" fill="white"/>`,
    `<text class="title" x="${px(box.left + box.width / 2)}" y="28" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (const t of l0Ticks) {
    out.push(`<line x1="${px(x(t))}" y1="${box.top}" x2="${px(x(t))}" y2="${bottom}" stroke="#e4e4e4"/>`);
    out.push(`<line x1="${px(x(t))}" y1="${bottom}" x2="${px(x(t))}" y2="${bottom + 5}" stroke="black"/>`);
    out.push(`<text class="tick x" x="${px(x(t))}" y="${bottom + 19}" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of fvuTicks) {
    out.push(`<line x1="${box.left}" y1="${px(y(t))}" x2="${right}" y2="${px(y(t))}" stroke="#e4e4e4"/>`);
    out.push(`<line x1="${box.left - 5}" y1="${px(y(t))}" x2="${box.left}" y2="${px(y(t))}" stroke="black"/>`);
    out.push(`<text class="tick y" x="${box.left - 8}" y="${px(y(t) + 4)}" text-anchor="end">${fmt(t)}</text>`);
  }
  out.push(`<rect x="${box.left}" y="${box.top}" width="${box.width}" height="${box.height}" fill="none" stroke="black"/>`);
  out.push(`<text class="axis-title x" x="${px(box.left + box.width / 2)}" y="${SVG.height - 16}" text-anchor="middle" font-size="13">${escapeXml(L0_AXIS_TITLE)}</text>`);
  const yMid = box.top + box.height / 2;
  out.push(`<text class="axis-title y" x="20" y="${px(yMid)}" transform="rotate(-90 20 ${px(yMid)})" text-anchor="middle" font-size="13">${escapeXml(FVU_AXIS_TITLE)}</text>`);
  series.forEach((s, n) => {
    const color = css(seriesColor(s, n));
    const points = finitePoints(s);
    const name = s.name ?? `series ${n + 1}`;
    out.push(`<g class="variant" data-name="${escapeXml(name)}">`);
    out.push(`<polyline class="series" data-name="${escapeXml(name)}" points="${points.map((p) => `${px(x(p.l0))},${px(y(p.fvu))}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of points) {
      const what = `${name}${p.label ? `, ${p.label}` : ''}: L0 ${fmt(p.l0)}, FVU ${fmt(p.fvu)}`;
      out.push(`<circle cx="${px(x(p.l0))}" cy="${px(y(p.fvu))}" r="4" fill="${color}"><title>${escapeXml(what)}</title></circle>`);
      if (p.label) out.push(`<text class="point-label" x="${px(x(p.l0) + 6)}" y="${px(y(p.fvu) - 6)}" fill="${color}" font-size="11">${escapeXml(p.label)}</text>`);
    }
    out.push('</g>');
  });
  const legendX = right + 18;
  out.push(`<g class="legend">`);
  series.forEach((s, n) => {
    const ly = box.top + 10 + n * 22;
    out.push(`<line x1="${legendX}" y1="${ly}" x2="${legendX + 24}" y2="${ly}" stroke="${css(seriesColor(s, n))}" stroke-width="2"/>`);
    out.push(`<circle cx="${legendX + 12}" cy="${ly}" r="4" fill="${css(seriesColor(s, n))}"/>`);
    out.push(`<text class="legend-name" x="${legendX + 32}" y="${ly + 4}">${escapeXml(s.name ?? `series ${n + 1}`)}</text>`);
  });
  out.push('</g>', '</svg>', '');
  return out.join('\n');
}

const WIDTH = 400;
const HEIGHT = 260;
const PNG = { left: 30, right: 70, top: 14, bottom: 26 };

export function frontierPng(points: readonly FrontierPoint[]): Uint8Array {
  return frontierComparePng([{ points, color: CURVE }]);
}

/**
 * Several sweeps on one L0–FVU plot (e.g. TopK, BatchTopK and ReLU-L1 side by side), on common
 * axes: each series a polyline in its colour with filled dots at its models; the frame with tick
 * marks and a light grid at frontierSvg's ticks (the axes start at 0); the legend's swatches at
 * the right, top to bottom in series order.
 */
export function frontierComparePng(series: readonly FrontierSeries[]): Uint8Array {
  const rgb = new Uint8Array(WIDTH * HEIGHT * 3).fill(255);
  const box = { left: PNG.left, top: PNG.top, width: WIDTH - PNG.left - PNG.right, height: HEIGHT - PNG.top - PNG.bottom };
  const bottom = box.top + box.height;
  const right = box.left + box.width;
  const axes = frontierAxes(series, box);
  const x = (l0: number) => Math.round(axes.x(l0));
  const y = (fvu: number) => Math.round(axes.y(fvu));
  const plot = (px: number, py: number, color: readonly number[]) => {
    if (px < 0 || py < 0 || px >= WIDTH || py >= HEIGHT) return;
    rgb.set(color, (py * WIDTH + px) * 3);
  };
  const line = (x0: number, y0: number, x1: number, y1: number, color: readonly number[]) => {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let s = 0; s <= steps; s++) plot(Math.round(x0 + ((x1 - x0) * s) / steps), Math.round(y0 + ((y1 - y0) * s) / steps), color);
  };
  const dot = (cx: number, cy: number, color: readonly number[]) => {
    for (let dx = -3; dx <= 3; dx++) for (let dy = -3; dy <= 3; dy++) if (dx * dx + dy * dy <= 9) plot(cx + dx, cy + dy, color);
  };
  const grid = [228, 228, 228];
  const axis = [0, 0, 0];
  for (const t of axes.l0Ticks) {
    line(x(t), box.top, x(t), bottom, grid);
    line(x(t), bottom, x(t), bottom + 4, axis);
  }
  for (const t of axes.fvuTicks) {
    line(box.left, y(t), right, y(t), grid);
    line(box.left - 4, y(t), box.left, y(t), axis);
  }
  line(box.left, bottom, right, bottom, axis);
  line(box.left, box.top, box.left, bottom, axis);
  line(right, box.top, right, bottom, axis);
  line(box.left, box.top, right, box.top, axis);
  series.forEach((s, n) => {
    const color = seriesColor(s, n);
    const finite = finitePoints(s);
    for (let i = 1; i < finite.length; i++) line(x(finite[i - 1].l0), y(finite[i - 1].fvu), x(finite[i].l0), y(finite[i].fvu), color);
    // One series alone keeps its red dots on a blue line; several are told apart by colour.
    for (const p of finite) dot(x(p.l0), y(p.fvu), series.length === 1 ? SERIES_COLORS[1] : color);
    if (series.length > 1) {
      // The legend: a swatch of line and dot per series.
      const ly = box.top + 8 + n * 16;
      for (let w = -1; w <= 1; w++) line(right + 12, ly + w, right + 40, ly + w, color);
      dot(right + 26, ly, color);
    }
  });
  return encode({ width: WIDTH, height: HEIGHT, data: rgb, channels: 3, depth: 8 });
}
