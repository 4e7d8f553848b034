/**
 * Without WebGPU (navigator.gpu removed before the pages load): the pages say how to get it,
 * and the float64 reference still trains and checks small problems.
 */
import { canvasPixels, expect, screenshot, test, waitForTrainer } from './page-helpers';

test.beforeEach(async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
});

test('trainer without WebGPU: explains how to get it and trains on the float64 reference', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/?iterations=25');
  const notice = page.locator('#no-webgpu');
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('navigator.gpu is missing');
  await expect(notice).toContainText('chrome://flags');
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'cpu');
  await expect(page.locator('#device')).toHaveValue('cpu');
  await expect(page.locator('#device option[value="gpu"]')).toBeDisabled();
  // The default problem is made small for the CPU.
  await expect(page.locator('#patches')).toHaveValue('2000');
  await page.click('#start');
  const done = await waitForTrainer(page, "t.state === 'finished'");
  expect(done.device).toMatch(/^cpu/);
  expect(done.iteration).toBe(25);
  expect(done.cost).toBeLessThan(done.initialCost / 10);
  expect((await canvasPixels(page, '#features')).std).toBeGreaterThan(20);
  await expect(page.locator('#status-line')).toContainText('float64 reference on the CPU');
  await screenshot(page, 'trainer-no-webgpu');
});

test('gradient check without WebGPU: the reference still passes, the GPU part says why it is missing', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/gradcheck.html');
  await page.waitForFunction(() => (window as unknown as { gradcheck?: { state: string } }).gradcheck?.state !== 'running', null, { timeout: 120_000 });
  const result = await page.evaluate(() => (window as unknown as { gradcheck: { numericPass: boolean; gpuSkipped: boolean } }).gradcheck);
  expect(result).toMatchObject({ numericPass: true, gpuSkipped: true });
  await expect(page.locator('#gpu-status')).toHaveText('not available');
  await expect(page.locator('#overall')).toHaveText('reference passes · GPU not checked');
});
