/**
 * (e) numpy float32 beside us: the same J(θ) and ∇J(θ) (bench/impls/numpy_sae.py) on the same
 * data and θ, in a python3 process this module starts, and a whole L-BFGS run with scipy's
 * L-BFGS-B for the training rows. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which this machine's
 * environment sets for other tools, are unset for that process alone, so OpenBLAS picks its
 * kernels for the CPU it finds, as it would on a user's machine. Node only.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeNpy } from '../../src/data/npy';
import type { Hyperparameters } from '../../src/reference/autoencoder';
import type { Dataset } from '../../src/reference/autoencoder';
import type { Shape } from '../../src/reference/params';
import type { Evaluator } from '../cell';
import { hyperparameters } from '../config';
import type { BenchInputs } from '../data';

const SCRIPT = fileURLToPath(new URL('./numpy_sae.py', import.meta.url));

function pythonEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** Why numpy rows cannot run here, or undefined when python3 has numpy and scipy. */
export function numpyMissing(): string | undefined {
  const probe = spawnSync('python3', ['-c', 'import numpy, scipy; print(numpy.__version__, scipy.__version__)'], { encoding: 'utf8', env: pythonEnv() });
  if (probe.error) return `no python3 (${probe.error.message})`;
  if (probe.status !== 0) return `python3 has no numpy or scipy (${probe.stderr.trim().split('\n').pop()})`;
  return undefined;
}

/** A python3 process holding the data and θ, answering one JSON request per line. */
export class NumpyProcess {
  private readonly lines: AsyncIterator<string>;
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly folder: string,
    readonly numpyVersion: string,
  ) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(dataset: Dataset, theta: Float64Array, shape: Shape, p: Hyperparameters = hyperparameters): Promise<NumpyProcess> {
    const folder = mkdtempSync(join(tmpdir(), 'bench-numpy-'));
    const data = join(folder, 'data.npy');
    const thetaPath = join(folder, 'theta.npy');
    writeFileSync(data, writeNpy(Float32Array.from(dataset.data), dataset.examples, dataset.visibleSize));
    writeFileSync(thetaPath, writeNpy(theta, theta.length, 1));
    const args = [SCRIPT, data, thetaPath, String(shape.visibleSize), String(shape.hiddenSize), String(p.sparsityParam), String(p.lambda), String(p.beta)];
    const child = spawn('python3', args, { env: pythonEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const process = new NumpyProcess(child, folder, '');
    const ready = await process.next().catch((error: unknown) => {
      throw new Error(`numpy did not start: ${stderr.trim() || String(error)}`);
    });
    return Object.assign(process, { numpyVersion: String(ready.numpy) });
  }

  private async next(): Promise<Record<string, unknown>> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error('python3 exited');
    const reply = JSON.parse(value) as Record<string, unknown>;
    if (typeof reply.error === 'string') throw new Error(reply.error);
    return reply;
  }

  async request(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
    return this.next();
  }

  close(): void {
    this.child.stdin.end(`${JSON.stringify({ op: 'quit' })}\n`);
    this.child.kill();
    rmSync(this.folder, { recursive: true, force: true });
  }
}

export async function numpyEvaluator({ theta, shape, dataset }: BenchInputs): Promise<Evaluator> {
  const missing = numpyMissing();
  if (missing) throw new Error(`numpy rows need python3 with numpy and scipy: ${missing}`);
  const numpy = await NumpyProcess.start(dataset, theta, shape);
  return {
    async evaluate() {
      return (await numpy.request({ op: 'eval' })).cost as number;
    },
    destroy: () => numpy.close(),
    notes: [`numpy ${numpy.numpyVersion} float32, python3 process; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset`],
  };
}

export interface ScipyRun {
  seconds: number;
  iterations: number;
  evaluations: number;
  cost: number;
  message: string;
  scipy: string;
  numpy: string;
}

/** A whole run of scipy's L-BFGS-B from θ on the data, numpy float32 cost and gradient, minFunc's 100 corrections. */
export async function scipyLbfgsRun(dataset: Dataset, theta: Float64Array, shape: Shape, p: Hyperparameters, maxIter: number, corrections: number): Promise<ScipyRun> {
  const numpy = await NumpyProcess.start(dataset, theta, shape, p);
  try {
    const r = await numpy.request({ op: 'lbfgs', maxIter, corrections });
    return {
      seconds: r.seconds as number,
      iterations: r.iterations as number,
      evaluations: r.evaluations as number,
      cost: r.cost as number,
      message: r.message as string,
      scipy: r.scipy as string,
      numpy: numpy.numpyVersion,
    };
  } finally {
    numpy.close();
  }
}
