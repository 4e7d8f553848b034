/**
 * A fresh `npm install` prints no warning about unreviewed install scripts, and an npm that blocks
 * them still installs a working tree: every dependency the lockfile marks as having an install
 * script is named in package.json's allowScripts (npm install-scripts approve).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const json = (name: string) => JSON.parse(readFileSync(new URL(name, root), 'utf8'));

describe('install scripts', () => {
  it('every dependency with an install script is approved in allowScripts', () => {
    const lock = json('package-lock.json') as { packages: Record<string, { hasInstallScript?: boolean; version?: string }> };
    const allowed = (json('package.json') as { allowScripts?: Record<string, boolean> }).allowScripts ?? {};
    const withScripts = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.hasInstallScript)
      .map(([path, entry]) => ({ name: path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length), version: entry.version }));
    expect(withScripts.map((p) => p.name).sort()).toEqual(['esbuild', 'webgpu']);
    for (const { name, version } of withScripts) expect(allowed[name] ?? allowed[`${name}@${version}`], `${name} is not in allowScripts`).toBe(true);
  });
});
