// Scratch driver: node bench/tune/swiftshader.mjs '<js expression using tune>' [port]
// Starts its own Vite dev server, opens bench/tune/swiftshader.html in headless Chromium with
// the playwright.config.ts flags (WebGPU on SwiftShader) and prints the expression's value.
import { spawn } from 'node:child_process';
import { chromium } from '@playwright/test';

const expr = process.argv[2] ?? 'tune.probe()';
const port = Number(process.argv[3] ?? 5207);
const server = spawn('npx', ['vite', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
const url = `http://127.0.0.1:${port}/bench/tune/swiftshader.html`;
for (let i = 0; i < 120; i++) {
  try { if ((await fetch(url)).ok) break; } catch {}
  await new Promise((r) => setTimeout(r, 500));
}
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--enable-unsafe-webgpu'] });
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.error(`[page ${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => console.error(`[page error] ${e}`));
  await page.goto(url);
  await page.waitForFunction(() => window.tuneReady === true, null, { timeout: 120_000 });
  const value = await page.evaluate(`(async () => { const tune = window.tune; return await (${expr}); })()`);
  console.log(typeof value === 'string' ? value : JSON.stringify(value, null, 2));
} finally {
  await browser.close();
  process.kill(-server.pid);
}
