/**
 * The benchmark's inputs, the same bits in Node and in the browser: m examples uniform in
 * [0.1, 0.9] from the project's seeded generator, rounded once to float32 and given to every
 * implementation (the float64 reference reads the same float32 values), and θ from
 * initializeParameters.
 */
import type { Dataset } from '../src/reference/autoencoder';
import { initializeParameters, type Shape } from '../src/reference/params';
import { Random } from '../src/random';
import { dataHigh, dataLow, dataSeed, thetaSeed, type BenchSize } from './config';

export interface BenchInputs {
  shape: Shape;
  dataset: Dataset & { data: Float32Array };
  /** θ in float64, UFLDL's packing. */
  theta: Float64Array;
}

export function benchInputs(size: BenchSize): BenchInputs {
  const { examples, visibleSize, hiddenSize } = size;
  const rng = new Random(dataSeed);
  const data = new Float32Array(examples * visibleSize);
  for (let i = 0; i < data.length; i++) data[i] = dataLow + (dataHigh - dataLow) * rng.uniform();
  const shape = { visibleSize, hiddenSize };
  return { shape, dataset: { data, examples, visibleSize }, theta: initializeParameters(shape, thetaSeed) };
}
