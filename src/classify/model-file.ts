/**
 * model.json of a trained classifier: its shape and θ in stackedAECost.m's packing
 * (src/reference/classifier.ts), with what produced it. `--predict` reads it back; anything
 * malformed is a DataError naming the file.
 */
import { DataError } from '../data/errors';
import { classifierLayout, type ClassifierShape } from '../reference/classifier';

export const CLASSIFIER_FORMAT = 'ufldl-classifier';

export interface ClassifierModelJson {
  format: typeof CLASSIFIER_FORMAT;
  version: 1;
  task: string;
  shape: ClassifierShape;
  /** θ = [softmaxTheta(:); stack{1}.w(:); stack{1}.b(:); …], MATLAB's column-major order. */
  theta: number[];
  /** Test accuracies of the run that trained it. */
  accuracies: Record<string, number>;
}

export function classifierModelJson(task: string, shape: ClassifierShape, theta: Float64Array, accuracies: Record<string, number>): ClassifierModelJson {
  return { format: CLASSIFIER_FORMAT, version: 1, task, shape: { ...shape, hiddenSizes: [...shape.hiddenSizes] }, theta: Array.from(theta), accuracies };
}

/** A classifier read back: its shape and θ, and what the file says of the run that trained it. */
export interface ClassifierModel {
  shape: ClassifierShape;
  theta: Float64Array;
  /** The task that trained it, as written (checked by whoever needs it). */
  task?: string;
  /** The test accuracies it reports, those that are numbers. */
  accuracies: Record<string, number>;
}

export function readClassifierModel(value: unknown, source: string): ClassifierModel {
  const fail = (why: string): never => {
    throw new DataError(source, why);
  };
  if (typeof value !== 'object' || value === null) return fail('is not a JSON object');
  const model = value as Partial<ClassifierModelJson>;
  if (model.format !== CLASSIFIER_FORMAT) return fail(`is not a classifier model (format ${JSON.stringify(model.format)}, expected "${CLASSIFIER_FORMAT}"; a sparse autoencoder's model.json is for npm run train)`);
  const shape = model.shape;
  const count = (n: unknown) => Number.isInteger(n) && (n as number) > 0;
  if (!shape || !count(shape.inputSize) || !count(shape.numClasses) || !Array.isArray(shape.hiddenSizes) || !shape.hiddenSizes.every(count)) {
    return fail(`has no valid shape (${JSON.stringify(shape)})`);
  }
  if (shape.numClasses > 256) fail(`has ${shape.numClasses} classes; at most 256 are supported`);
  const expected = classifierLayout(shape).length;
  if (!Array.isArray(model.theta) || model.theta.length !== expected) {
    return fail(`theta has ${Array.isArray(model.theta) ? model.theta.length : 'no'} values; a ${[shape.inputSize, ...shape.hiddenSizes, shape.numClasses].join('-')} classifier needs ${expected}`);
  }
  const theta = new Float64Array(expected);
  for (let i = 0; i < expected; i++) {
    const t = model.theta[i];
    if (typeof t !== 'number' || !Number.isFinite(t)) fail(`theta[${i}] is ${JSON.stringify(t)}, not a finite number`);
    theta[i] = t;
  }
  const accuracies: Record<string, number> = {};
  if (model.accuracies && typeof model.accuracies === 'object') {
    for (const [name, a] of Object.entries(model.accuracies)) if (typeof a === 'number' && Number.isFinite(a)) accuracies[name] = a;
  }
  return {
    shape: { inputSize: shape.inputSize, hiddenSizes: [...shape.hiddenSizes], numClasses: shape.numClasses },
    theta,
    ...(typeof model.task === 'string' ? { task: model.task } : {}),
    accuracies,
  };
}

/** A model.json file's bytes: UTF-8 JSON, then readClassifierModel; all failures are DataErrors. */
export function readClassifierModelFile(bytes: Uint8Array, source: string): ClassifierModel {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new DataError(source, `not UTF-8 text (${(error as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataError(source, `not readable as JSON (${(error as Error).message})`);
  }
  return readClassifierModel(value, source);
}
