/**
 * Opening a model.json in the pages: files written by the command line at small sizes (in
 * beforeAll, as `npm run train` and `npm run classify` write them), opened with the picker or
 * dropped on the page. The trainer draws the model on the current data (ρ̂ must be the CLI's
 * float64 ρ̂ over the same patches); the classification page scores it on the same digits (the
 * accuracy must be the CLI's) and its pad predicts as the float64 reference classifier on the
 * same pixels. Files of the wrong kind, garbage and wrong sizes give a message and change nothing.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { classifierProbabilities } from '../src/reference/classifier';
import { convolveFeatures, meanPool } from '../src/reference/conv';
import { runCli } from '../test/cli/run-cli';
import { canvasPixels, drawOnPad, expect, screenshot, test, waitForTrainer } from './page-helpers';

test.describe.configure({ mode: 'serial' });
test.setTimeout(300_000);

const dir = resolve('test-results', 'open-model');
const model = (name: string) => join(dir, name, 'model.json');
const report = (name: string) => JSON.parse(readFileSync(join(dir, name, 'report.json'), 'utf8'));

/** Each model the CLI writes here, and its arguments: a few iterations on small data. */
const runs = {
  natural: ['train', ['--data', 'natural', '--patches', '500', '--hidden', '9', '--iters', '10', '--seed', '2', '--device', 'cpu']],
  linear: ['train', ['--preset', 'ufldl-linear-decoder', '--patches', '400', '--hidden', '16', '--iters', '5', '--seed', '2', '--device', 'cpu']],
  topk: ['train', ['--model', 'topk', '--data', 'synthetic', '--features', '16', '--dimensions', '8', '--examples', '256', '--active', '2', '--hidden', '16', '--k', '2', '--iters', '5', '--batch-size', '64', '--device', 'cpu']],
  softmax: ['classify', ['--task', 'softmax', '--digits', '400', '--softmax-iters', '10', '--seed', '3']],
  stacked: ['classify', ['--task', 'stacked', '--digits', '400', '--hidden', '16', '--ae-iters', '5', '--softmax-iters', '5', '--finetune-iters', '5', '--seed', '3']],
  conv: ['classify', ['--task', 'conv', '--digits', '200', '--hidden', '8', '--patches', '1000', '--ae-iters', '15', '--pool', '7', '--softmax-iters', '60', '--seed', '3']],
} as const;

test.beforeAll(async () => {
  test.setTimeout(300_000);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const results = await Promise.all(
    Object.entries(runs).map(async ([name, [tool, args]]) => ({ name, ...(await runCli(tool, [...args, '--out', join(dir, name)])) })),
  );
  for (const r of results) expect(r.code, `${r.name}: ${r.stderr}`).toBe(0);
});

/** Drops a file on the page as a person dragging it from their files would. */
async function drop(page: Page, name: string, text: string): Promise<void> {
  await page.evaluate(
    ({ name, text }) => {
      const data = new DataTransfer();
      data.items.add(new File([text], name, { type: 'application/json' }));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    },
    { name, text },
  );
}

interface TrainerModel {
  file?: { kind: string; name: string; message?: string };
  opened?: string;
  shape?: { visibleSize: number; hiddenSize: number };
  meanActivation?: number[];
  runId?: number;
}

const trainerModel = (page: Page) => page.evaluate(() => (window as unknown as { trainerModel(): TrainerModel }).trainerModel());

async function trainerFileSettled(page: Page): Promise<TrainerModel> {
  await page.waitForFunction(`(() => { const m = window.trainerModel(); return !!m.file && m.file.kind !== 'opening'; })()`, null, { timeout: 120_000, polling: 100 });
  return trainerModel(page);
}

/** Pixels of a canvas whose red and green differ: drawn in color, not gray. */
const colorPixels = (page: Page, selector: string) =>
  page.evaluate((sel) => {
    const canvas = document.querySelector(sel) as HTMLCanvasElement;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - data[i + 1]) > 8 || Math.abs(data[i + 1] - data[i + 2]) > 8) n++;
    return n;
  }, selector);

test('the trainer opens a model.json of npm run train on the current data, and refuses what does not fit', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/index.html?preset=custom&data=natural&patches=500&seed=2&hidden=25');
  await waitForTrainer(page, "t.state === 'idle'");
  await page.setInputFiles('#model-input', model('natural'));
  let m = await trainerFileSettled(page);
  expect(m.file).toEqual({ kind: 'opened', name: 'model.json' });
  await waitForTrainer(page, "t.state === 'finished' && t.featuresDrawn > 0");
  expect(m.shape).toEqual({ visibleSize: 64, hiddenSize: 9 });
  // ρ̂ over every patch: the same patches (seed 2, 500) as the CLI's run, in float64 both.
  const rho: number[] = report('natural').meanActivation;
  expect(m.meanActivation).toHaveLength(9);
  m.meanActivation!.forEach((r, j) => expect(Math.abs(r - rho[j])).toBeLessThan(1e-9));
  await expect(page.locator('#state')).toHaveText('Opened');
  await expect(page.locator('#status-line')).toContainText('opened model.json');
  await expect(page.locator('#unit-stats')).toContainText('variance explained');
  expect((await canvasPixels(page, '#features')).std).toBeGreaterThan(5);
  expect((await canvasPixels(page, '#recon')).std).toBeGreaterThan(5);
  await screenshot(page, 'open-model-trainer');
  const shown = m.runId;

  // Nothing that does not fit replaces it: each gives its reason, and the model stays.
  const refusals: [string, string | (() => Promise<void>), RegExp][] = [
    ['classifier', model('softmax'), /is a classifier's model\.json \(npm run classify\)/],
    ['topk', model('topk'), /SAE \(npm run train -- --model topk\)/],
    ['wrong size', model('linear'), /is a 192-16 autoencoder, reading 192 values per example; the current data .* have 64/],
    ['garbage', async () => drop(page, 'broken.json', '{"visibleSize": 64, "W1": [[0.1,'), /not readable as JSON/],
  ];
  for (const [what, file, message] of refusals) {
    if (typeof file === 'string') await page.setInputFiles('#model-input', file);
    else await file();
    m = await trainerFileSettled(page);
    expect(m.file?.kind, what).toBe('refused');
    await expect(page.locator('#model-error')).toHaveText(message);
    await expect(page.locator('#model-error')).toContainText('The page is as it was.');
    expect(m.runId, what).toBe(shown);
    expect(m.opened).toBe('model.json');
    await expect(page.locator('#state')).toHaveText('Opened');
  }
  await screenshot(page, 'open-model-trainer-refused');
});

test('the trainer opens the linear decoder on the color patches, whitened with its own ZCAWhite, reconstructions in color', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/index.html?preset=custom&data=natural-color&patches=400&seed=5&hidden=25');
  await waitForTrainer(page, "t.state === 'idle'");
  await page.setInputFiles('#model-input', model('linear'));
  const m = await trainerFileSettled(page);
  expect(m.file?.kind).toBe('opened');
  await waitForTrainer(page, "t.state === 'finished' && t.featuresDrawn > 0");
  expect(m.shape).toEqual({ visibleSize: 192, hiddenSize: 16, output: 'linear' });
  await expect(page.locator('#status-line')).toContainText('whitened with its own meanPatch and ZCAWhite');
  expect(await colorPixels(page, '#features')).toBeGreaterThan(100);
  expect(await colorPixels(page, '#recon')).toBeGreaterThan(100);
  await screenshot(page, 'open-model-trainer-color');
});

interface ClassifyView {
  phase: string;
  accuracies: Record<string, number>;
  testCount: number;
  modelFile?: { kind: string; message?: string };
  classifier?: { shape: { inputSize: number; hiddenSizes: number[]; numClasses: number }; theta: number[] };
  digit?: { pixels: number[]; probabilities: number[]; predicted: number };
}

const classifyView = (page: Page) =>
  page.evaluate(() => {
    const s = (window as unknown as { classify: () => any }).classify();
    return {
      phase: s.phase,
      accuracies: s.accuracies,
      testCount: s.testCount,
      modelFile: s.modelFile,
      classifier: s.classifier && { shape: s.classifier.shape, theta: Array.from(s.classifier.theta as Float64Array) },
      digit: s.digit && { pixels: Array.from(s.digit.pixels as Float32Array), probabilities: Array.from(s.digit.probabilities as Float64Array), predicted: s.digit.predicted },
    } as ClassifyView;
  });

async function classifyFileSettled(page: Page): Promise<ClassifyView> {
  await page.waitForFunction(`(() => { const f = window.classify().modelFile; return !!f && f.kind !== 'opening'; })()`, null, { timeout: 120_000, polling: 100 });
  return classifyView(page);
}

test('the classification page scores a model.json of npm run classify as the CLI did, and its pad reads with it', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/classify.html?digits=400&seed=3');
  await expect(page.locator('#open-model')).toBeEnabled();
  await page.setInputFiles('#model-input', model('softmax'));
  let s = await classifyFileSettled(page);
  expect(s.modelFile?.kind).toBe('opened');
  expect(s.phase).toBe('finished');
  expect(s.testCount).toBe(200);
  // The CLI scored it on the same 200 test digits (seed 3, 400 digits), on WebGPU too.
  expect(s.accuracies['raw pixels']).toBe(report('softmax').accuracies['raw pixels']);
  await expect(page.locator('.accuracies li[data-name="raw pixels"] .accuracy-value')).toHaveText(`${(100 * s.accuracies['raw pixels']).toFixed(1)}%`);
  await expect(page.locator('#confusion table')).toBeVisible();
  await expect(page.locator('#digit-grid figure')).toHaveCount(100);

  // A digit drawn on the pad: the page's prediction is the float64 reference's on its pixels.
  await drawOnPad(page, [[[0.25, 0.2], [0.75, 0.2], [0.45, 0.85]]]);
  await page.waitForFunction(`(() => { const s = window.classify(); return !!s.digit && !window.classifyPadBusy(); })()`, null, { timeout: 60_000, polling: 50 });
  s = await classifyView(page);
  const reference = Array.from(classifierProbabilities(Float64Array.from(s.classifier!.theta), s.classifier!.shape, { data: Float64Array.from(s.digit!.pixels), examples: 1, visibleSize: 784 }));
  const best = reference.indexOf(Math.max(...reference));
  s.digit!.probabilities.forEach((p, c) => expect(Math.abs(p - reference[c])).toBeLessThan(1e-4));
  expect(s.digit!.predicted).toBe(best);
  await expect(page.locator('#pad-predicted')).toHaveText(String(best));
  await screenshot(page, 'open-model-classify');

  // Not a classifier, or not JSON: the message, and the classifier and the drawn digit stay.
  for (const [send, message] of [
    [() => page.setInputFiles('#model-input', model('natural')), /is not a classifier model .*npm run train/],
    [() => drop(page, 'model.json', 'not json at all'), /not readable as JSON/],
  ] as const) {
    await send();
    const after = await classifyFileSettled(page);
    expect(after.modelFile?.kind).toBe('refused');
    await expect(page.locator('#model-error')).toHaveText(message);
    expect(after.accuracies).toEqual(s.accuracies);
    expect(after.digit?.predicted).toBe(best);
  }

  // A stacked network: its task's split, its accuracy after fine-tuning as the CLI measured it.
  await page.setInputFiles('#model-input', model('stacked'));
  await page.waitForFunction(`window.classify().modelFile?.kind === 'opened' && window.classify().task === 'stacked'`, null, { timeout: 120_000 });
  s = await classifyView(page);
  expect(s.accuracies['after fine-tuning']).toBe(report('stacked').accuracies['after fine-tuning']);
  expect(s.classifier!.shape.hiddenSizes).toEqual([16, 16]);
});

test(`the classification page opens a conv model: its convolution on the GPU, the CLI's accuracy, the pooled maps, the pad through the same convolution`, async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/classify.html?task=conv&digits=200&seed=3');
  await expect(page.locator('#open-model')).toBeEnabled();
  await page.setInputFiles('#model-input', model('conv'));
  await page.waitForFunction(`window.classify().modelFile?.kind === 'opened' && window.classify().task === 'conv'`, null, { timeout: 120_000 });
  let s = await classifyView(page);
  expect(s.testCount).toBe(100);
  // The CLI convolved, pooled and scored the same 100 test digits (seed 3, 200 digits) on WebGPU.
  expect(s.accuracies['pooled convolved features']).toBe(report('conv').accuracies['pooled convolved features']);
  await expect(page.locator('#pooled-card')).toBeVisible();
  expect((await canvasPixels(page, '#pooled-maps')).std).toBeGreaterThan(5);
  await expect(page.locator('#digit-grid figure')).toHaveCount(100);

  // A drawn digit goes through the model's convolution: the float64 reference's σ, pooling and softmax on its pixels.
  await drawOnPad(page, [[[0.5, 0.15], [0.5, 0.85]]]);
  await page.waitForFunction(`(() => { const s = window.classify(); return !!s.digit && !window.classifyPadBusy(); })()`, null, { timeout: 60_000, polling: 50 });
  s = await classifyView(page);
  const file = JSON.parse(readFileSync(model('conv'), 'utf8'));
  const c = file.convolution;
  const convolved = convolveFeatures(s.digit!.pixels, c.weights, c.bias, { images: 1, channels: 1, imageDim: 28, features: c.features, patchDim: c.patchDim });
  const pooled = meanPool(convolved, c.features, 28 - c.patchDim + 1, c.poolDim);
  const reference = Array.from(classifierProbabilities(Float64Array.from(file.theta), file.shape, { data: pooled, examples: 1, visibleSize: pooled.length }));
  s.digit!.probabilities.forEach((p, k) => expect(Math.abs(p - reference[k])).toBeLessThan(1e-4));
  expect(s.digit!.predicted).toBe(reference.indexOf(Math.max(...reference)));
  await expect(page.locator('#pad-features figure')).not.toHaveCount(0);
  await screenshot(page, 'open-model-conv');

  // A conv model.json without its convolution cannot say what the softmax reads: refused, the model stays.
  const { convolution: _, ...bare } = file;
  await drop(page, 'bare.json', JSON.stringify(bare));
  const after = await classifyFileSettled(page);
  expect(after.modelFile?.kind).toBe('refused');
  await expect(page.locator('#model-error')).toContainText('carries no convolution');
  expect(after.accuracies).toEqual(s.accuracies);
  expect(after.digit?.predicted).toBe(s.digit!.predicted);
});
