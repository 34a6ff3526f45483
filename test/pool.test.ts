// Node-only pool cases: compiled-JS worker entries (no tsx), start timeouts, exit codes, crashes
// under load and the default size. The cross-runtime cases live in test/conformance/pool.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WorkerPool } from '../src/runtime/pool.ts';
import { defaultPoolSize, runtimeName } from '../src/runtime/detect.ts';
import { workerEntry } from '../src/runtime/spawn.ts';
import { PoolClosedError, WorkerCrashedError } from '../src/errors.ts';
import type { ProbeApi } from './fixtures/workers/probe.ts';
import { failure } from './conformance/helpers/failure.ts';

const SLOW = 60_000;
const probe = new URL('./fixtures/workers/probe.ts', import.meta.url);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-pool-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a plain-JavaScript worker module (as dist/ would hold) and returns its URL. */
function jsWorker(name: string, body: string): URL {
  const file = join(dir, name);
  writeFileSync(file, body);
  return pathToFileURL(file);
}

const comlink = pathToFileURL(join(process.cwd(), 'node_modules/comlink/dist/esm/comlink.mjs')).href;
const adapter = pathToFileURL(join(process.cwd(), 'node_modules/comlink/dist/esm/node-adapter.mjs')).href;

describe('worker pool on Node', () => {
  it('detects Node and sizes the pool to cores - 1 (at least 1)', () => {
    expect(runtimeName()).toBe('node');
    expect(defaultPoolSize()).toBe(Math.max(1, availableParallelism() - 1));
    expect(new WorkerPool({ url: probe }).size).toBe(defaultPoolSize());
  });

  it('maps a .ts entry to its compiled .js twin only when the importer is compiled', () => {
    const entry = new URL('file:///app/workers/kernels.ts');
    expect(workerEntry(entry, 'file:///app/src/kernels/pool.ts').href).toBe(entry.href);
    expect(workerEntry(entry, 'file:///app/dist/src/kernels/pool.js').href).toBe(
      'file:///app/workers/kernels.js',
    );
    expect(workerEntry(new URL('file:///a/w.js'), 'file:///a/p.js').href).toBe('file:///a/w.js');
  });

  it(
    'runs a compiled JavaScript entry without tsx',
    async () => {
      const url = jsWorker(
        'echo.mjs',
        `import * as Comlink from '${comlink}';
       import nodeEndpoint from '${adapter}';
       import { parentPort } from 'node:worker_threads';
       Comlink.expose({ twice: (x) => 2 * x }, nodeEndpoint(parentPort));
       parentPort.postMessage('x0tta6bl4:worker-ready');`,
      );
      const pool = new WorkerPool<{ twice(x: number): number }>({ url }, { size: 1 });
      try {
        expect(await pool.run('twice', [21])).toBe(42);
      } finally {
        await pool.close();
      }
    },
    SLOW,
  );

  it(
    'gives up on a worker that never says it is ready',
    async () => {
      const url = jsWorker('silent.mjs', 'setInterval(() => {}, 1000);');
      const pool = new WorkerPool<{ twice(x: number): number }>({ url }, { size: 1, startTimeout: 300 });
      const started = Date.now();
      const error = await failure(pool.run('twice', [1]));
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect(error.message).toMatch(/did not start within 300 ms/);
      expect(Date.now() - started).toBeLessThan(10_000);
      await pool.close();
    },
    SLOW,
  );

  it(
    'reports the exit code of a worker that calls process.exit',
    async () => {
      const pool = new WorkerPool<ProbeApi>({ url: probe }, { size: 1 });
      try {
        const error = await failure(pool.run('exit', [7]));
        expect(error).toBeInstanceOf(WorkerCrashedError);
        expect(error.message).toMatch(/exited \(code 7\)/);
      } finally {
        await pool.close();
      }
    },
    SLOW,
  );

  it(
    'loses only the crashed worker’s calls under load, and never leaves one hanging',
    async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      const pool = new WorkerPool<ProbeApi>({ url: probe }, { size: 2 });
      try {
        await pool.start();
        const calls = Array.from({ length: 40 }, (_, i) => pool.run('sleep', [20 + (i % 5)]));
        const crash = pool.run('crash', []);
        const outcomes = await Promise.allSettled([...calls, crash]);
        const failed = outcomes.filter((o) => o.status === 'rejected');
        for (const o of failed)
          expect((o as PromiseRejectedResult).reason).toBeInstanceOf(WorkerCrashedError);
        expect(failed.length).toBeGreaterThanOrEqual(1); // the crash itself
        expect(failed.length).toBeLessThan(outcomes.length); // the other worker kept serving
        expect(pool.load).toEqual([0, 0]);
        expect(pool.crashes).toBe(1);
        const after = await Promise.all(Array.from({ length: 4 }, () => pool.run('echo', ['ok'])));
        expect(after).toEqual(['ok', 'ok', 'ok', 'ok']);
      } finally {
        await pool.close();
        process.off('unhandledRejection', onUnhandled);
      }
      expect(unhandled).toEqual([]);
    },
    SLOW,
  );

  it(
    'does not replace workers once closed, and close is idempotent',
    async () => {
      const pool = new WorkerPool<ProbeApi>({ url: probe }, { size: 1 });
      await pool.start();
      const crash = failure(pool.run('crash', []));
      await pool.close({ drain: false });
      expect(await crash).toBeInstanceOf(PoolClosedError);
      await pool.close();
      expect(pool.crashes).toBe(0);
    },
    SLOW,
  );
});
