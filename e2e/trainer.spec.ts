/**
 * The trainer page (index.html) in headless Chromium on WebGPU (SwiftShader here): short runs
 * of the two presets, exports, the user's own data (picker, drag and drop), pause/resume, and a
 * reload that resumes from the checkpoint in IndexedDB. Then what goes wrong (issue 10): diverging
 * settings, data in bytes, corrupt files and a lost GPU device each give a message, no console
 * error, and leave the saved run in IndexedDB usable.
 *
 * Runs are kept short (2,000 patches, tens of iterations) so the suite fits a 2-core machine;
 * the controls and ?query parameters set the sizes.
 */
import { readFileSync } from 'node:fs';
import type { Download, Page } from '@playwright/test';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import { writeMat } from '../src/data/mat';
import { Random } from '../src/random';
import { canvasPixels, expect, screenshot, test, trainerStats, waitForTrainer } from './page-helpers';

test.describe.configure({ mode: 'serial' });

async function setField(page: Page, id: string, value: number | string): Promise<void> {
  await page.locator(`#${id}`).fill(String(value));
}

async function download(page: Page, button: string): Promise<{ name: string; bytes: Buffer }> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
  const path = await (file as Download).path();
  return { name: file.suggestedFilename(), bytes: readFileSync(path!) };
}

/** Two 48×48 "photos": smooth ripples plus a little noise, as a MAT-file's IMAGES (rows×cols×2). */
function imagesMat(): Uint8Array {
  const rng = new Random(11);
  const side = 48;
  const data = new Float64Array(side * side * 2);
  for (let k = 0; k < 2; k++) {
    for (let x = 0; x < side; x++) {
      for (let y = 0; y < side; y++) {
        data[k * side * side + x * side + y] = Math.sin((x + 3 * k) / 3) * Math.cos(y / (4 + k)) + 0.2 * (rng.uniform() - 0.5);
      }
    }
  }
  return writeMat([{ name: 'IMAGES', dims: [side, side, 2], data }]);
}

/** 64 × 500 patches of bytes (0–255), as a MAT-file's `patches`: data the sigmoid output cannot reproduce. */
function bytesMat(): Uint8Array {
  const data = new Float64Array(64 * 500);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i >> 6)) % 256;
  return writeMat([{ name: 'patches', dims: [64, 500], data }]);
}

/** A 64×64 gray PNG. */
function photoPng(): Uint8Array {
  const side = 64;
  const data = new Uint8Array(side * side);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(127 + 100 * Math.sin(i / 7) * Math.cos(i / 301));
  return encodePng({ width: side, height: side, data, channels: 1, depth: 8 });
}

/** The run kept in IndexedDB for a reload, in brief (read as the page reads it). */
function storedRun(page: Page): Promise<{ kind: string; iteration: number; cost: number; finiteTheta?: boolean; divergedAt?: number } | undefined> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('sparse-autoencoder-trainer', 1);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction('runs').objectStore('runs').get('last-run');
          request.onerror = () => reject(request.error);
          request.onsuccess = () => {
            open.result.close();
            const r = request.result;
            if (!r) return resolve(undefined);
            const model = r.kind === 'model';
            resolve({
              kind: r.kind,
              iteration: model ? r.iterations : r.iteration,
              cost: model ? r.finalCost : r.cost,
              finiteTheta: model ? (r.theta as Float64Array).every(Number.isFinite) : undefined,
              divergedAt: r.divergedAt,
            });
          };
        };
      }),
  );
}

async function dropFile(page: Page, name: string, bytes: Uint8Array): Promise<void> {
  const transfer = await page.evaluateHandle(
    ([fileName, data]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], fileName));
      return dt;
    },
    [name, [...bytes]] as const,
  );
  await page.dispatchEvent('#dropzone', 'dragenter', { dataTransfer: transfer });
  await page.dispatchEvent('#dropzone', 'dragover', { dataTransfer: transfer });
  await page.dispatchEvent('#dropzone', 'drop', { dataTransfer: transfer });
}

/** A short run of the natural preset to its end, saved in IndexedDB: the run that must not be lost. */
async function savedShortRun(page: Page, iterations: number): Promise<void> {
  await page.click('#start');
  await waitForTrainer(page, `t.state === 'finished' && t.savedIteration === ${iterations}`);
  expect(await storedRun(page)).toMatchObject({ kind: 'model', iteration: iterations, finiteTheta: true });
}

test('a diverging run says where it diverged and keeps the last model with a finite cost', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/?patches=2000&iterations=5');
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'gpu');
  await savedShortRun(page, 5);
  await page.locator('#optimizer').selectOption('gd');
  await setField(page, 'learningRate', '1e30');
  await setField(page, 'iterations', 20);
  await page.click('#start');
  const done = await waitForTrainer(page, "t.state === 'finished'");
  await expect(page.locator('#status-line')).toContainText('diverged: the cost is not finite at iteration');
  await expect(page.locator('#status-line')).toContainText('try a smaller learning rate');
  expect(Number.isFinite(done.cost)).toBe(true);
  expect((await canvasPixels(page, '#features')).std, 'the last finite features are drawn').toBeGreaterThan(0);
  // What IndexedDB keeps in place of the run before is this run's last finite state, never a
  // non-finite one, and a reload says that it diverged.
  await expect.poll(async () => (await storedRun(page))?.divergedAt ?? -1).toBeGreaterThan(done.iteration);
  const stored = (await storedRun(page))!;
  expect(stored).toMatchObject({ iteration: done.iteration, finiteTheta: true });
  expect(stored.divergedAt).toBeGreaterThan(done.iteration);
  expect(Number.isFinite(stored.cost)).toBe(true);
  await page.reload();
  await expect(page.locator('#resume-title')).toHaveText('Your last run diverged');
  await expect(page.locator('#resume-text')).toContainText(`the cost was not finite at iteration ${stored.divergedAt}; kept is θ from iteration ${done.iteration}`);
  await page.click('#resume-run');
  await waitForTrainer(page, 't.featuresDrawn >= 1');
  await expect(page.locator('#export-json')).toBeEnabled();
});

test('natural preset: a short run lowers the cost, redraws the features, and exports the model', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/');
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'gpu');
  await page.click('#preset-natural');
  await expect(page.locator('#preset-natural')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('#hiddenSize')).toHaveValue('25');
  await setField(page, 'patches', 2000);
  await setField(page, 'iterations', 20);
  await page.click('#start');

  const early = await waitForTrainer(page, 't.featuresDrawn >= 1');
  const first = await canvasPixels(page, '#features');
  const done = await waitForTrainer(page, "t.state === 'finished'");
  expect(done.device).toMatch(/^webgpu/);
  expect(done.iteration).toBe(20);
  expect(done.cost).toBeLessThan(done.initialCost / 10);
  expect(done.featuresIteration).toBeGreaterThan(early.featuresIteration);

  const last = await canvasPixels(page, '#features');
  expect(last.width).toBeGreaterThan(100);
  expect(last.std, 'the features are not a blank picture').toBeGreaterThan(20);
  expect(last.fingerprint, 'the features changed while training').not.toEqual(first.fingerprint);
  expect((await canvasPixels(page, '#recon')).std).toBeGreaterThan(5);

  // The counters and the charts' text.
  await expect(page.locator('#iteration')).toHaveText('20 / 20');
  expect(Number(await page.locator('#rate-iterations').textContent())).toBeGreaterThan(0);
  expect(Number(await page.locator('#rate-evaluations').textContent())).toBeGreaterThan(0);
  await expect(page.locator('#rho-meta')).toContainText('mean');
  await expect(page.locator('#status-line')).toContainText('WebGPU on');
  // The kernels raced in the worker (1 ms: page-helpers' budget, so the first guess alone), kept in IndexedDB.
  await expect(page.locator('#status-line')).toContainText(/; kernels: .+, tuned [\d.]+ s ago \(raced 1 of \d+ in [\d.]+ s\)/);
  // The hidden layer as SAE tools describe it, from the worker's float64 pass of the final θ.
  const units = page.locator('#unit-stats');
  await expect(units).toBeVisible();
  await expect(units).toContainText(/^hidden units: \d+ dead \(ρ̂ < 1e-4\), \d+ always on \(ρ̂ > 0\.5\); mean L0 [\d.]+ of 25; variance explained -?[\d.]+%$/);
  await expect(units).toContainText('variance explained');
  console.log(`natural, 2000 patches: ${await units.textContent()}`);
  console.log(
    `natural, 2000 patches: ${done.iteration} iterations; cost ${done.initialCost.toFixed(3)} → ${done.cost.toFixed(4)}; ` +
      `longest work of the page ${done.longestWorkMs} ms, longest task ${done.longestTaskMs} ms`,
  );
  // Training runs in a worker, and the page's own work per message takes a few ms; how long is
  // wall clock on a shared machine, which a test does not assert (it failed here under load with
  // two pieces of 101 and 132 ms): the figures are reported above, the bench measures speed.
  console.log(`natural, 2000 patches: ${done.slowWork} pieces of the page's work over 100 ms`);

  const png = await download(page, '#export-png');
  expect(png.name).toBe('features.png');
  expect([...png.bytes.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
  const json = await download(page, '#export-json');
  expect(json.name).toBe('model.json');
  const model = JSON.parse(json.bytes.toString('utf8'));
  expect(model).toMatchObject({ visibleSize: 64, hiddenSize: 25, pixelOrder: 'row-major', imageWidth: 8, imageHeight: 8 });
  expect(model.W1).toHaveLength(25);
  expect(model.W1[0]).toHaveLength(64);
  const mat = await download(page, '#export-mat');
  expect(mat.name).toBe('theta.mat');
  expect(mat.bytes.subarray(0, 10).toString('latin1')).toBe('MATLAB 5.0');
  await screenshot(page, 'trainer');
});

test('the kernel line: the next run on this adapter reads the choice the first raced from IndexedDB', async ({ page, consoleErrors }) => {
  void consoleErrors;
  // (?tune=0 for the table's kernels is the link's: test/pages/trainer-link.test.ts; its words: trainer-views.test.ts.)
  await page.goto('/?patches=500&iterations=2');
  await page.click('#start');
  await waitForTrainer(page, "t.state === 'finished'");
  await expect(page.locator('#status-line')).toContainText(/; kernels: .+, tuned [\d.]+ s ago \(raced 1 of \d+/);
  await page.click('#start');
  await waitForTrainer(page, "t.state === 'finished'");
  await expect(page.locator('#status-line')).toContainText(/; kernels: .+, cached: tuned [\d.]+ s ago \(raced 1 of \d+/);
});

test('MNIST preset: starts and trains a few iterations', async ({ page, consoleErrors }) => {
  void consoleErrors;
  // The 784-196 preset on a random 1,000 of the digits: SwiftShader takes ~20 s an evaluation on all 10,000.
  await page.goto('/?examples=1000');
  await page.click('#preset-mnist');
  await expect(page.locator('#hiddenSize')).toHaveValue('196');
  await expect(page.locator('input[name="data"][value="mnist"]')).toBeChecked();
  await setField(page, 'iterations', 3);
  await page.click('#start');
  const done = await waitForTrainer(page, "t.state === 'finished'", 300_000);
  expect(done.iteration).toBe(3);
  expect(done.cost).toBeLessThan(done.initialCost);
  expect((await canvasPixels(page, '#features')).std).toBeGreaterThan(10);
  await expect(page.locator('#status-line')).toContainText('a random 1000 of the 10000 MNIST digits');
  await expect(page.locator('#status-line')).toContainText('784-196');
  await screenshot(page, 'trainer-mnist');
});

test('pause and resume keep the iteration count and the cost', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/?patches=2000&iterations=30');
  await page.click('#start');
  await waitForTrainer(page, "t.state === 'training' && t.iteration >= 6");
  await page.click('#pause');
  const paused = await waitForTrainer(page, "t.state === 'paused'");
  await expect(page.locator('#resume')).toBeVisible();
  await expect(page.locator('#unit-stats'), 'a pause is not the end of the run').toBeHidden();
  const shown = await page.locator('#iteration').textContent();
  const cost = await page.locator('#cost').textContent();
  await page.waitForTimeout(1000);
  const still = await trainerStats(page);
  expect(still.iteration, 'nothing runs while paused').toBe(paused.iteration);
  expect(still.cost).toBe(paused.cost);
  expect(await page.locator('#cost').textContent()).toBe(cost);
  await screenshot(page, 'trainer-paused');

  expect(shown).toBe(`${paused.iteration} / 30`);
  await page.click('#resume');
  // The run goes on from where it stood: same iteration and cost, then the next iteration.
  const afterwards = await waitForTrainer(page, 't.resumedFrom?.next !== undefined');
  expect(afterwards.resumedFrom).toEqual({ iteration: paused.iteration, cost: paused.cost, next: paused.iteration + 1 });
  expect(afterwards.iteration).toBeGreaterThan(paused.iteration);
  expect(afterwards.cost).toBeLessThanOrEqual(paused.cost);
  const done = await waitForTrainer(page, "t.state === 'finished'");
  expect(done.iteration).toBe(30);
  expect(done.cost).toBeLessThan(paused.cost);
  await expect(page.locator('#unit-stats')).toContainText('variance explained');
  // The cost curve is one run: every iteration from 0 to 30 once.
  const xs = await page.evaluate(() => (window as unknown as { trainerHistory(): number[] }).trainerHistory());
  expect(xs).toEqual(Array.from({ length: 31 }, (_, i) => i));
});

test('a reload offers the saved run and resumes it at the same iteration and cost', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/?patches=2000&iterations=40&checkpointEvery=5');
  await page.click('#start');
  const saved = await waitForTrainer(page, 't.savedIteration >= 10');
  await page.reload();

  // The run may save once more between that read and the reload: the banner offers the latest.
  const banner = page.locator('#resume-banner');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText(/iteration \d+ of 40/);
  const checkpoint = Number(/iteration (\d+) of 40/.exec((await banner.textContent()) ?? '')![1]);
  expect(checkpoint).toBeGreaterThanOrEqual(saved.savedIteration);
  expect(checkpoint % 5).toBe(0);
  expect(checkpoint).toBeLessThan(40);
  await screenshot(page, 'trainer-resume-offer');
  await page.click('#resume-run');
  await expect(banner).toBeHidden();
  // The run goes on from the checkpoint's iteration and cost, then the next iteration.
  const bannerCost = Number(/cost (\d+(?:\.\d+)?(?:e[+-]?\d+)?)/.exec((await banner.textContent()) ?? '')![1]);
  const restored = await waitForTrainer(page, 't.resumedFrom?.next !== undefined');
  expect(restored.resumedFrom!.iteration).toBe(checkpoint);
  expect(restored.resumedFrom!.next).toBe(checkpoint + 1);
  expect(Math.abs(restored.resumedFrom!.cost - bannerCost) / bannerCost).toBeLessThan(1e-5);
  const done = await waitForTrainer(page, "t.state === 'finished'");
  expect(done.iteration).toBe(40);
  // The cost curve kept the iterations before the reload and went on: 0 … 40, each once.
  const xs = await page.evaluate(() => (window as unknown as { trainerHistory(): number[] }).trainerHistory());
  expect(xs).toEqual(Array.from({ length: 41 }, (_, i) => i));
  expect(done.cost).toBeLessThan(restored.resumedFrom!.cost);
  // A finished run is offered again after a reload, to look at and export.
  await waitForTrainer(page, 't.savedIteration === 40');
  await page.reload();
  await expect(page.locator('#resume-run')).toHaveText('Show it');
  await page.click('#resume-run');
  await waitForTrainer(page, 't.featuresDrawn >= 1');
  await expect(page.locator('#iteration')).toHaveText('40 / 40');
  await expect(page.locator('#export-json')).toBeEnabled();
});

test('your own data: a .mat file from the file picker trains', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/?patches=500&iterations=8');
  await page.locator('#file-input').setInputFiles({ name: 'IMAGES.mat', mimeType: 'application/octet-stream', buffer: Buffer.from(imagesMat()) });
  await expect(page.locator('input[name="data"][value="file"]')).toBeChecked();
  await expect(page.locator('#data-info')).toContainText('500 patches of 8×8 from IMAGES in IMAGES.mat');
  await expect(page.locator('#data-error')).toBeHidden();
  await page.click('#start');
  const done = await waitForTrainer(page, "t.state === 'finished'");
  expect(done.iteration).toBe(8);
  expect(done.cost).toBeLessThan(done.initialCost);
  expect((await canvasPixels(page, '#features')).std).toBeGreaterThan(10);
  await expect(page.locator('#status-line')).toContainText('IMAGES.mat');
});

test('corrupt files show an error naming them, the saved run stays, and the page keeps working (drag and drop)', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/?patches=500&iterations=5');
  await savedShortRun(page, 5);
  // A MAT-file cut short in the middle of its first variable.
  const good = imagesMat();
  await dropFile(page, 'broken.mat', good.subarray(0, 300));
  const error = page.locator('#data-error');
  await expect(error).toBeVisible();
  await expect(error).toContainText('broken.mat');
  await expect(error).toContainText('truncated');
  await screenshot(page, 'trainer-corrupt-file');
  // Starting on it is refused with a message, not a crash.
  await page.click('#start');
  await expect(page.locator('#config-error')).toBeVisible();
  expect((await trainerStats(page)).state).toBe('finished');

  // A PNG cut short inside its image data.
  const png = photoPng();
  await dropFile(page, 'photo.png', png.subarray(0, Math.floor(png.length / 2)));
  await expect(error).toContainText('photo.png: corrupt PNG');
  await expect(error).toContainText('truncated');
  await page.click('#start');
  await expect(page.locator('#config-error')).toContainText('could not be read');

  // Not a data file at all.
  await dropFile(page, 'notes.txt', Buffer.from('hello, autoencoder'));
  await expect(error).toContainText('notes.txt: unknown kind of data');
  // None of it touched the saved run.
  expect(await storedRun(page)).toMatchObject({ kind: 'model', iteration: 5, finiteTheta: true });

  // The page still works: a good file by drag and drop, and a run on it.
  await dropFile(page, 'IMAGES.mat', good);
  await expect(error).toBeHidden();
  await expect(page.locator('#data-info')).toContainText('IMAGES.mat');
  await page.click('#start');
  const done = await waitForTrainer(page, "t.state === 'finished'");
  expect(done.iteration).toBe(5);
  expect(done.cost).toBeLessThan(done.initialCost);
});

test('data in bytes (0–255) is refused naming the file, the saved run stays, and rescaling trains on it', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/?patches=500&iterations=5');
  await savedShortRun(page, 5);
  await page.locator('#file-input').setInputFiles({ name: 'bytes.mat', mimeType: 'application/octet-stream', buffer: Buffer.from(bytesMat()) });
  const error = page.locator('#data-error');
  await expect(error).toBeVisible();
  await expect(error).toContainText('bytes.mat: values run from 0 to 255, but the sigmoid output can only reproduce [0, 1]');
  // The way out is the page's own checkbox, not the command line's flag.
  await expect(error).toContainText("tick “Rescale as UFLDL's normalizeData” under Data");
  await expect(error).not.toContainText('--normalize');
  await screenshot(page, 'trainer-bytes-data');
  await page.click('#start');
  await expect(page.locator('#config-error')).toBeVisible();
  const after = await trainerStats(page);
  expect(after.state).toBe('finished');
  expect(after.lastError).toBe('');
  expect(await storedRun(page)).toMatchObject({ kind: 'model', iteration: 5, finiteTheta: true });

  await page.locator('#normalize').check();
  await expect(error).toBeHidden();
  await expect(page.locator('#data-info')).toContainText('500 patches from bytes.mat, rescaled by normalizeData');
  await page.click('#start');
  const done = await waitForTrainer(page, "t.state === 'finished' && t.iteration === 5");
  expect(done.cost).toBeLessThan(done.initialCost);
});

test('a lost GPU device: the page says so, offers the checkpoint in IndexedDB, and resuming finishes the run', async ({ page, consoleErrors }) => {
  void consoleErrors;
  // ?testHooks=1 gives the test window.trainerTest.loseDevice(): the worker destroys its device.
  await page.goto('/?patches=2000&iterations=60&checkpointEvery=5&testHooks=1');
  await page.click('#start');
  await waitForTrainer(page, "t.state === 'training' && t.savedIteration >= 10");
  await page.evaluate(() => (window as unknown as { trainerTest: { loseDevice(): void } }).trainerTest.loseDevice());
  const lost = await waitForTrainer(page, "t.state === 'error'");
  expect(lost.lastError).toMatch(/the WebGPU device was lost/);
  expect(lost.iteration).toBeLessThan(60);
  await expect(page.locator('#status-line')).toContainText(`The GPU was lost at iteration ${lost.iteration}`);
  await expect(page.locator('#config-error')).toContainText('device was lost');
  const banner = page.locator('#resume-banner');
  await expect(banner).toBeVisible();
  await expect(page.locator('#resume-title')).toHaveText('The GPU was lost during training');
  const { savedIteration: checkpoint } = await trainerStats(page);
  expect(checkpoint).toBeGreaterThanOrEqual(10);
  await expect(banner).toContainText(`iteration ${checkpoint} of 60`);
  expect(await storedRun(page)).toMatchObject({ kind: 'checkpoint', iteration: checkpoint });
  await screenshot(page, 'trainer-device-lost');

  await page.click('#resume-run');
  await expect(banner).toBeHidden();
  const resumed = await waitForTrainer(page, 't.resumedFrom?.next !== undefined');
  expect(resumed.resumedFrom).toMatchObject({ iteration: checkpoint, next: checkpoint + 1 });
  const done = await waitForTrainer(page, "t.state === 'finished'");
  expect(done.device).toMatch(/^webgpu/);
  expect(done.iteration).toBe(60);
  // One cost curve: the iterations up to the checkpoint, then the resumed run's, each once.
  const xs = await page.evaluate(() => (window as unknown as { trainerHistory(): number[] }).trainerHistory());
  expect(xs).toEqual(Array.from({ length: 61 }, (_, i) => i));
});

test('linear decoder preset: one click, a short run on color patches draws color features and exports the whitening', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/');
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'gpu');
  await page.click('#preset-linear-decoder');
  await expect(page.locator('#preset-linear-decoder')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('#hiddenSize')).toHaveValue('400');
  await expect(page.locator('#output')).toHaveValue('linear');
  await expect(page.locator('input[name="data"][value="natural-color"]')).toBeChecked();
  // Reduced with the page's own size controls: the GPU here is SwiftShader on two cores.
  await setField(page, 'patches', 300);
  await setField(page, 'hiddenSize', 49);
  await setField(page, 'iterations', 4);
  await page.click('#start');
  const done = await waitForTrainer(page, "t.state === 'finished'");
  expect(done.iteration).toBe(4);
  expect(done.device).toMatch(/^webgpu/);
  expect(done.cost, 'the GPU trains the linear output').toBeLessThan(done.initialCost);
  expect(done.featuresDrawn).toBeGreaterThanOrEqual(1);

  const colored = await page.evaluate(() => {
    const canvas = document.querySelector('#features') as HTMLCanvasElement;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let count = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] !== data[i + 1] && data[i + 1] !== data[i + 2] && data[i] !== data[i + 2]) count++;
    return { count, pixels: data.length / 4 };
  });
  expect(colored.count, 'pixels with R ≠ G ≠ B').toBeGreaterThan(colored.pixels / 10);
  await screenshot(page, 'trainer-linear-decoder');

  const model = JSON.parse((await download(page, '#export-json')).bytes.toString('utf8'));
  expect(model).toMatchObject({ visibleSize: 192, hiddenSize: 49, output: 'linear', imageChannels: 3 });
  expect(model.meanPatch).toHaveLength(192);
  expect(model.ZCAWhite).toHaveLength(192);
  const png = decodePng((await download(page, '#export-png')).bytes);
  expect(png.channels).toBe(3);
});
