// `npm run train|classify|gradcheck|pca`: runs src/cli/<name>.ts with its stderr piped through
// scripts/dawn-stderr-filter.mjs, which drops Dawn's native limit warnings (printed by C++
// straight to fd 2, out of JavaScript's reach) and passes every other byte on as it comes.
// Usage: node scripts/cli.mjs <train|classify|gradcheck|pca> [args…]
//
// Signals, as src/cli/run-control.ts expects them:
// - Ctrl-C: the terminal sends SIGINT to the whole process group, the command line included,
//   so this process ignores it and waits; passing it on would be a second signal.
// - SIGTERM: passed on, once per REPEATED_SIGNAL_MS; a later one, like a second Ctrl-C, tells
//   the command line to quit at once. A SIGTERM to the whole group reaches the command line
//   directly too, milliseconds apart from ours: it counts the two as one.
// - The exit status is the command line's, or 128 + the signal's number if one killed it.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { bundleCommand } from './cli-bundle.mjs';
import { dawnStderrFilter } from './dawn-stderr-filter.mjs';

const COMMANDS = ['train', 'classify', 'gradcheck', 'pca'];
/** src/cli/run-control.ts's window in which a repeated signal is the same one passed on. */
const REPEATED_SIGNAL_MS = 500;
/**
 * Set when this process's stderr is a terminal: its width, so that src/cli/progress.ts still
 * draws the bar although its own stderr is a pipe.
 */
const TERMINAL_COLUMNS_ENV = 'SAE_TERMINAL_COLUMNS';

const [command, ...args] = process.argv.slice(2);
if (!COMMANDS.includes(command)) {
  process.stderr.write(`usage: node scripts/cli.mjs <${COMMANDS.join('|')}> [args…]\n`);
  process.exit(2);
}

const env = { ...process.env };
if (process.stderr.isTTY) env[TERMINAL_COLUMNS_ENV] = String(process.stderr.columns || 80);
else delete env[TERMINAL_COLUMNS_ENV];

const file = (path) => fileURLToPath(new URL(path, import.meta.url));
// The tool's bundle (./cli-bundle.mjs), or its sources through tsx when there is none.
const bundle = await bundleCommand(command);
const entry = bundle
  ? ['--enable-source-maps', bundle]
  : ['--import', import.meta.resolve('tsx'), '--import', import.meta.resolve('./register-wgsl.mjs'), file(`../src/cli/${command}.ts`)];
const child = spawn(process.execPath, [...entry, ...args], { stdio: ['inherit', 'inherit', 'pipe'], env });

process.on('SIGINT', () => {});
let lastTerm = -Infinity;
process.on('SIGTERM', () => {
  const now = Date.now();
  if (now - lastTerm < REPEATED_SIGNAL_MS) return;
  lastTerm = now;
  child.kill('SIGTERM');
});

// Bytes as latin1 chars: any bytes, valid UTF-8 or not, come out as they went in.
let writable = true;
const filter = dawnStderrFilter((text) => {
  if (writable) process.stderr.write(Buffer.from(text, 'latin1'));
});
// Our stderr closed (a pipe's reader gone): stop reading, so the command line's own writes fail
// as they would have without this process in between.
process.stderr.on('error', () => {
  writable = false;
  child.stderr.destroy();
});
child.stderr.setEncoding('latin1');
child.stderr.on('data', (text) => filter.push(text));
child.stderr.on('end', () => filter.end());

child.on('error', (error) => {
  process.stderr.write(`error: could not start ${process.execPath}: ${error.message}\n`);
  process.exit(1);
});
child.on('close', (code, signal) => {
  filter.end();
  process.exitCode = code ?? 128 + (constants.signals[signal] ?? 0);
});
