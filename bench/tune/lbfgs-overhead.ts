// Where an L-BFGS training run's time goes besides its evaluations: the natural preset (10,000
// patches, 64-25, 400 iterations) trained as the bench's training row trains it, with every
// GpuLbfgsBackend submission timed from the outside (the methods are wrapped, nothing changes):
//   cpu    from the previous read-back's end to this submission's start (the line search, the
//          optimizer's float64 work, progress), plus encoding up to submit
//   wait   from submit to the read-back's end (the pacer's sleep, then the map)
//   gpu    the pass's own time (timestamp queries; one submission in TIMED_EVERY has them)
// beside the evaluation alone (the bench's lower bound: 20 evaluations before the run and 20 after,
// their median), the run's fixed costs (its start, its first evaluation, its end), and the
// overhead the bench would report; then the L-BFGS kernels alone with a full memory of 100
// pairs: whole submissions on an objective that records nothing, and each kernel in a pass of
// its own (timestamp queries; lavapipe's tick is 65.5 µs). The machine is shared: the load
// average is printed.
//   npx tsx --import ./scripts/register-wgsl.mjs bench/tune/lbfgs-overhead.ts [iterations] [--training | --kernels]
import { loadavg } from 'node:os';
import { createNodeGpuContext } from '../../src/gpu/node';
import { gpuEvaluator } from '../impls/gpu';
import { GpuLbfgsBackend, TIMED_EVERY } from '../../src/gpu/lbfgs';
import { ReadBackPacer } from '../../src/gpu/pacer';
import { loadTrainingData } from '../../src/train/data-node';
import { createEngine } from '../../src/train/engines-node';
import { train } from '../../src/train/trainer';
import { rowInputs, trainingConfigs } from '../training';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const args = process.argv.slice(2);
const iterations = Number(args.find((a) => !a.startsWith('--')) ?? 400);
const parts = { training: !args.includes('--kernels'), kernels: !args.includes('--training') };
const config = { ...trainingConfigs.natural, iterations };
const data = await loadTrainingData(config);
const inputs = rowInputs(config, data);

interface Sample {
  cpuMs: number;
  sleepMs: number;
  mapMs: number;
  gpuMs: number;
}
const samples: Sample[] = [];
let lastEnd = NaN;
let firstSubmit = NaN;
let current: Partial<Sample> = {};

type Submit = (this: { ctx: { counters: { gpuSeconds: number } } }, ...args: unknown[]) => Promise<unknown>;
const proto = GpuLbfgsBackend.prototype as unknown as { submitEvaluation: Submit };
const submit = proto.submitEvaluation;
proto.submitEvaluation = async function (this: { ctx: { counters: { gpuSeconds: number } } }, ...args: unknown[]) {
  const start = performance.now();
  if (Number.isNaN(firstSubmit)) firstSubmit = start;
  current = { cpuMs: start - lastEnd };
  const gpuBefore = this.ctx.counters.gpuSeconds;
  const result = await submit.apply(this, args);
  lastEnd = performance.now();
  // One submission in TIMED_EVERY is timed, and counted TIMED_EVERY times: its own time, or NaN.
  const gpuMs = ((this.ctx.counters.gpuSeconds - gpuBefore) * 1000) / TIMED_EVERY;
  current.gpuMs = gpuMs > 0 ? gpuMs : NaN;
  samples.push(current as Sample);
  return result;
};
const create = GpuLbfgsBackend.create;
let createMs = NaN;
GpuLbfgsBackend.create = async (...args: Parameters<typeof create>) => {
  const start = performance.now();
  const backend = await create(...args);
  createMs = performance.now() - start;
  return backend;
};
const waits: [number, number][] = [];
const waitSplit = () => {
  const kept = waits.splice(0).slice(3);
  const sleep = kept.reduce((a, w) => a + w[0], 0);
  const map = kept.reduce((a, w) => a + w[1], 0);
  return `asleep ${((100 * sleep) / (sleep + map)).toFixed(0)}% of the waits`;
};
const pacerProto = ReadBackPacer.prototype as unknown as { wait: (map: () => Promise<void>) => Promise<void>; sleepMs: number };
const wait = pacerProto.wait;
pacerProto.wait = async function (this: ReadBackPacer, map: () => Promise<void>) {
  const t0 = performance.now();
  let awake = t0;
  await wait.call(this, async () => {
    awake = performance.now();
    await map();
  });
  current.sleepMs = awake - t0;
  current.mapMs = performance.now() - awake;
  waits.push([current.sleepMs, current.mapMs]);
};

async function timeEvaluations(count: number): Promise<number[]> {
  const evaluator = await gpuEvaluator(inputs, () => createNodeGpuContext(), inputs.config);
  await evaluator.evaluate();
  const times: number[] = [];
  waits.length = 0;
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await evaluator.evaluate();
    times.push(performance.now() - t);
  }
  console.log(`  evaluation alone: median ${median(times).toFixed(2)} ms of ${count}; ${waitSplit()}`);
  await evaluator.destroy();
  return times;
}
if (parts.training) {
  const evalBefore = await timeEvaluations(20);
  const { engine, close } = await createEngine('gpu', inputs.shape, config, inputs.dataset);
  waits.length = 0;
  const load0 = loadavg()[0];
  const t0 = performance.now();
  const result = await train(engine, { config, initialTheta: inputs.theta });
  const seconds = (performance.now() - t0) / 1000;
  close();
  const trainWaits = waitSplit();
  const evalAfter = await timeEvaluations(20);

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const steady = samples.slice(5).filter((s) => Number.isFinite(s.cpuMs));
  const column = (name: keyof Sample) => steady.map((s) => s[name]).filter((v) => !Number.isNaN(v));
  console.log(
    `natural, ${result.iterations} iterations, ${result.evaluations} evaluations, ${seconds.toFixed(2)} s (${((1000 * seconds) / result.evaluations).toFixed(2)} ms per evaluation); final cost ${result.finalCost.toFixed(6)}; load ${load0.toFixed(2)} → ${loadavg()[0].toFixed(2)}`,
  );
  for (const name of ['cpuMs', 'sleepMs', 'mapMs', 'gpuMs'] as const) {
    const xs = column(name);
    console.log(`  ${name.padEnd(8)} mean ${mean(xs).toFixed(2).padStart(6)}  median ${median(xs).toFixed(2).padStart(6)}  total ${(xs.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} s`);
}
const perEvaluation = (1000 * seconds) / result.evaluations;
console.log(`  first evaluations (cpu before, wait): ${samples.slice(0, 4).map((s) => `${s.cpuMs.toFixed(1)}, ${(s.sleepMs + s.mapMs).toFixed(1)}`).join('; ')}; from train() to the first submission ${(firstSubmit - t0).toFixed(1)} ms (GpuLbfgsBackend.create ${createMs.toFixed(1)} ms), last read-back to the end ${(t0 + 1000 * seconds - lastEnd).toFixed(1)} ms`);
const both = median([...evalBefore, ...evalAfter]);
console.log(`  training: ${trainWaits}; overhead ${(perEvaluation / both).toFixed(3)}× (${perEvaluation.toFixed(2)} ms per evaluation / ${both.toFixed(2)} ms)`);
const idle = steady.map((s) => s.cpuMs + s.sleepMs + s.mapMs - s.gpuMs);
console.log(`  not on the GPU per evaluation (cpu + sleep + map − gpu): mean ${mean(idle).toFixed(2)}, median ${median(idle).toFixed(2)} ms`);

}
// The L-BFGS kernels alone: the same backend on an objective that records nothing (its cost
// buffer stays zero), with a full memory of 100 random pairs; every trial's pass then holds
// direction (or trial), products and finalize only.
if (parts.kernels) {
  const { createStorageBuffer } = await import('../../src/gpu/runtime');
  const ctx = await createNodeGpuContext();
  const length = inputs.theta.length;
  const objective = {
    length,
    encode: () => {},
    costBuffer: createStorageBuffer(ctx.device, 16, 'no cost'),
    decode: (values: Float32Array) => ({ cost: values[0] }),
  };
  const backend = await GpuLbfgsBackend.create(ctx, objective, 100);
  let seed = 1;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  const vector = () => Float64Array.from({ length }, random);
  const corrections = Array.from({ length: 100 }, () => {
    const s = vector();
    const y = s.map((v) => v + 0.1 * random());
    let ys = 0;
    for (let i = 0; i < length; i++) ys += s[i] * y[i];
    return { s, y, ys };
  });
  backend.restore({ x: vector(), grad: vector(), hDiag: 1, corrections });
  samples.length = 0;
  lastEnd = NaN;
  for (let i = 0; i < 60; i++) {
    const { trial } = await backend.directionAndTrial(1);
    backend.release(trial);
    backend.release(await backend.trial(0.5));
  }
  const kept = samples.slice(10);
  const wall = kept.map((s) => s.sleepMs + s.mapMs);
  console.log(
    `L-BFGS kernels alone (${length} values, 100 pairs), ${kept.length} submissions (a direction's, then a trial's): ` +
      `from submit's return to the read-back median ${median(wall).toFixed(2)} ms, CPU between median ${median(kept.map((s) => s.cpuMs)).toFixed(2)} ms`,
  );
  // Each kernel of a direction's submission in a pass of its own (the accept last: it moves x).
  const internals = backend as unknown as {
    buffers: Record<string, GPUBuffer>;
    g: GPUBuffer;
    encode(pass: GPUComputePassEncoder, kind: string, buffers: Record<string, GPUBuffer>): void;
    writeStep(fields: object): void;
  };
  const b = internals.buffers;
  const gPlus = internals.g;
  const kernels: [string, Record<string, GPUBuffer>][] = [
    ['direction', { terms: b.terms, directionS: b.s, directionY: b.y, directionG: internals.g, directionX: b.x, directionD: b.d, directionXTrial: b.xTrial }],
    ['trial', { trialX: b.x, trialD: b.d, trialXTrial: b.xTrial }],
    ['products', { rowList: b.rows, productsS: b.s, productsY: b.y, productsD: b.d, productsGPlus: gPlus, productsG: internals.g, partials: b.partials }],
    ['finalize', { finalPartials: b.partials, report: b.report }],
    ['accept', { acceptD: b.d, acceptGPlus: gPlus, acceptG: internals.g, acceptX: b.x, acceptS: b.s, acceptY: b.y }],
  ];
  const device = ctx.device;
  const times: number[][] = kernels.map(() => []);
  for (let rep = 0; rep < 40; rep++) {
    internals.writeStep({ gCoef: -1, trialStep: 0.5, terms: 200, acceptStep: 0, addPair: true, slot: 3 });
    const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * kernels.length });
    const resolve = device.createBuffer({ size: 16 * kernels.length, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const staging = device.createBuffer({ size: 16 * kernels.length, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    kernels.forEach(([kind, buffers], i) => {
      const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      internals.encode(pass, kind, buffers);
      pass.end();
    });
    encoder.resolveQuerySet(querySet, 0, 2 * kernels.length, resolve, 0);
    encoder.copyBufferToBuffer(resolve, 0, staging, 0, 16 * kernels.length);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const stamps = new BigUint64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    kernels.forEach((_, i) => times[i].push(Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6));
    querySet.destroy();
    resolve.destroy();
    staging.destroy();
  }
  console.log('  each kernel in a pass of its own (median / min of 37, ms): ' + kernels.map(([kind], i) => `${kind} ${median(times[i].slice(3)).toFixed(3)} / ${Math.min(...times[i].slice(3)).toFixed(3)}`).join(', '));
  backend.dispose();
  ctx.destroy();
}
