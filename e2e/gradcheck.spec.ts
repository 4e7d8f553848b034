/** The gradient-check page: the float64 reference against central differences, and WebGPU against the reference. */
import { expect, screenshot, test } from './page-helpers';

interface GradcheckPage {
  state: string;
  numericPass?: boolean;
  gpuPass?: boolean;
  gpuSkipped: boolean;
  rows: { id: string; relativeDifference: number; pass: boolean }[];
  gpu?: { blocks: { block: string; relativeError: number; pass: boolean }[]; cost: { relativeError: number; pass: boolean }; kernels: { name: string; pass: boolean }[] };
  error: string;
}

test('gradient check: numerical against analytic below 1e-9, and the GPU gradient within tolerance block by block', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/gradcheck.html?gpuExamples=2000');
  await page.waitForFunction(() => (window as unknown as { gradcheck?: GradcheckPage }).gradcheck?.state !== 'running', null, { timeout: 180_000 });
  const result = await page.evaluate(() => (window as unknown as { gradcheck: GradcheckPage }).gradcheck);
  expect(result.error).toBe('');
  expect(result.rows.map((r) => r.id)).toEqual(['quadratic', 'natural', 'mnist']);
  for (const row of result.rows) expect(row.relativeDifference, row.id).toBeLessThan(1e-9);
  expect(result.numericPass).toBe(true);

  expect(result.gpuSkipped).toBe(false);
  expect(result.gpu!.blocks.map((b) => b.block)).toEqual(['W1', 'W2', 'b1', 'b2', 'all']);
  for (const block of result.gpu!.blocks) expect(block.pass, `${block.block}: ${block.relativeError}`).toBe(true);
  expect(result.gpu!.cost.pass).toBe(true);
  for (const kernel of result.gpu!.kernels) expect(kernel.pass, kernel.name).toBe(true);
  expect(result.gpuPass).toBe(true);

  await expect(page.locator('#overall')).toHaveText('all checks pass');
  await expect(page.locator('#numeric-table > tbody > tr')).toHaveCount(3);
  // Each block lists its worst entries.
  await expect(page.locator('#gpu-table tr[data-block="W1"] .worst tr')).toHaveCount(6);
  await expect(page.locator('#gpu-table tr[data-block="b2"] .worst')).toContainText('b2(');
  await screenshot(page, 'gradcheck');
});
