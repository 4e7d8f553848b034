/**
 * `npm run gradcheck -- [--device cpu|gpu]`: UFLDL's gradient check.
 *
 * cpu (default): the float64 backpropagation gradient against central differences (ε = 1e-4) on
 *   a small autoencoder; passes below a relative difference of 1e-9.
 * gpu: the WebGPU gradient against the float64 reference's on the same θ and data; passes within
 *   the pipeline's float32 tolerance (cost 1e-5 relative, gradient 1e-4 in relative norm).
 * Exit code 0 on a pass, 1 on a failure, 2 on bad flags.
 */
import { parseArgs } from 'node:util';
import { Random } from '../random';
import { checkGradient, relativeDifference } from '../reference/gradcheck';
import { sparseAutoencoderCost, UFLDL_HYPERPARAMETERS } from '../reference/autoencoder';
import { initializeParameters } from '../reference/params';

const CPU_THRESHOLD = 1e-9;

async function main(): Promise<number> {
  let device: string;
  try {
    const { values } = parseArgs({ options: { device: { type: 'string', default: 'cpu' }, help: { type: 'boolean' } }, strict: true });
    if (values.help) {
      console.log('Usage: npm run gradcheck -- [--device cpu|gpu]');
      return 0;
    }
    device = values.device!;
    if (device !== 'cpu' && device !== 'gpu') throw new Error(`--device must be cpu or gpu, got '${device}'`);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return 2;
  }

  // UFLDL's own check first: h(x) = x₁² + 3x₁x₂ at [4; 10].
  const simple = checkGradient((x) => ({ cost: x[0] ** 2 + 3 * x[0] * x[1], grad: [2 * x[0] + 3 * x[1], 3 * x[0]] }), new Float64Array([4, 10]));
  console.log(`h(x) = x1² + 3·x1·x2 at [4; 10]: relative difference ${simple.relativeDifference.toExponential(4)}`);

  const hyper = UFLDL_HYPERPARAMETERS;
  if (device === 'cpu') {
    const shape = { visibleSize: 64, hiddenSize: 5 };
    const rng = new Random(1);
    const dataset = { data: Float64Array.from({ length: 10 * 64 }, () => 0.1 + 0.8 * rng.uniform()), examples: 10, visibleSize: 64 };
    const theta = initializeParameters(shape, 2);
    const check = checkGradient((t) => sparseAutoencoderCost(t, shape, hyper, dataset), theta);
    const pass = check.relativeDifference < CPU_THRESHOLD && simple.relativeDifference < CPU_THRESHOLD;
    console.log(
      `sparse autoencoder 64-5, 10 patches, ρ = ${hyper.sparsityParam}, λ = ${hyper.lambda}, β = ${hyper.beta} (${theta.length} parameters): ` +
        `relative difference ${check.relativeDifference.toExponential(4)} — ${pass ? 'PASS' : 'FAIL'} (threshold ${CPU_THRESHOLD})`,
    );
    return pass ? 0 : 1;
  }

  const { createNodeGpuContext } = await import('../gpu/node');
  const { GpuSparseAutoencoder } = await import('../gpu/autoencoder');
  const { MODEL_TOLERANCE } = await import('../gpu/tolerance');
  const ctx = await createNodeGpuContext();
  try {
    const shape = { visibleSize: 64, hiddenSize: 25 };
    const rng = new Random(1);
    // Inputs exactly representable in float32: the comparison measures the pipeline, not the upload.
    const data = Float64Array.from(Float32Array.from({ length: 10000 * 64 }, () => 0.1 + 0.8 * rng.uniform()));
    const theta = Float64Array.from(Float32Array.from(initializeParameters(shape, 2)));
    const dataset = { data, examples: 10000, visibleSize: 64 };
    const reference = sparseAutoencoderCost(theta, shape, hyper, dataset);
    const model = await GpuSparseAutoencoder.create(ctx, shape, hyper, dataset, { theta });
    const { cost } = await model.evaluate();
    const grad = await model.readGradient();
    model.destroy();
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < grad.length; i++) {
      diff += (grad[i] - reference.grad[i]) ** 2;
      norm += reference.grad[i] ** 2;
    }
    const gradientError = Math.sqrt(diff / norm);
    const costError = Math.abs(cost - reference.cost) / Math.abs(reference.cost);
    const pass = costError <= MODEL_TOLERANCE.costRelative && gradientError <= MODEL_TOLERANCE.gradientRelativeNorm;
    console.log(`adapter: ${ctx.adapterInfo.description || ctx.adapterInfo.vendor}`);
    console.log(`GPU vs float64 reference, 64-25 on 10,000 patches: cost relative error ${costError.toExponential(3)} (≤ ${MODEL_TOLERANCE.costRelative}), ` +
      `gradient ‖g_gpu − g_ref‖/‖g_ref‖ ${gradientError.toExponential(3)} (≤ ${MODEL_TOLERANCE.gradientRelativeNorm}) — ${pass ? 'PASS' : 'FAIL'}`);
    console.log(`(relative difference norm(g_gpu − g_ref)/norm(g_gpu + g_ref): ${relativeDifference(grad, reference.grad).toExponential(3)})`);
    return pass ? 0 : 1;
  } finally {
    ctx.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
