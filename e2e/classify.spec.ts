/**
 * The classification page (classify.html) in headless Chromium on WebGPU (SwiftShader here):
 * each task at reduced sizes (1,000 digits, a few tens of hidden units and iterations) runs to
 * the end, a stop part-way through says so, and without WebGPU the page says why nothing runs.
 */
import type { Page } from '@playwright/test';
import { canvasPixels, drawOnPad, expect, screenshot, test } from './page-helpers';

test.describe.configure({ mode: 'serial' });

interface PageState {
  phase: string;
  testCount?: number;
  numClasses?: number;
  accuracies: Record<string, number>;
  stages: { name: string; status: string; iteration: number }[];
  features: { iteration: number; final: boolean }[];
}

const small = (ae: number) => `digits=1000&hidden=25&ae=${ae}&softmax=50&finetune=20`;

function pageState(page: Page): Promise<PageState> {
  return page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { classify: () => unknown }).classify())));
}

async function waitForPhase(page: Page, predicate: string, timeout = 120_000): Promise<PageState> {
  await page.waitForFunction(`(() => { const s = window.classify?.(); return !!s && (${predicate}); })()`, null, { timeout, polling: 100 });
  return pageState(page);
}

/** Runs `task` from the page's controls (preset by the query) and waits for the end. */
async function runTask(page: Page, task: string, autoencoderIterations = 20): Promise<PageState> {
  await page.goto(`/classify.html?task=${task}&${small(autoencoderIterations)}`);
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'gpu');
  await expect(page.locator(`input[name="task"][value="${task}"]`)).toBeChecked();
  await expect(page.locator('#digits')).toHaveValue('1000');
  const started = Date.now();
  await page.click('#start');
  const done = await waitForPhase(page, "s.phase === 'finished' || s.phase === 'error'");
  expect(done.phase, await page.locator('#run-error').textContent() ?? '').toBe('finished');
  console.log(`${task}: ${((Date.now() - started) / 1000).toFixed(1)} s; ${JSON.stringify(done.accuracies)}`);
  return done;
}

/** Every stage done, the confusion table k × k summing to the test count, the digits labeled. */
async function expectResult(page: Page, done: PageState, k: number): Promise<void> {
  const cards = page.locator('.stage-card');
  await expect(cards).toHaveCount(done.stages.length);
  for (let i = 0; i < done.stages.length; i++) await expect(cards.nth(i).locator('.stage-status')).toHaveText('done');
  expect(done.numClasses).toBe(k);

  const table = page.locator('table.confusion');
  await expect(table.locator('tbody tr')).toHaveCount(k);
  await expect(table.locator('thead th')).toHaveCount(k + 2);
  const counts = (await table.locator('td.count').allTextContents()).map(Number);
  expect(counts).toHaveLength(k * k);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(done.testCount);
  const diagonal = await table.locator('td.count.diagonal').allTextContents();
  expect(diagonal).toHaveLength(k);

  const digits = page.locator('.digit');
  await expect(digits).toHaveCount(100);
  const predicted = (await page.locator('.digit .predicted').allTextContents()).map(Number);
  expect(predicted.every((p) => Number.isInteger(p) && p >= 0 && p < k)).toBe(true);
  // Mistakes are marked and name the true label; the rest are not.
  const wrong = page.locator('.digit.wrong');
  const wrongCount = await wrong.count();
  await expect(page.locator('.digit .true-label')).toHaveCount(wrongCount);
  if (wrongCount > 0) {
    const first = wrong.first();
    expect(await first.getAttribute('data-label')).not.toBe(await first.getAttribute('data-predicted'));
    await expect(first.locator('.true-label')).toHaveText(`true ${await first.getAttribute('data-label')}`);
    await expect(first).toHaveCSS('border-top-color', 'rgb(192, 57, 43)');
  }
  await expect(page.locator('#digits-meta')).toContainText(`${wrongCount} wrong`);
}

async function accuracyShown(page: Page, name: string): Promise<number> {
  const item = page.locator(`#accuracies li[data-name="${name}"]`);
  await expect(item.locator('.accuracy-value')).toHaveText(/^\d+\.\d%$/);
  return Number(await item.getAttribute('data-value'));
}

test('softmax: raw pixels classify the digits far above chance', async ({ page, consoleErrors }) => {
  void consoleErrors;
  const done = await runTask(page, 'softmax');
  await expectResult(page, done, 10);
  expect(done.stages.map((s) => s.name)).toEqual(['softmax on raw pixels']);
  const raw = await accuracyShown(page, 'raw pixels');
  expect(raw).toBe(done.accuracies['raw pixels']);
  expect(raw).toBeGreaterThan(0.5);
  await expect(page.locator('.stage-card .stage-accuracy')).toHaveText(`test accuracy ${(100 * raw).toFixed(1)}%`);
  await expect(page.locator('.card-features')).toHaveCount(0);
  await screenshot(page, 'classify-softmax');
});

test('self-taught learning: features of the unlabeled digits beside raw pixels, 5 classes', async ({ page, consoleErrors }) => {
  void consoleErrors;
  const done = await runTask(page, 'stl');
  await expectResult(page, done, 5);
  expect(await accuracyShown(page, 'self-taught features')).toBeGreaterThan(0.4);
  expect(await accuracyShown(page, 'raw pixels')).toBeGreaterThan(0.4);
  await expect(page.locator('.card-features')).toHaveCount(1);
  expect(done.features[0]).toMatchObject({ final: true, iteration: done.stages[0].iteration });
  expect((await canvasPixels(page, '#features-1')).std, 'layer 1 features are drawn').toBeGreaterThan(20);
  await screenshot(page, 'classify-stl');
});

test('stacked: two layers of features, accuracy before and after fine-tuning', async ({ page, consoleErrors }) => {
  void consoleErrors;
  // Layer 2 learns from layer 1's features: 20 iterations each leave it near chance before fine-tuning.
  const done = await runTask(page, 'stacked', 50);
  await expectResult(page, done, 10);
  const before = await accuracyShown(page, 'before fine-tuning');
  const after = await accuracyShown(page, 'after fine-tuning');
  expect(after).toBeGreaterThan(0.5);
  expect(before).toBeGreaterThan(0.1);
  await expect(page.locator('.card-features')).toHaveCount(2);
  for (const layer of [1, 2]) expect((await canvasPixels(page, `#features-${layer}`)).std, `layer ${layer} features are drawn`).toBeGreaterThan(20);
  await expect(page.locator('.card-features[data-layer="2"] .caption')).toContainText('W⁽²⁾·W⁽¹⁾');
  await screenshot(page, 'classify-stacked');
});

test('conv: features learned on patches, every digit convolved and pooled, softmax; the pad reads a digit through the same path', async ({ page, consoleErrors }) => {
  void consoleErrors;
  // 200 digits (100 / 100), 16 features from 1,000 patches: 16 × 3×3 = 144 pooled values per digit.
  await page.goto('/classify.html?task=conv&digits=200&hidden=16&ae=15&softmax=40&patches=1000&pool=7');
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'gpu');
  await expect(page.locator('input[name="task"][value="conv"]')).toBeChecked();
  await expect(page.locator('#patches')).toHaveValue('1000');
  await expect(page.locator('#poolDim')).toHaveValue('7');
  const started = Date.now();
  await page.click('#start');
  // The convolution stage's card counts images, not iterations, before it runs.
  await expect(page.locator('.stage-card[data-kind="convolution"] .meta')).toHaveText('200 images (training and test)');
  // The pooled maps' card is there from the start, saying what it will show.
  await expect(page.locator('#pooled-caption')).toContainText('appear here once the convolution stage has pooled the test digits');
  const done = await waitForPhase(page, "s.phase === 'finished' || s.phase === 'error'");
  expect(done.phase, (await page.locator('#run-error').textContent()) ?? '').toBe('finished');
  const stageSeconds = await page.evaluate(() => (window as unknown as { classify: () => { stages: { elapsedSeconds: number }[] } }).classify().stages.map((s) => s.elapsedSeconds.toFixed(1)));
  console.log(`conv: ${((Date.now() - started) / 1000).toFixed(1)} s (stages ${stageSeconds.join(', ')} s); ${JSON.stringify(done.accuracies)}`);
  await expectResult(page, done, 10);
  expect(done.stages.map((s) => s.name)).toEqual(['sparse autoencoder (8×8 patches of the training images)', 'convolution and pooling', 'softmax on the pooled features']);

  // Stage 1: the patch features, drawn.
  expect(done.features[0]).toMatchObject({ final: true, iteration: done.stages[0].iteration });
  expect((await canvasPixels(page, '#features-1')).std, 'the patch features are drawn').toBeGreaterThan(20);
  await expect(page.locator('.card-features .caption')).toContainText('patch');
  // Stage 2: every image, training and test, convolved; then the first test digits' pooled maps.
  expect(done.stages[1]).toMatchObject({ status: 'done', iteration: 200 });
  await expect(page.locator('.stage-card[data-kind="convolution"]')).toHaveAttribute('data-images', '200');
  await expect(page.locator('.stage-card[data-kind="convolution"] progress')).toHaveJSProperty('value', 200);
  await expect(page.locator('.stage-card[data-kind="convolution"] footer')).toContainText('200 images in');
  await expect(page.locator('#pooled-meta')).toHaveText('first 4 test digits · 16 maps of 3×3 each');
  const maps = await canvasPixels(page, '#pooled-maps');
  expect(maps.std, 'the pooled maps are drawn').toBeGreaterThan(20);
  // Stage 3: the softmax's cost curve, and its accuracy: the one the worker scored, and the confusion's diagonal share.
  expect(done.stages[2].iteration).toBeGreaterThan(0);
  const shown = await accuracyShown(page, 'pooled convolved features');
  expect(shown).toBe(done.accuracies['pooled convolved features']);
  const confusion = await page.evaluate(() => (window as unknown as { classify: () => { confusion: number[][] } }).classify().confusion);
  expect(confusion.reduce((sum, row, i) => sum + row[i], 0) / done.testCount!).toBeCloseTo(shown, 12);
  expect(shown, 'far above chance (10%)').toBeGreaterThan(0.3);
  await expect(page.locator('.stage-card[data-kind="softmax"] .stage-accuracy')).toHaveText(`test accuracy ${(100 * shown).toFixed(1)}%`);

  // The pad: a drawn "1" convolved, pooled and classified on the GPU.
  await expect(page.locator('#pad-card')).toBeVisible();
  await expect(page.locator('#pad-meta')).toContainText('convolved with the 16 features, mean-pooled by 7');
  await drawOnPad(page, [[[0.5, 0.15], [0.5, 0.85]]]);
  await page.waitForFunction('!!window.classify().digit && !window.classifyPadBusy()', null, { timeout: 60_000, polling: 100 });
  const digit = await page.evaluate(() => {
    const d = (window as unknown as { classify: () => { digit: { predicted: number; probabilities: Float64Array; pooled: { unit: number; strength: number }[] } } }).classify().digit;
    return { predicted: d.predicted, probabilities: Array.from(d.probabilities), pooled: d.pooled.map((f) => ({ unit: f.unit, strength: f.strength })) };
  });
  expect(digit.probabilities).toHaveLength(10);
  expect(digit.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  await expect(page.locator('#pad-predicted')).toHaveText(String(digit.predicted));
  await expect(page.locator('#pad-probabilities li')).toHaveCount(10);
  await expect(page.locator('#pad-features-title')).toHaveText('Convolution features whose pooled maps respond most');
  await expect(page.locator('#pad-features .pad-pooled')).toHaveCount(6);
  expect(digit.pooled.map((f) => f.strength)).toEqual([...digit.pooled.map((f) => f.strength)].sort((a, b) => b - a));
  await screenshot(page, 'classify-conv');
});

test('Stop part-way through a stage: the page says stopped and keeps what was done', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/classify.html?task=stacked&digits=1000&hidden=25&ae=400&softmax=50&finetune=20');
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'gpu');
  await page.click('#start');
  await expect(page.locator('#stop')).toBeEnabled();
  const running = await waitForPhase(page, 's.stages.length > 0 && s.stages[0].iteration >= 3 && s.features.length > 0');
  // Layer 1's features are drawn while it trains, not only at the end.
  expect(running.features[0].final).toBe(false);
  expect((await canvasPixels(page, '#features-1')).std).toBeGreaterThan(5);
  await page.click('#stop');
  const stopped = await waitForPhase(page, "s.phase !== 'stopping' && s.phase !== 'running'");
  expect(stopped.phase).toBe('stopped');
  await expect(page.locator('#status-line')).toContainText('Stopped');
  await expect(page.locator('.stage-card').first().locator('.stage-status')).toHaveText('stopped');
  expect(stopped.stages[0].iteration).toBeLessThan(400);
  await expect(page.locator('.stage-card').nth(1).locator('.stage-status')).toHaveText('waiting');
  await expect(page.locator('#start')).toBeEnabled();
  await expect(page.locator('#stop')).toBeDisabled();
});

test('without WebGPU the page says how to get it and starts nothing', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  await page.goto('/classify.html');
  const notice = page.locator('#no-webgpu');
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('navigator.gpu is missing');
  await expect(notice).toContainText('WebGPU only');
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'cpu');
  await expect(page.locator('#start')).toBeDisabled();
  await expect(page.locator('#status-line')).toContainText('WebGPU is not available');
});
