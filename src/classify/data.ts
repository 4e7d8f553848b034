/**
 * The data sets of each task, as the exercises cut them.
 *
 * From the embedded digits (the mnist package's 10,000, grouped by class) the examples are
 * shuffled with the run's seed first: softmax and stacked train on the first half and test on
 * the rest; stl splits as stlExercise.m does (digits 5–9 unlabeled, 0–4 halved into train and
 * test). From the user's idx files the order is UFLDL's own: softmax and stacked train on the
 * training files and test on the test files; stl, like stlExercise.m, uses the training files
 * alone, unshuffled.
 */
import type { LabeledDataset } from '../data/mnist';
import { selectLabels, shuffleLabeled, splitLabeled } from '../data/labeled';
import type { ClassifyData, TaskName } from './pipeline';

/** stlExercise.m's split of one labeled set, in the set's own order. */
function stlParts(d: LabeledDataset): ClassifyData {
  const unlabeled = selectLabels(d, (label) => label >= 5);
  const labeled = selectLabels(d, (label) => label <= 4);
  const { train, test } = splitLabeled(labeled, Math.round(labeled.examples / 2));
  return { train, test, unlabeled, numClasses: 5 };
}

function firstExamples(d: LabeledDataset, count: number | undefined): LabeledDataset {
  if (count === undefined || count >= d.examples) return d;
  return splitLabeled(d, count).train;
}

/**
 * The embedded digits cut for a task, after shuffling with `seed`; `limit` keeps only the first
 * that many shuffled digits (for quick runs).
 */
export function embeddedTaskData(digits: LabeledDataset, task: TaskName, seed: number, limit?: number): ClassifyData {
  const shuffled = firstExamples(shuffleLabeled(digits, seed), limit);
  if (task === 'stl') return stlParts(shuffled);
  const { train, test } = splitLabeled(shuffled, Math.round(shuffled.examples / 2));
  return { train, test, numClasses: 10 };
}

/** The user's idx files cut for a task, in their own order (`limit` keeps the first of each). */
export function fileTaskData(task: TaskName, trainSet: LabeledDataset, testSet: LabeledDataset | undefined, limit?: number): ClassifyData {
  const train = firstExamples(trainSet, limit);
  if (task === 'stl') return stlParts(train);
  if (!testSet) throw new RangeError(`--task ${task} needs test images and labels as well`);
  return { train, test: firstExamples(testSet, limit), numClasses: 10 };
}
