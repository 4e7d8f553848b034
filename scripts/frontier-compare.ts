/**
 * Draws several SAE sweeps on one L0–FVU plot and tabulates them:
 *   npx tsx scripts/frontier-compare.ts OUT.svg A/report.json B/report.json …
 * Each report.json is a `npm run train -- --model … --sweep …` folder's. OUT.svg is the picture
 * to read (numbered axes, each model labelled with its k or λ, a legend naming the variants);
 * OUT.png the same without text (frame, ticks, swatches in series order). Series colours in
 * order: blue, red, green (src/display/frontier.ts). The table (markdown, on stdout) gives per
 * model its setting, L0, FVU, dead fraction and MMCS.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { frontierComparePng, frontierSeries, frontierSvg, SERIES_COLORS } from '../src/display/frontier';

interface SweepRun {
  variant: string;
  settings: { k: number; l1: number; steps: number; batchSize: number; learningRate: number };
  steps: number;
  exitReason: string;
  metrics: { l0: number; fvu: number; deadFraction: number; mmcs?: number };
}

const [out, ...reports] = process.argv.slice(2);
if (!out || reports.length === 0) {
  process.stderr.write('usage: npx tsx scripts/frontier-compare.ts OUT.svg|OUT.png A/report.json B/report.json …\n');
  process.exit(2);
}
const sweeps = reports.map((path) => {
  const report = JSON.parse(readFileSync(path, 'utf8')) as { runs?: SweepRun[] } & SweepRun;
  return report.runs ?? [report];
});
const series = sweeps.map((runs) => frontierSeries(runs));
writeFileSync(out, out.endsWith('.png') ? frontierComparePng(series) : frontierSvg(series, `L0–FVU frontier: ${series.map((s) => s.name).join(', ')}`));
const colorName = (n: number) => ['blue', 'red', 'green', 'grey'][Math.min(n, SERIES_COLORS.length - 1)];
const lines = ['| model (colour) | setting | steps | L0 | FVU | dead | MMCS |', '| --- | --- | --- | --- | --- | --- | --- |'];
sweeps.forEach((runs, n) => {
  for (const r of runs) {
    const setting = r.variant === 'relu-l1' ? `λ = ${r.settings.l1}` : `k = ${r.settings.k}`;
    const m = r.metrics;
    lines.push(`| ${r.variant} (${colorName(n)}) | ${setting} | ${r.steps}${r.exitReason === 'max-iterations' ? '' : ` (${r.exitReason})`} | ${m.l0.toFixed(2)} | ${m.fvu.toFixed(3)} | ${(100 * m.deadFraction).toFixed(1)}% | ${m.mmcs?.toFixed(3) ?? '–'} |`);
  }
});
process.stdout.write(`${lines.join('\n')}\n`);
