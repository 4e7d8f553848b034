/** (b) The float64 CPU reference, src/reference/autoencoder.ts, on the benchmark's data. */
import { sparseAutoencoderCost } from '../../src/reference/autoencoder';
import { hyperparameters } from '../config';
import type { Evaluator } from '../cell';
import type { BenchInputs } from '../data';

export function referenceEvaluator({ theta, shape, dataset }: BenchInputs): Evaluator {
  return {
    async evaluate() {
      return sparseAutoencoderCost(theta, shape, hyperparameters, dataset).cost;
    },
    destroy() {},
  };
}
