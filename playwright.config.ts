import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests in the system's Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH),
 * with WebGPU enabled: headless Chromium offers an adapter (SwiftShader) only with
 * --enable-unsafe-webgpu. Playwright's own browser download is never used.
 */
export const chromiumExecutable = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
];
const port = Number(process.env.E2E_PORT ?? 5174);

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // One software GPU on two cores: tests run one at a time.
  workers: 1,
  fullyParallel: false,
  timeout: 600_000,
  expect: { timeout: 60_000 },
  reporter: [['list']],
  outputDir: 'test-results/e2e',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    launchOptions: { executablePath: chromiumExecutable, args: chromiumArgs },
  },
  webServer: {
    command: `npx vite --port ${port} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${port}/e2e/pages/webgpu.html`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
  },
});
