/**
 * The two sizes of `npm run bench:sae` (GitHub issue 18, item 7) and their data, θ₀ and settings:
 * the same bits in every environment. Imports nothing of TensorFlow.js (bench/sae-profile.ts runs
 * under tsx, which cannot load TF.js's ES modules).
 */
import { generateSuperposition } from '../src/data/superposition';
import type { Dataset } from '../src/reference/autoencoder';
import type { SaeShape } from '../src/reference/sae';
import { defaultSaeSettings, initialSaeTheta, type SaeTrainSettings } from '../src/train/sae-trainer';

export type SaeSizeName = 'small' | 'large';
export const saeSizeNames: readonly SaeSizeName[] = ['small', 'large'];

/** (inputs, latents, k, batch) of the two rows; the synthetic data's true directions and actives. */
export const saeSizes: Record<SaeSizeName, { inputs: number; latents: number; k: number; batch: number; features: number; active: number }> = {
  small: { inputs: 64, latents: 512, k: 5, batch: 512, features: 256, active: 5 },
  large: { inputs: 768, latents: 8192, k: 32, batch: 1024, features: 8192, active: 32 },
};

/** Data, θ₀ and the recipe's settings of a size, the same bits in every environment. */
export function saeBenchInputs(size: SaeSizeName): { shape: SaeShape; dataset: Dataset; theta0: Float64Array; settings: SaeTrainSettings } {
  const z = saeSizes[size];
  const examples = (size === 'small' ? 8 : 4) * z.batch;
  const made = generateSuperposition({ features: z.features, dimensions: z.inputs, examples, activePerExample: z.active, seed: 5 });
  // Rounded once to float32, as the GPU and TF.js hold them; the twin reads the same values.
  const data = Float64Array.from(Float32Array.from(made.dataset.data));
  const dataset: Dataset = { ...made.dataset, data };
  const shape = { inputs: z.inputs, latents: z.latents };
  const settings = defaultSaeSettings('topk', z.inputs, examples, { latents: z.latents, k: z.k, batchSize: z.batch, learningRate: 1e-3, seed: 1 });
  const theta0 = Float64Array.from(Float32Array.from(initialSaeTheta(shape, dataset, settings.seed)));
  return { shape, dataset, theta0, settings };
}

