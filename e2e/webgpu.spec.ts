import { expect, test } from '@playwright/test';

test('headless Chromium offers a WebGPU adapter', async ({ page }) => {
  await page.goto('/e2e/pages/webgpu.html');
  const info = await page.waitForFunction(() => (window as unknown as { adapterInfo?: unknown }).adapterInfo !== undefined && (window as unknown as { adapterInfo: unknown }).adapterInfo);
  const value = (await info.jsonValue()) as { vendor: string; architecture: string } | null;
  expect(value, 'no WebGPU adapter in Chromium: is --enable-unsafe-webgpu set?').not.toBeNull();
  console.log('Chromium adapter:', value);
});
