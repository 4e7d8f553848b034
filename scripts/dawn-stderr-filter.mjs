// Dawn's native warnings, dropped from a stream of stderr bytes (scripts/cli.mjs pipes the
// command line's stderr through it). Dawn's C++ logging prints them straight to file descriptor
// 2 whenever an adapter is made, and no flag, toggle or environment variable of Dawn or of the
// `webgpu` package turns them off (dawn::WarningLog is silenced only by a compile-time define).
// A user can do nothing about them.
//
// Only whole lines matching one of the patterns below are dropped. Every other byte passes
// unchanged and at once: a line is held back only while what has come of it could still be
// the start of a Dawn warning, so the progress bar (redrawn with \r, no newline) is not delayed.

/** The lines dropped, each whole (without its newline). Dawn's src/dawn/native/Limits.cpp. */
export const DAWN_WARNINGS = [
  /^Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/,
];

/** What every dropped line starts with: a line not starting so is passed on as it comes. */
const PREFIX = 'Warning: maxDynamic';

/** A partial line held this long with nothing more is passed on: output must never stall. */
export const HOLD_MS = 200;

/**
 * A filter over latin1 strings (one char per byte, so any bytes round-trip). `write(text)`
 * receives what passes; call `push` per chunk and `end` when the stream ends.
 */
export function dawnStderrFilter(write, { holdMs = HOLD_MS } = {}) {
  let held = ''; // the start of the current line, while it may still be a Dawn warning
  let passing = false; // part of the current line was passed on: the rest of it passes too
  let timer;

  const release = () => {
    clearTimeout(timer);
    timer = undefined;
    if (held) write(held);
    held = '';
    passing = true;
  };

  return {
    push(text) {
      clearTimeout(timer);
      timer = undefined;
      let out = '';
      let start = 0;
      while (start < text.length) {
        const newline = text.indexOf('\n', start);
        const end = newline === -1 ? text.length : newline + 1;
        const piece = text.slice(start, end);
        start = end;
        if (passing) {
          out += piece;
        } else {
          held += piece;
          if (newline !== -1) {
            if (!DAWN_WARNINGS.some((pattern) => pattern.test(held.slice(0, -1)))) out += held;
            held = '';
          } else if (!(held.startsWith(PREFIX) || PREFIX.startsWith(held))) {
            out += held;
            held = '';
            passing = true;
          }
        }
        if (newline !== -1) passing = false;
      }
      if (out) write(out);
      if (held) {
        timer = setTimeout(release, holdMs);
        timer.unref?.();
      }
    },
    end() {
      release();
      passing = false;
    },
  };
}
