// Lets Node (tsx) import WGSL the way Vite does: `import source from './x.wgsl?raw'`.
// Vite, Vitest and the browser build handle `?raw` themselves; the command-line tools
// load this hook with `tsx --import ./scripts/register-wgsl.mjs`.
import { register } from 'node:module';

register('./wgsl-hooks.mjs', import.meta.url);
