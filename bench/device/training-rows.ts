/**
 * The training rows of `npm run bench` (bench/training.ts) on a machine with a real GPU, where
 * there is no tsx to fork cells with: both rows in this one process (bench/training-node.ts),
 * one JSON line per row on stdout, then the table. Bundled by bench/device/pack.sh and run by
 * bench/device/run.sh; locally:
 *
 *   npx tsx --import ./scripts/register-wgsl.mjs bench/device/training-rows.ts [natural,mnist] [reps]
 */
import { loadavg } from 'node:os';
import { formatTrainingTable, toTrainingRow } from '../report';
import { describe } from '../supervise';
import { trainingNames, type TrainingEvent, type TrainingName } from '../training';
import { runNodeTraining } from '../training-node';

const names = (process.argv[2] ?? trainingNames.join(',')).split(',').filter(Boolean) as TrainingName[];
for (const name of names) if (!trainingNames.includes(name)) throw new Error(`unknown training row "${name}" (expected ${trainingNames.join(', ')})`);
const reps = Number(process.argv[3] ?? 20);
const path = "train() on createEngine('gpu') (src/train/engines-node.ts), Node, one process (bench/device/training-rows.ts)";

const rows = [];
for (const name of names) {
  const start = loadavg();
  let lastLogged = -Infinity;
  const report = (event: TrainingEvent): void => {
    if (event.type === 'phase') console.error(`  ${name}: ${event.text}`);
    if (event.type === 'progress' && (performance.now() - lastLogged > 10_000 || event.iteration === event.totalIterations)) {
      lastLogged = performance.now();
      console.error(`  ${name}: iteration ${event.iteration}/${event.totalIterations}, ${event.evaluations} evaluations, ${event.elapsedSeconds.toFixed(1)} s`);
    }
  };
  const outcome = await runNodeTraining({ kind: 'training', name, reps, budgetMs: 60_000 }, report, path).then(
    (result) => ({ kind: 'done' as const, result }),
    (error: unknown) => ({ kind: 'error' as const, message: describe(error) }),
  );
  const row = toTrainingRow(name, 'node', path, outcome, null);
  row.loadavg = { start, end: loadavg() };
  rows.push(row);
  console.log(JSON.stringify(row));
}
console.log(formatTrainingTable(rows, {}));
process.exit(rows.every((r) => !r.error) ? 0 : 1);
