/**
 * Shared by the page specs: a `page` that fails the test on any console error or uncaught
 * exception (the page's own or its workers'), and screenshots kept as test artifacts in
 * test-results/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test as base, type Page } from '@playwright/test';
import { TUNE_BUDGET_STORAGE_KEY } from '../src/pages/trainer/link';

export const screenshotDir = join('test-results', 'screenshots');

export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
    await use(errors);
    expect(errors, 'the page logged errors').toEqual([]);
  },
  page: async ({ page }, use) => {
    await page.setViewportSize({ width: 1440, height: 1000 });
    // The trainer's kernel race gets 1 ms (the first guess alone is checked and timed), not ~2 s
    // per run: every test starts from an empty IndexedDB. A link's ?tune=N still wins.
    await page.addInitScript((key) => {
      try {
        localStorage.setItem(key, '1');
      } catch {
        // about:blank and other opaque origins have no storage
      }
    }, TUNE_BUDGET_STORAGE_KEY);
    await use(page);
  },
});

export { expect };

/** A full-page screenshot, saved under test-results/screenshots/ and attached to the report. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  // From the top, so the sticky header sits where it belongs in a full-page picture.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: true });
  await test.info().attach(name, { path, contentType: 'image/png' });
}

export interface TrainerStats {
  state: string;
  iteration: number;
  cost: number;
  initialCost: number;
  featuresDrawn: number;
  featuresIteration: number;
  checkpointIteration: number;
  savedIteration: number;
  longestTaskMs: number;
  longestWorkMs: number;
  slowWork: number;
  resumedFrom?: { iteration: number; cost: number; next?: number };
  device: string;
  lastError: string;
}

export function trainerStats(page: Page): Promise<TrainerStats> {
  return page.evaluate(() => ({ ...(window as unknown as { trainer: TrainerStats }).trainer }));
}

/** Waits until the trainer's state (and anything else) satisfies `predicate`, run in the page. */
export async function waitForTrainer(page: Page, predicate: string, timeout = 240_000): Promise<TrainerStats> {
  await page.waitForFunction(`(() => { const t = window.trainer; return !!t && (${predicate}); })()`, null, { timeout, polling: 100 });
  return trainerStats(page);
}

/** Mean and spread of a canvas's gray levels, and a short fingerprint of its pixels. */
export function canvasPixels(page: Page, selector: string): Promise<{ width: number; height: number; std: number; fingerprint: number[] }> {
  return page.evaluate((sel) => {
    const canvas = document.querySelector(sel) as HTMLCanvasElement;
    const ctx = canvas.getContext('2d')!;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let sum = 0;
    let squares = 0;
    const n = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      sum += data[i];
      squares += data[i] * data[i];
    }
    const mean = sum / n;
    // Sampled pixels, enough to tell two pictures apart.
    const fingerprint: number[] = [];
    for (let k = 0; k < 64; k++) fingerprint.push(data[4 * Math.floor((k * n) / 64)]);
    return { width: canvas.width, height: canvas.height, std: Math.sqrt(Math.max(0, squares / n - mean * mean)), fingerprint };
  }, selector);
}

/**
 * Draws on the classification page's pad as a person with a mouse would: each stroke a list of
 * points in [0, 1]² of the pad (x right, y down), pressed at its first point and moved through the rest.
 */
export async function drawOnPad(page: Page, strokes: number[][][]): Promise<void> {
  await page.locator('#pad').scrollIntoViewIfNeeded();
  const box = (await page.locator('#pad').boundingBox())!;
  const at = ([x, y]: number[]) => [box.x + x * box.width, box.y + y * box.height] as const;
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (const point of stroke.slice(1)) await page.mouse.move(...at(point), { steps: 12 });
    await page.mouse.up();
  }
}
