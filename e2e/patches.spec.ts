/** The patches page: UFLDL's Step 1 picture and the whitened images. */
import { canvasPixels, expect, screenshot, test } from './page-helpers';

test('patches: 200 random normalized patches and the whitened images they come from', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/patches.html');
  await page.waitForFunction(() => (window as unknown as { patchesPage?: { state: string } }).patchesPage?.state === 'ready', null, { timeout: 120_000 });
  const state = await page.evaluate(() => (window as unknown as { patchesPage: { shown: number; images: number; positionsKnown: boolean } }).patchesPage);
  expect(state).toMatchObject({ shown: 200, images: 9, positionsKnown: true });
  await expect(page.locator('#patches-title')).toHaveText('200 random patches of 8×8');
  await expect(page.locator('#patches-summary')).toContainText('[0.1, 0.9]');
  expect((await canvasPixels(page, '#patches-canvas')).std).toBeGreaterThan(30);
  await expect(page.locator('#images figure')).toHaveCount(9);
  expect((await canvasPixels(page, '#images figure canvas')).std).toBeGreaterThan(20);

  // Hovering a patch says where it was cut.
  const box = (await page.locator('#patches-canvas').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.1);
  await expect(page.locator('#patch-detail')).toContainText(/Patch \d+ .* image \d/);
  await screenshot(page, 'patches');

  // Another 200 of the same sample.
  const before = await canvasPixels(page, '#patches-canvas');
  await page.click('#reshuffle');
  await expect.poll(async () => (await canvasPixels(page, '#patches-canvas')).fingerprint).not.toEqual(before.fingerprint);
});
