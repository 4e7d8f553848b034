/**
 * Set-ups in the link, on the trainer and the classification page: a set-up made by hand is
 * written to the address bar as it changes, Copy link puts that link on the clipboard, the link
 * opens the same set-up (the fields show its values), and a run from it ends at the same cost as
 * the run set up by hand with the same seed. A link with unusable values opens with those fields
 * marked, the defaults in their places, and a page that still works.
 */
import type { Page } from '@playwright/test';
import { expect, screenshot, test, waitForTrainer } from './page-helpers';

test.describe.configure({ mode: 'serial' });
test.use({ permissions: ['clipboard-read', 'clipboard-write'] });
// Small runs: a test that waits longer than this has gone wrong.
test.setTimeout(180_000);

const BAD = 'rgb(192, 57, 43)';

async function copyLink(page: Page): Promise<string> {
  await page.click('#copy-link');
  await expect(page.locator('#copy-link-status')).toHaveText(/^Link copied/);
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(await page.evaluate(() => location.href));
  return copied;
}

/** The address bar's query, read in the page (Playwright's page.url() may lag a replaceState). */
const queryOf = async (page: Page) => Object.fromEntries(new URLSearchParams(await page.evaluate(() => location.search)));

test('trainer: a set-up by hand is the link; the link opens it and ends at the same cost', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/');
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'gpu');
  await page.click('#preset-natural');
  const fields = { hiddenSize: '16', seed: '7', patches: '1500', sparsityParam: '0.05', iterations: '6', learningRate: '0.02', batchSize: '500' };
  await page.locator('#optimizer').selectOption('adam');
  for (const [id, value] of Object.entries(fields)) await page.locator(`#${id}`).fill(value);
  // Written as it changed, without a reload.
  expect(await queryOf(page)).toMatchObject({ preset: 'custom', data: 'natural', hidden: '16', seed: '7', patches: '1500', rho: '0.05', iterations: '6', lr: '0.02', batch: '500', optimizer: 'adam', output: 'sigmoid', device: 'gpu' });
  const link = await copyLink(page);

  await page.click('#start');
  const byHand = await waitForTrainer(page, "t.state === 'finished'");
  expect(byHand.iteration).toBe(6);

  await page.goto(link);
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'gpu');
  for (const [id, value] of Object.entries(fields)) await expect(page.locator(`#${id}`)).toHaveValue(value);
  await expect(page.locator('#optimizer')).toHaveValue('adam');
  await expect(page.locator('input[name="data"][value="natural"]')).toBeChecked();
  await expect(page.locator('#link-error')).toBeHidden();
  await expect(page.locator('.preset[aria-pressed="true"]')).toHaveCount(0);
  await page.click('#start');
  const fromLink = await waitForTrainer(page, "t.state === 'finished'");
  console.log(`trainer: cost by hand ${byHand.cost}, from the link ${fromLink.cost}`);
  expect(fromLink.iteration).toBe(6);
  expect(Math.abs(fromLink.cost - byHand.cost)).toBeLessThanOrEqual(1e-6 * byHand.cost);
});

test('trainer: a link with bad values marks them, keeps the defaults there, and the page works', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/?rho=1.5&hidden=abc&optimizer=newton&data=cifar&patches=2000&iterations=3');
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'gpu');
  const message = page.locator('#link-error');
  await expect(message).toBeVisible();
  await expect(message).toContainText('Sparsity ρ “1.5” (sparsity ρ must lie strictly between 0 and 1, got 1.5)');
  await expect(message).toContainText('Hidden units “abc” (not a number)');
  await expect(message).toContainText('Method “newton” (not one of the choices)');
  await expect(message).toContainText('Data “cifar”');
  for (const [id, value] of [['sparsityParam', '0.01'], ['hiddenSize', '25'], ['optimizer', 'lbfgs']]) {
    await expect(page.locator(`#${id}`)).toHaveValue(value);
    await expect(page.locator(`#${id}`)).toHaveAttribute('aria-invalid', 'true');
    await expect(page.locator(`#${id}`)).toHaveCSS('outline-color', BAD);
  }
  await expect(page.locator('#data-choices')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('input[name="data"][value="natural"]')).toBeChecked();
  // The good values of the same link are taken, unmarked.
  await expect(page.locator('#patches')).toHaveValue('2000');
  await expect(page.locator('#patches')).not.toHaveAttribute('aria-invalid');
  await screenshot(page, 'trainer-bad-link');

  // Correcting a field takes its mark away; the others stay until they are changed.
  await page.locator('#sparsityParam').fill('0.02');
  await expect(page.locator('#sparsityParam')).not.toHaveAttribute('aria-invalid');
  await expect(message).not.toContainText('Sparsity ρ');
  await expect(message).toContainText('Hidden units “abc”');
  expect(await queryOf(page)).toMatchObject({ rho: '0.02', hidden: '25', optimizer: 'lbfgs', data: 'natural' });
  await page.click('#start');
  const done = await waitForTrainer(page, "t.state === 'finished' || t.state === 'error'");
  expect(done.state).toBe('finished');
});

interface ClassifyRun {
  phase: string;
  accuracies: Record<string, number>;
  stages: { cost: number; iteration: number }[];
}

async function classifyRun(page: Page): Promise<ClassifyRun> {
  await page.click('#start');
  await page.waitForFunction(`(() => { const s = window.classify?.(); return !!s && (s.phase === 'finished' || s.phase === 'error'); })()`, null, {
    timeout: 180_000,
    polling: 100,
  });
  const done = await page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { classify: () => ClassifyRun }).classify())) as ClassifyRun);
  expect(done.phase, (await page.locator('#run-error').textContent()) ?? '').toBe('finished');
  return done;
}

test('classification: a set-up by hand is the link; the link opens it and ends at the same cost', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/classify.html');
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'gpu');
  // The radios are drawn as cards: a person clicks the card.
  await page.locator('label.task-choice', { hasText: 'Self-taught learning' }).click();
  await page.locator('label.task-choice', { hasText: 'Softmax regression' }).click();
  const fields = { digits: '1000', hiddenSize: '30', seed: '5', softmaxIterations: '25', aeIterations: '11', finetuneIterations: '12', patches: '700', poolDim: '5' };
  for (const [id, value] of Object.entries(fields)) await page.locator(`#${id}`).fill(value);
  expect(await queryOf(page)).toEqual({ task: 'softmax', digits: '1000', hidden: '30', seed: '5', ae: '11', softmax: '25', finetune: '12', patches: '700', pool: '5' });
  const link = await copyLink(page);
  const byHand = await classifyRun(page);

  await page.goto(link);
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'gpu');
  for (const [id, value] of Object.entries(fields)) await expect(page.locator(`#${id}`)).toHaveValue(value);
  await expect(page.locator('input[name="task"][value="softmax"]')).toBeChecked();
  const fromLink = await classifyRun(page);
  console.log(`classification: cost by hand ${byHand.stages[0].cost}, from the link ${fromLink.stages[0].cost}`);
  expect(fromLink.stages[0].iteration).toBe(byHand.stages[0].iteration);
  expect(Math.abs(fromLink.stages[0].cost - byHand.stages[0].cost)).toBeLessThanOrEqual(1e-6 * byHand.stages[0].cost);
  expect(fromLink.accuracies).toEqual(byHand.accuracies);
});

test('classification: a link with bad values marks them and keeps the defaults there', async ({ page, consoleErrors }) => {
  void consoleErrors;
  await page.goto('/classify.html?task=svm&digits=50&hidden=25&softmax=ten');
  await expect(page.locator('#adapter')).toHaveAttribute('data-kind', 'gpu');
  const message = page.locator('#link-error');
  await expect(message).toBeVisible();
  await expect(message).toContainText('task “svm” is not one of softmax, stl, stacked, conv');
  await expect(message).toContainText('digits used must be a whole number from 100 to 10,000, got “50”');
  await expect(message).toContainText('softmax iterations must be a whole number from 1 to 10,000, got “ten”');
  await expect(page.locator('#digits')).toHaveValue('10000');
  await expect(page.locator('#softmaxIterations')).toHaveValue('100');
  for (const id of ['digits', 'softmaxIterations', 'task-choices']) await expect(page.locator(`#${id}`)).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#digits')).toHaveCSS('outline-color', BAD);
  await expect(page.locator('input[name="task"][value="softmax"]')).toBeChecked();
  await expect(page.locator('#hiddenSize')).toHaveValue('25');
  await expect(page.locator('#hiddenSize')).not.toHaveAttribute('aria-invalid');
  await expect(page.locator('#start')).toBeEnabled();
  await screenshot(page, 'classify-bad-link');
  await page.locator('#digits').fill('1000');
  await expect(page.locator('#digits')).not.toHaveAttribute('aria-invalid');
  await expect(message).not.toContainText('digits used');
  expect(await queryOf(page)).toMatchObject({ task: 'softmax', digits: '1000', softmax: '100' });
});
