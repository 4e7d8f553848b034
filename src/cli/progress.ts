/**
 * Progress of a training run on the terminal: a bar redrawn in place on a TTY, plain lines
 * (at most one every few seconds) when the output is a file or a pipe.
 */
import type { TrainingProgress } from '../train/trainer';

/** What a progress line shows. */
export type ProgressLine = Pick<TrainingProgress, 'iteration' | 'totalIterations' | 'evaluations' | 'cost' | 'parts' | 'elapsedSeconds'> & {
  /** What `iteration` counts when not L-BFGS iterations (the convolution stage counts images). */
  unit?: 'images';
};

export function progressReporter(stream: NodeJS.WriteStream = process.stderr): {
  update(p: ProgressLine): void;
  done(): void;
} {
  // scripts/cli.mjs pipes stderr to drop Dawn's native warnings, and says in this variable how
  // wide the terminal at the pipe's end is. Inherited stdout, when it is that terminal too,
  // follows resizes.
  const relayedColumns = stream === process.stderr ? Number(process.env.SAE_TERMINAL_COLUMNS) : NaN;
  const tty = stream.isTTY === true || relayedColumns > 0;
  const terminalColumns = () => stream.columns ?? (process.stdout.isTTY ? process.stdout.columns : undefined) ?? (relayedColumns || 120);
  let lastLine = 0;
  let drawn = false;
  const describe = (p: ProgressLine) => {
    const rate = p.elapsedSeconds > 0 ? p.iteration / p.elapsedSeconds : 0;
    if (p.unit === 'images') return `images ${p.iteration}/${p.totalIterations}  ${rate.toFixed(1)} images/s  ${p.elapsedSeconds.toFixed(1)} s`;
    const parts = p.parts
      ? ` (reconstruction ${p.parts.reconstruction.toFixed(4)}, decay ${p.parts.weightDecay.toFixed(4)}, sparsity ${p.parts.sparsity.toFixed(4)})`
      : '';
    return `iteration ${p.iteration}/${p.totalIterations}  cost ${p.cost.toFixed(6)}${parts}  ${p.evaluations} evals  ${rate.toFixed(1)} it/s  ${p.elapsedSeconds.toFixed(1)} s`;
  };
  return {
    update(p) {
      if (tty) {
        const width = 24;
        const filled = p.totalIterations > 0 ? Math.round((width * p.iteration) / p.totalIterations) : width;
        const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
        const columns = terminalColumns();
        stream.write(`\r${`${bar} ${describe(p)}`.slice(0, columns - 1)}\x1b[K`);
        drawn = true;
      } else {
        const now = Date.now();
        if (now - lastLine >= 2000 || p.iteration === p.totalIterations || p.iteration === 1) {
          stream.write(`${describe(p)}\n`);
          lastLine = now;
        }
      }
    },
    done() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
  };
}
