// Node module hooks: a `*.wgsl?raw` import becomes a module whose default export is the
// file's text, matching Vite's `?raw` query.
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  const { pathname, search } = new URL(url);
  if (pathname.endsWith('.wgsl') && search === '?raw') {
    const text = await readFile(new URL(url.split('?')[0]), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}
