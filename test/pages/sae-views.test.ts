/** The SAE page's words, colors and geometry (src/pages/sae/views.ts); e2e/sae.spec.ts draws them in a browser. */
import { describe, expect, it } from 'vitest';
import { densityHistogram } from '../../src/analysis/sae-metrics';
import { DEFAULT_SETTINGS } from '../../src/pages/sae/state';
import { densityBars, FRONTIER_MARGIN, frontierGeometry, imageSide, niceCeiling, runAt, runLabel, runMetricsText, variantColors, variantLabel } from '../../src/pages/sae/views';
import { storedRun } from './sae-fixtures';

describe('SAE page views', () => {
  it('names a variant by its sparsity setting', () => {
    expect(variantLabel({ ...DEFAULT_SETTINGS, variant: 'topk', k: 5 })).toBe('TopK k 5');
    expect(variantLabel({ ...DEFAULT_SETTINGS, variant: 'batchtopk', k: 8 })).toBe('BatchTopK k 8');
    expect(variantLabel({ ...DEFAULT_SETTINGS, variant: 'relu-l1', l1: 0.6 })).toBe('ReLU-L1 λ 0.6');
  });

  it('a stored run in words', () => {
    const run = storedRun(3, 'topk', 4.756, 0.13123);
    expect(runLabel(run)).toBe('#3 TopK k 5, 512 latents, 4000 steps × 256, lr 0.001, seed 1');
    expect(runMetricsText(run)).toBe('L0 4.76 · FVU 0.1312 · dead 3/512 · MMCS 0.950');
    expect(runMetricsText({ ...run, metrics: { ...run.metrics, mmcs: undefined } })).toBe('L0 4.76 · FVU 0.1312 · dead 3/512');
  });

  it('axes end at round numbers above the largest value', () => {
    expect(niceCeiling(4.76)).toBe(10);
    expect(niceCeiling(0.31)).toBe(0.5);
    expect(niceCeiling(0.13)).toBe(0.2);
    expect(niceCeiling(0)).toBe(1);
  });

  it('places runs by L0 across and FVU up, colored by variant, and finds the one under the mouse', () => {
    const runs = [storedRun(1, 'topk', 5, 0.1), storedRun(2, 'relu-l1', 10, 0.2), storedRun(3, 'batchtopk', NaN, 0.3)];
    const g = frontierGeometry(runs, 400, 300);
    expect(g.l0Max).toBe(20);
    expect(g.fvuMax).toBe(0.25);
    expect(g.points.map((p) => p.id)).toEqual([1, 2]); // a run without a finite L0 is not drawn
    const [a, b] = g.points;
    expect(a.x).toBeCloseTo(FRONTIER_MARGIN.left + 0.25 * g.width);
    expect(a.y).toBeCloseTo(FRONTIER_MARGIN.top + (1 - 0.4) * g.height);
    expect(b.y).toBeCloseTo(FRONTIER_MARGIN.top + (1 - 0.8) * g.height);
    expect(a.color).toBe(variantColors.topk);
    expect(b.color).toBe(variantColors['relu-l1']);
    expect(runAt(g.points, a.x + 3, a.y - 3)).toBe(1);
    expect(runAt(g.points, b.x, b.y)).toBe(2);
    expect(runAt(g.points, (a.x + b.x) / 2, (a.y + b.y) / 2)).toBeUndefined();
  });

  it('FVU above 1 (worse than the mean) still fits on the plot', () => {
    const g = frontierGeometry([storedRun(1, 'topk', 2, 1.3)], 400, 300);
    expect(g.fvuMax).toBeGreaterThanOrEqual(1.3);
    expect(g.points[0].y).toBeGreaterThanOrEqual(FRONTIER_MARGIN.top);
  });

  it('decoder directions are images only for square sizes', () => {
    expect(imageSide(64)).toBe(8);
    expect(imageSide(784)).toBe(28);
    expect(imageSide(16)).toBe(4);
    expect(imageSide(768)).toBeUndefined();
    expect(imageSide(1)).toBeUndefined();
  });

  it('the density bars: dead first, then the occupied decades with one empty bin either side', () => {
    // 2 dead, one latent at 10^-2 and one at 10^-1.5 (quarter-decade bins from 10^-8).
    const bars = densityBars(densityHistogram(Float64Array.from([0, 0, 0.01, 10 ** -1.5])));
    expect(bars[0]).toEqual({ label: 'dead', count: 2, dead: true });
    expect(bars.slice(1).map((b) => b.label)).toEqual(['-2.25', '-2', '-1.75', '-1.5', '-1.25']);
    expect(bars.slice(1).map((b) => b.count)).toEqual([0, 1, 0, 1, 0]);
    expect(densityBars(densityHistogram(Float64Array.from([0]))).length).toBe(1);
  });
});
