/**
 * GitHub issue 18's FVU target, run at full size: the TopK recipe of src/train/sae-trainer.ts
 * (k = 5, 512 latents, AuxK) on the synthetic default (256 true directions in 64 dimensions, 5
 * active per example, 40,000 examples), trained on the GPU and by the float64 twin (cpuSaeBackend:
 * saeCost, a CPU Adam) from the same θ₀, on the same batches with the same schedule, and both
 * evaluated in float64 over all the data: MMCS, FVU about the mean, L0, dead fraction. The target:
 * the GPU's MMCS ≥ 0.95 and its FVU within 20% of the twin's.
 *
 *   npx tsx --import ./scripts/register-wgsl.mjs bench/sae-fvu.ts [--steps 1500] [--batch 64] [--lr 3e-3] [--out FILE]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { generateSuperposition } from '../src/data/superposition';
import { createNodeGpuContext } from '../src/gpu/node';
import { defaultSaeSettings, initialSaeTheta, trainSae } from '../src/train/sae-trainer';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '1500' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '3e-3' },
    device: { type: 'string', default: 'gpu,cpu' },
    out: { type: 'string', default: 'bench-results/sae-fvu.json' },
  },
});

const made = generateSuperposition({ features: 256, dimensions: 64, examples: 40_000, activePerExample: 5, seed: 1 });
// The same float32 values on both sides: the GPU holds them so, and the twin reads them.
const dataset = { ...made.dataset, data: Float64Array.from(Float32Array.from(made.dataset.data)) };
const directions = { values: made.directions, features: 256 };
const settings = defaultSaeSettings('topk', 64, dataset.examples, { latents: 512, k: 5, steps: Number(args.steps), batchSize: Number(args.batch), learningRate: Number(args.lr), seed: 1 });
const theta0 = Float64Array.from(Float32Array.from(initialSaeTheta({ inputs: 64, latents: 512 }, dataset, settings.seed)));
const results: Record<string, unknown> = { settings, data: { features: 256, dimensions: 64, examples: dataset.examples, activePerExample: 5, seed: 1 } };

function save(): void {
  mkdirSync(dirname(args.out!), { recursive: true });
  writeFileSync(args.out!, JSON.stringify(results, null, 2));
}

for (const device of args.device!.split(',')) {
  const ctx = device === 'gpu' ? await createNodeGpuContext({ environment: 'node' }) : undefined;
  try {
    let lastPrint = 0;
    const run = await trainSae(ctx ? { ctx } : 'cpu', dataset, settings, {
      theta0,
      directions,
      onProgress: (p) => {
        if (p.elapsedSeconds - lastPrint >= 30 || p.step === p.steps) {
          lastPrint = p.elapsedSeconds;
          console.log(`${device}: step ${p.step}/${p.steps}, L_rec ${p.reconstruction.toFixed(5)}, dead ${p.dead}, ${p.elapsedSeconds.toFixed(0)} s`);
        }
      },
    });
    const m = run.metrics;
    const row = { device: run.device, seconds: run.seconds, steps: run.steps, mmcs: run.mmcs!.mmcs, fvu: m.fvu, l0: m.l0, deadFraction: m.deadLatents.length / settings.latents, dead: m.deadLatents.length, lastReconstruction: run.last?.reconstruction };
    results[device] = row;
    console.log(`${device}: MMCS ${row.mmcs.toFixed(4)}, FVU ${row.fvu.toFixed(4)}, L0 ${row.l0.toFixed(2)}, dead ${row.dead} (${(100 * row.deadFraction).toFixed(1)}%), ${row.seconds.toFixed(0)} s`);
    save();
  } finally {
    ctx?.destroy();
  }
}
const gpu = results.gpu as { fvu: number; mmcs: number } | undefined;
const cpu = results.cpu as { fvu: number; mmcs: number } | undefined;
if (gpu && cpu) {
  const ratio = gpu.fvu / cpu.fvu;
  results.target = { fvuRatio: ratio, fvuWithin20Percent: Math.abs(ratio - 1) <= 0.2, mmcsAtLeast095: gpu.mmcs >= 0.95 };
  console.log(`GPU FVU / float64 FVU = ${ratio.toFixed(3)} (target within 20%: ${Math.abs(ratio - 1) <= 0.2 ? 'met' : 'NOT met'}); GPU MMCS ${gpu.mmcs >= 0.95 ? '≥' : '<'} 0.95`);
  save();
}
process.exit(0);
