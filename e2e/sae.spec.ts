/**
 * The SAE page in headless Chromium (WebGPU on SwiftShader): a small TopK run on synthetic data
 * reports L0, FVU and MMCS, is kept in IndexedDB and drawn on the frontier across a reload; a
 * ReLU-L1 run joins it; a bad file is refused in words with the page's state kept.
 */
import type { Page } from '@playwright/test';
import { expect, screenshot, test } from './page-helpers';

interface SaePage {
  phase: string;
  step: number;
  steps: number;
  device: string;
  l0?: number;
  fvu?: number;
  dead?: number;
  mmcs?: number;
  snapshotExamples: number;
  finished: string;
  runs: number;
  error: string;
  fileError: string;
  problems: string[];
}

const saePage = (page: Page) => page.evaluate(() => ({ ...(window as unknown as { saePage: SaePage }).saePage }));

async function waitFor(page: Page, predicate: string, timeout = 240_000): Promise<SaePage> {
  await page.waitForFunction(`(() => { const s = window.saePage; return !!s && (${predicate}); })()`, null, { timeout, polling: 100 });
  return saePage(page);
}

/** Pixels of the frontier canvas in a variant's color (within a few levels). */
function pixelsOfColor(page: Page, rgb: [number, number, number]): Promise<number> {
  return page.evaluate((target) => {
    const canvas = document.getElementById('frontier') as HTMLCanvasElement;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 200 && Math.abs(data[i] - target[0]) < 8 && Math.abs(data[i + 1] - target[1]) < 8 && Math.abs(data[i + 2] - target[2]) < 8) n++;
    }
    return n;
  }, rgb);
}

const TOPK_BLUE: [number, number, number] = [0x2f, 0x6f, 0xd6];
const RELU_GREEN: [number, number, number] = [0x2a, 0x9d, 0x6a];

// 32 directions in 16 dimensions, 3 active; 64 latents, 30 steps: about 30 s a run on SwiftShader
// (each step's dispatches cost far more there than their arithmetic).
const SMALL = 'features=32&dimensions=16&active=3&examples=2000&latents=64&batch=64&steps=30&lr=0.01&seed=1';

test('SAE page: TopK and ReLU-L1 runs are measured, stored, drawn on the frontier and survive a reload', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto(`/sae.html?variant=topk&k=3&${SMALL}`);
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'gpu');
  await expect(page.locator('#k')).toHaveValue('3');
  await page.click('#start');
  const topk = await waitFor(page, "s.phase === 'finished'");
  expect(topk.device).not.toMatch(/float64/);
  expect(topk.step).toBe(30);
  // Over all 2,000 examples: TopK keeps exactly k latents per example, all of them positive here.
  expect(topk.snapshotExamples).toBe(2000);
  expect(topk.l0).toBeCloseTo(3, 1);
  expect(topk.fvu).toBeGreaterThan(0);
  expect(topk.fvu).toBeLessThan(0.5);
  expect(topk.mmcs).toBeGreaterThan(0.5);
  expect(topk.mmcs).toBeLessThanOrEqual(1);
  await expect(page.locator('#l0')).toHaveText(topk.l0!.toFixed(2));
  await expect(page.locator('#fvu')).toHaveText(topk.fvu!.toFixed(4));
  await expect(page.locator('#mmcs')).toHaveText(topk.mmcs!.toFixed(3));
  await waitFor(page, 's.runs === 1');
  await expect(page.locator('#run-list li')).toHaveCount(1);
  await expect(page.locator('#run-list li').first()).toContainText('TopK k 3');
  await expect.poll(() => pixelsOfColor(page, TOPK_BLUE)).toBeGreaterThan(20);

  // Kept in IndexedDB: after a reload the run is still listed and drawn.
  await page.reload();
  await waitFor(page, 's.runs === 1');
  await expect(page.locator('#run-list li').first()).toContainText(`FVU ${topk.fvu!.toFixed(4)}`);
  await expect.poll(() => pixelsOfColor(page, TOPK_BLUE)).toBeGreaterThan(20);

  // A ReLU-L1 run beside it.
  await page.selectOption('#variant', 'relu-l1');
  await page.fill('#l1', '0.1');
  await expect(page).toHaveURL(/variant=relu-l1/);
  await page.click('#start');
  const relu = await waitFor(page, "s.phase === 'finished'");
  expect(relu.l0).toBeGreaterThan(0);
  expect(relu.mmcs).toBeGreaterThan(0.5);
  await waitFor(page, 's.runs === 2');
  await expect(page.locator('#run-list li').nth(1)).toContainText('ReLU-L1 λ 0.1');
  await expect.poll(() => pixelsOfColor(page, RELU_GREEN)).toBeGreaterThan(20);
  expect(await pixelsOfColor(page, TOPK_BLUE)).toBeGreaterThan(20);

  // Hovering a point names its run.
  const point = await page.evaluate(() => {
    const canvas = document.getElementById('frontier') as HTMLCanvasElement;
    const ratio = canvas.width / canvas.clientWidth;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - 0x2a) < 8 && Math.abs(data[i + 1] - 0x9d) < 8 && Math.abs(data[i + 2] - 0x6a) < 8) {
        const p = i / 4;
        return { x: (p % canvas.width) / ratio + 2, y: Math.floor(p / canvas.width) / ratio + 2 };
      }
    }
    return null;
  });
  expect(point).not.toBeNull();
  await page.locator('#frontier').hover({ position: point! });
  await expect(page.locator('#frontier-tip')).toContainText('ReLU-L1');
  await screenshot(page, 'sae-two-runs');

  // A file that is not an activation matrix: a clear message; the settings and runs stay.
  await page.setInputFiles('#file-input', { name: 'acts.npy', mimeType: 'application/octet-stream', buffer: Buffer.from('not a numpy file at all') });
  await expect(page.locator('#data-error')).toBeVisible();
  await expect(page.locator('#data-error')).toContainText('acts.npy');
  await expect(page.locator('#start')).toBeDisabled();
  const after = await saePage(page);
  expect(after.runs).toBe(2);
  await expect(page.locator('#variant')).toHaveValue('relu-l1');
  await expect(page.locator('#run-list li')).toHaveCount(2);

  // Delete one run: gone from the list and the store.
  await page.click('#run-list li:first-child button.delete-run');
  await waitFor(page, 's.runs === 1');
  await page.reload();
  await waitFor(page, 's.runs === 1');
  await expect(page.locator('#run-list li').first()).toContainText('ReLU-L1');
});

test('SAE page: a value in a link that cannot be used is marked, its default in place', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/sae.html?variant=topk&k=zero&latents=64&steps=-3');
  await expect(page.locator('#k')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#steps')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#settings-error')).toContainText('k “zero”');
  await expect(page.locator('#k')).toHaveValue('5');
  await expect(page.locator('#latents')).toHaveValue('64');
});

test('SAE page without WebGPU: says how to get it and trains on the float64 twin', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  await page.goto(`/sae.html?variant=batchtopk&k=3&${SMALL}`);
  await expect(page.locator('#no-webgpu')).toBeVisible();
  await expect(page.locator('#no-webgpu')).toContainText('navigator.gpu is missing');
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'cpu');
  await page.click('#start');
  const done = await waitFor(page, "s.phase === 'finished'");
  expect(done.device).toMatch(/float64/);
  expect(done.step).toBe(30);
  expect(done.mmcs).toBeGreaterThan(0.5);
  await waitFor(page, 's.runs === 1');
  await expect(page.locator('#run-list li').first()).toContainText('BatchTopK k 3');
});
