/**
 * `npm run SCRIPT -- args` in its own process group, the way a terminal runs it: a signal goes
 * to the whole group (npm, the shell, node), as a Ctrl-C would. Test helper.
 */
import { spawn } from 'node:child_process';

export interface Run {
  /** The exit status as a shell sees it (128 + n for a death by signal n, as npm exits so). */
  code: number | null;
  stderr: string;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** `when` says when to signal the group: `delayMs` after stderr first matches `after`. */
export function npmRun(script: string, args: string[], when?: { after: RegExp; delayMs: number; signal: NodeJS.Signals }): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d) => {
      stderr += d;
      if (when && !sent && when.after.test(stderr)) {
        sent = true;
        setTimeout(() => process.kill(-child.pid!, when.signal), when.delayMs);
      }
    });
    child.on('close', (code, signal) => resolve({ code: code ?? 128 + (SIGNAL_NUMBERS[signal!] ?? 0), stderr }));
  });
}
