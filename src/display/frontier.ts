/**
 * The L0–FVU frontier of a sweep as a small PNG: L0 across (linear, from 0), FVU up (linear, from
 * 0 to the largest measured), one dot per model joined in order of L0. No text: frontier.md beside
 * it holds the numbers; the picture shows the curve's shape (where more latents stop paying).
 */
import { encode } from 'fast-png';

const WIDTH = 320;
const HEIGHT = 240;
const MARGIN = 20;

export function frontierPng(points: readonly { l0: number; fvu: number }[]): Uint8Array {
  return frontierComparePng([{ points, color: CURVE }]);
}

const CURVE = [40, 90, 200] as const;
/** The colours of frontierComparePng's series, in order: blue, red, green, then grey. */
export const SERIES_COLORS: readonly (readonly number[])[] = [CURVE, [200, 40, 40], [30, 150, 60], [120, 120, 120]];

/**
 * Several sweeps on one L0–FVU plot (e.g. TopK, BatchTopK and ReLU-L1 side by side), on common
 * axes: each series a polyline in its colour with filled dots at its models.
 */
export function frontierComparePng(series: readonly { points: readonly { l0: number; fvu: number }[]; color?: readonly number[] }[]): Uint8Array {
  const rgb = new Uint8Array(WIDTH * HEIGHT * 3).fill(255);
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.l0) && Number.isFinite(p.fvu));
  const maxL0 = Math.max(1e-9, ...all.map((p) => p.l0)) * 1.1;
  const maxFvu = Math.max(1e-9, ...all.map((p) => p.fvu)) * 1.1;
  const x = (l0: number) => Math.round(MARGIN + (l0 / maxL0) * (WIDTH - 2 * MARGIN));
  const y = (fvu: number) => Math.round(HEIGHT - MARGIN - (fvu / maxFvu) * (HEIGHT - 2 * MARGIN));
  const plot = (px: number, py: number, color: readonly number[]) => {
    if (px < 0 || py < 0 || px >= WIDTH || py >= HEIGHT) return;
    rgb.set(color, (py * WIDTH + px) * 3);
  };
  const line = (x0: number, y0: number, x1: number, y1: number, color: readonly number[]) => {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let s = 0; s <= steps; s++) plot(Math.round(x0 + ((x1 - x0) * s) / steps), Math.round(y0 + ((y1 - y0) * s) / steps), color);
  };
  const axis = [0, 0, 0];
  line(MARGIN, HEIGHT - MARGIN, WIDTH - MARGIN, HEIGHT - MARGIN, axis);
  line(MARGIN, HEIGHT - MARGIN, MARGIN, MARGIN, axis);
  series.forEach((s, n) => {
    const color = s.color ?? SERIES_COLORS[Math.min(n, SERIES_COLORS.length - 1)];
    const finite = s.points.filter((p) => Number.isFinite(p.l0) && Number.isFinite(p.fvu)).sort((a, b) => a.l0 - b.l0);
    for (let i = 1; i < finite.length; i++) line(x(finite[i - 1].l0), y(finite[i - 1].fvu), x(finite[i].l0), y(finite[i].fvu), color);
    // One series alone keeps its red dots on a blue line; several are told apart by colour.
    const dot = series.length === 1 ? [200, 40, 40] : color;
    for (const p of finite) for (let dx = -3; dx <= 3; dx++) for (let dy = -3; dy <= 3; dy++) if (dx * dx + dy * dy <= 9) plot(x(p.l0) + dx, y(p.fvu) + dy, dot);
  });
  return encode({ width: WIDTH, height: HEIGHT, data: rgb, channels: 3, depth: 8 });
}
