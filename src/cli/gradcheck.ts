/**
 * `npm run gradcheck -- [--device cpu|gpu]`: UFLDL's gradient check.
 *
 * cpu (default): the float64 backpropagation gradient against central differences (ε = 1e-4) on
 *   a small autoencoder; passes below a relative difference of 1e-9.
 * gpu: the WebGPU cost and gradient against the float64 reference's on the same θ and data, by
 *   src/gpu/comparison.ts, whole and block by block (W1, W2, b1, b2) with the worst entries;
 *   passes within the pipeline's float32 tolerance (MODEL_TOLERANCE: cost 1e-5 relative,
 *   gradient 1e-4 in relative norm).
 * Exit code 0 on a pass, 1 on a failure (or no WebGPU, or a GPU that fails), 2 on bad flags or
 * a check too large for the adapter; errors as every command says them (./run-control.ts).
 */
import { parseArgs } from 'node:util';
import { Random } from '../random';
import { formatCheck } from '../gpu/comparison';
import { NoAdapterError } from '../gpu/errors';
import { checkGradient, RELATIVE_DIFFERENCE_LIMIT } from '../reference/gradcheck';
import { sparseAutoencoderCost, UFLDL_HYPERPARAMETERS } from '../reference/autoencoder';
import { initializeParameters } from '../reference/params';
import { UsageError } from './args';
import { isGpuFailure, runCommand, usageFailure, type CommandSpeech } from './run-control';

/** gradcheck's one remedy: its sizes are fixed. */
const SPEECH: CommandSpeech = { command: 'gradcheck', remedies: { cpu: '--device cpu' } };

async function main(): Promise<number> {
  let device: string;
  try {
    let values;
    try {
      ({ values } = parseArgs({ options: { device: { type: 'string', default: 'cpu' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
    } catch (error) {
      throw new UsageError((error as Error).message.split('\n')[0]);
    }
    if (values.help) {
      console.log('Usage: npm run gradcheck -- [--device cpu|gpu]');
      return 0;
    }
    device = values.device!;
    if (device !== 'cpu' && device !== 'gpu') throw new UsageError(`--device must be cpu or gpu, got '${device}'`);
  } catch (error) {
    return usageFailure(error, SPEECH);
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
    const pass = check.relativeDifference < RELATIVE_DIFFERENCE_LIMIT && simple.relativeDifference < RELATIVE_DIFFERENCE_LIMIT;
    console.log(
      `sparse autoencoder 64-5, 10 patches, ρ = ${hyper.sparsityParam}, λ = ${hyper.lambda}, β = ${hyper.beta} (${theta.length} parameters): ` +
        `relative difference ${check.relativeDifference.toExponential(4)} — ${pass ? 'PASS' : 'FAIL'} (threshold ${RELATIVE_DIFFERENCE_LIMIT})`,
    );
    return pass ? 0 : 1;
  }

  // The GPU: the kernel checks' whole-evaluation check (src/gpu/checks.ts) at UFLDL's exercise size.
  const { createNodeGpuContext } = await import('../gpu/node');
  const { checkEvaluation } = await import('../gpu/checks');
  let ctx;
  try {
    ctx = await createNodeGpuContext();
  } catch (error) {
    if (!(error instanceof NoAdapterError)) throw error;
    console.error(`error: ${error.message} Or check the float64 gradient alone: npm run gradcheck -- --device cpu`);
    return 1;
  }
  try {
    const results = await checkEvaluation(ctx, { examples: 10000, visibleSize: 64, hiddenSize: 25, hyperparameters: hyper });
    const pass = results.every((r) => r.pass);
    console.log(`adapter: ${ctx.adapterInfo.description || ctx.adapterInfo.vendor}`);
    console.log('GPU vs float64 reference, 64-25 on 10,000 patches, θ and data in float32:');
    for (const r of results) console.log(formatCheck(r));
    const gradient = results[1];
    console.log(`(relative difference norm(g_gpu − g_ref)/norm(g_gpu + g_ref): ${gradient.details!.relativeDifference.toExponential(3)})`);
    console.log(pass ? 'PASS' : 'FAIL');
    return pass ? 0 : 1;
  } catch (error) {
    if (!isGpuFailure(error)) return usageFailure(error, SPEECH); // a resource limit; a bug is rethrown
    console.error(`error: the GPU failed during the check: ${error.message}`);
    return 1;
  } finally {
    ctx.destroy();
  }
}

runCommand(SPEECH, main);
