/**
 * Your own digit, on the classification page: once a classifier is trained, strokes drawn on the
 * pad (by the mouse here) are scaled and centred as MNIST's digits were and classified on the GPU
 * by the trained network; its probabilities must be the float64 reference classifier's on the
 * same 784 pixels, and the features shown must be the first layer's strongest responses.
 */
import type { Page } from '@playwright/test';
import { classifierProbabilities, classifierLayout, type ClassifierShape } from '../src/reference/classifier';
import { centreOfMass, strongestFeatures } from '../src/pages/classify/digit-pad';
import { drawOnPad, expect, screenshot, test } from './page-helpers';

test.describe.configure({ mode: 'serial' });
test.setTimeout(180_000);

interface PadState {
  phase: string;
  classifier: { shape: ClassifierShape; theta: number[] };
  digit: { id: number; pixels: number[]; probabilities: number[]; predicted: number; features?: { unit: number; activation: number }[] };
}

/** Strokes of a 7 across the pad, in fractions of its size. */
const seven = [
  [
    [0.25, 0.2],
    [0.75, 0.2],
    [0.45, 0.85],
  ],
  [
    [0.35, 0.52],
    [0.62, 0.52],
  ],
];


async function settled(page: Page): Promise<PadState> {
  await page.waitForFunction(
    `(() => { const s = window.classify?.(); return !!s && (!!s.digit || !!s.digitError) && !window.classifyPadBusy(); })()`,
    null,
    { timeout: 60_000, polling: 50 },
  );
  expect(await page.evaluate(() => (window as unknown as { classify: () => { digitError?: string } }).classify().digitError)).toBeUndefined();
  return page.evaluate(() => {
    const s = (window as unknown as { classify: () => any }).classify();
    return {
      phase: s.phase,
      classifier: { shape: s.classifier.shape, theta: Array.from(s.classifier.theta as Float64Array) },
      digit: { ...s.digit, pixels: Array.from(s.digit.pixels as Float32Array), probabilities: Array.from(s.digit.probabilities as Float64Array) },
    } as PadState;
  });
}

function reference(state: PadState): number[] {
  const { shape, theta } = state.classifier;
  return Array.from(classifierProbabilities(Float64Array.from(theta), shape, { data: Float64Array.from(state.digit.pixels), examples: 1, visibleSize: 784 }));
}

test('a digit drawn on the pad: the GPU classifier agrees with the float64 reference on the same pixels', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/classify.html?task=stacked&digits=1000&hidden=25&ae=10&softmax=10&finetune=15');
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'gpu');
  await expect(page.locator('#pad-card')).toBeHidden();
  await page.click('#start');
  await page.waitForFunction(`(() => { const s = window.classify?.(); return !!s && (s.phase === 'finished' || s.phase === 'error'); })()`, null, { timeout: 120_000 });
  await expect(page.locator('#pad-card')).toBeVisible();
  await expect(page.locator('#pad-meta')).toContainText('fine-tuned stacked network, 784-25-25-10');

  await drawOnPad(page, seven);
  const state = await settled(page);
  expect(state.phase).toBe('finished');
  // Prepared as MNIST's: ink in [0, 1], 20 pixels on the long side, centre of mass at the centre.
  const pixels = state.digit.pixels;
  expect(pixels).toHaveLength(784);
  expect(pixels.every((v) => v >= 0 && v <= 1)).toBe(true);
  const com = centreOfMass(pixels);
  expect(Math.abs(com.x - 14)).toBeLessThanOrEqual(0.5);
  expect(Math.abs(com.y - 14)).toBeLessThanOrEqual(0.5);

  const expected = reference(state);
  const gpu = state.digit.probabilities;
  console.log(`drawn 7: GPU ${gpu.map((p) => p.toFixed(4)).join(' ')}; predicted ${state.digit.predicted}`);
  expect(gpu).toHaveLength(10);
  for (let c = 0; c < 10; c++) expect(Math.abs(gpu[c] - expected[c]), `p(${c})`).toBeLessThan(1e-4);
  const best = expected.indexOf(Math.max(...expected));
  expect(state.digit.predicted).toBe(best);
  await expect(page.locator('#pad-predicted')).toHaveText(String(best));
  await expect(page.locator('#pad-probabilities li')).toHaveCount(10);
  await expect(page.locator('#pad-probabilities li.top')).toHaveCount(1);

  // The features shown are the fine-tuned first layer's strongest responses to these pixels.
  const layer = classifierLayout(state.classifier.shape).layers[0];
  const strongest = strongestFeatures(state.classifier.theta, layer, pixels, 6);
  expect(state.digit.features!.map((f) => f.unit)).toEqual(strongest.map((f) => f.unit));
  await expect(page.locator('.pad-feature')).toHaveCount(6);
  await expect(page.locator('.pad-feature').first()).toHaveAttribute('data-unit', String(strongest[0].unit));
  await screenshot(page, 'classify-pad');

  // Drawing more updates the prediction; Clear empties the pad and the answer.
  await drawOnPad(page, [[[0.5, 0.1], [0.5, 0.9]]]);
  const more = await settled(page);
  expect(more.digit.id).toBeGreaterThan(state.digit.id);
  expect(more.digit.pixels).not.toEqual(pixels);
  const again = reference(more);
  for (let c = 0; c < 10; c++) expect(Math.abs(more.digit.probabilities[c] - again[c])).toBeLessThan(1e-4);
  await page.click('#pad-clear');
  await expect(page.locator('#pad-predicted')).toHaveText('');
  await expect(page.locator('#pad-probabilities li')).toHaveCount(0);
});
