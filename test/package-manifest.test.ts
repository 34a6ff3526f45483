/**
 * The manifests: what installing the package brings its users (package-lock.json's resolution of
 * the runtime dependencies), and deno.json, the manifest JSR publishes from, against
 * package.json: the same version, the same subpaths (at the sources the built files come from)
 * and the same dependency ranges, so that a change to one that forgets the other fails here.
 * `npm run lint:jsr` then checks that the package would publish (`deno publish --dry-run`).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const read = (file: string) => JSON.parse(readFileSync(join(repo, file), 'utf8'));
const npm = read('package.json') as {
  name: string;
  version: string;
  license: string;
  exports: Record<string, string | { default: string }>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
const jsr = read('deno.json') as {
  name: string;
  version: string;
  license: string;
  exports: Record<string, string>;
  imports: Record<string, string>;
};

interface Locked {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
const lock = read('package-lock.json') as { packages: Record<string, Locked> };

/** Every package a user's install brings: the runtime dependencies' closure, as npm resolved it. */
function installedWithThePackage(): Set<string> {
  const seen = new Set<string>();
  const visit = (from: string, name: string) => {
    // Node's lookup: the nearest node_modules/<name> up from the dependent's folder.
    let dir = from;
    for (;;) {
      const at = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (lock.packages[at]) {
        if (seen.has(at)) return;
        seen.add(at);
        const entry = lock.packages[at];
        for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies }))
          visit(at, dep);
        return;
      }
      if (!dir) return; // an optional dependency for another platform
      const up = dir.lastIndexOf('/node_modules/');
      dir = up < 0 ? '' : dir.slice(0, up);
    }
  };
  for (const name of Object.keys(npm.dependencies)) visit('', name);
  return new Set([...seen].map((at) => at.slice(at.lastIndexOf('node_modules/') + 'node_modules/'.length)));
}

describe('what users install', () => {
  it('is not transformers.js and its ONNX runtimes: an optional peer for its one subpath', () => {
    expect(npm.peerDependencies['@huggingface/transformers']).toBeDefined();
    expect(npm.peerDependenciesMeta['@huggingface/transformers']).toEqual({ optional: true });
    const installed = installedWithThePackage();
    expect(installed.has('@electric-sql/pglite')).toBe(true);
    for (const heavy of ['@huggingface/transformers', 'onnxruntime-node', 'onnxruntime-web', 'sharp'])
      expect(installed.has(heavy), heavy).toBe(false);
  });
});

describe('deno.json against package.json', () => {
  it('names the same package in a JSR scope, at the same version and licence', () => {
    expect(jsr.name).toBe(`@${npm.name}/${npm.name}`);
    expect(jsr.version).toBe(npm.version);
    expect(jsr.license).toBe(npm.license);
  });

  it('exports every code subpath, at the source of the file package.json exports', () => {
    const expected: Record<string, string> = {};
    for (const [subpath, target] of Object.entries(npm.exports)) {
      if (typeof target === 'string') continue; // ./package.json
      expected[subpath] = target.default.replace(/^\.\/dist\//, './').replace(/\.js$/, '.ts');
    }
    expect(jsr.exports).toEqual(expected);
    for (const source of Object.values(jsr.exports))
      expect(existsSync(join(repo, source)), source).toBe(true);
  });

  it('maps every dependency and peer to npm at the range package.json asks for', () => {
    const ranges = { ...npm.dependencies, ...npm.peerDependencies };
    const mapped: Record<string, string> = {};
    for (const [specifier, target] of Object.entries(jsr.imports)) {
      const m = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)@([^/]+)\/?$/.exec(target);
      if (!m) continue; // a local mapping for the tests (vitest)
      expect(specifier.replace(/\/$/, ''), target).toBe(m[1]);
      mapped[m[1]] = m[2];
    }
    expect(mapped).toEqual(ranges);
  });
});
