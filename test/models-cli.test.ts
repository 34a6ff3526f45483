import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAuditCommand } from '../src/cli/audit.ts';
import type { CommandIo } from '../src/cli/args.ts';
import { runModelsCommand } from '../src/cli/models.ts';
import { openStoreForWriting } from '../src/knowledge/store-directory.ts';
import { ModelRegistry } from '../src/mlops/registry.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Runs a command with its output captured. */
async function run(command: typeof runModelsCommand, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await command(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('x0tta6bl4 models', () => {
  it('lists, shows, promotes, rolls back and diffs versions in a store, each change in its audit log', async () => {
    const root = await mkdtemp(join(tmpdir(), 'models-cli-'));
    dirs.push(root);
    const store = join(root, 'store');
    const opened = await openStoreForWriting(store);
    const registry = new ModelRegistry(opened.knowledge);
    await registry.register({
      name: 'detector.cpu',
      kind: 'detector',
      artefact: { threshold: 3 },
      parameters: { threshold: 3 },
      metrics: { precision: 0.6 },
      tags: ['baseline'],
    });
    await registry.register({
      name: 'detector.cpu',
      kind: 'detector',
      artefact: { threshold: 4 },
      parameters: { threshold: 4 },
      metrics: { precision: 0.75 },
      dataWindow: { from: 0, to: 86_400 },
    });
    await opened.close();

    const list = await run(runModelsCommand, ['list', '--store', store]);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/detector\.cpu\s+detector\s+2\s+2/);

    expect((await run(runModelsCommand, ['promote', 'detector.cpu@1', '--store', store])).code).toBe(0);
    const promoted = await run(runModelsCommand, [
      'promote',
      'detector.cpu@2',
      '--store',
      store,
      '--reason',
      'better',
    ]);
    expect(promoted).toMatchObject({ code: 0, out: 'detector.cpu@champion -> version 2 (promote)' });
    expect(promoted.err).toContain('key made for this command');

    const shown = await run(runModelsCommand, ['show', 'detector.cpu', '--store', store, '--json']);
    expect(JSON.parse(shown.out)).toMatchObject({
      version: 2,
      aliases: { champion: 2 },
      lineage: { parent: 1, dataWindow: { from: 0, to: 86_400 } },
    });
    expect((await run(runModelsCommand, ['show', 'detector.cpu@1', '--store', store])).out).toContain(
      'tags        baseline',
    );

    const diff = await run(runModelsCommand, [
      'diff',
      'detector.cpu@1',
      'detector.cpu@champion',
      '--store',
      store,
    ]);
    expect(diff.out).toContain('parameter threshold: 3 -> 4');
    expect(diff.out).toMatch(/metric precision: 0.6 -> 0.75 \(\+0\.15/);

    const back = await run(runModelsCommand, [
      'rollback',
      'detector.cpu',
      '--store',
      store,
      '--reason',
      'drill',
    ]);
    expect(back).toMatchObject({ code: 0, out: 'detector.cpu@champion -> version 1 (rollback)' });
    const again = await run(runModelsCommand, ['rollback', 'detector.cpu', '--store', store]);
    expect(again.code).toBe(1);
    expect(again.err).toContain('no earlier intact version');

    const shownLog = await run(runAuditCommand, ['show', store, '--json']);
    const kinds = shownLog.out.split('\n').map((line) => JSON.parse(line).kind);
    expect(kinds.filter((k: string) => k.startsWith('model.'))).toEqual([
      'model.promote',
      'model.promote',
      'model.rollback',
    ]);
    const verified = await run(runAuditCommand, ['verify', store, '--trust-embedded']);
    expect(verified.code).toBe(0);
  }, 120_000);

  it('exits 1 for what the registry lacks and 2 for bad usage or a path that is no store', async () => {
    const root = await mkdtemp(join(tmpdir(), 'models-cli-'));
    dirs.push(root);
    const store = join(root, 'store');
    const opened = await openStoreForWriting(store);
    await opened.close();
    expect((await run(runModelsCommand, ['list', '--store', store])).out).toBe('no models registered');
    const missing = await run(runModelsCommand, ['show', 'nope', '--store', store]);
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.err).toContain('no model named nope');
    expect((await run(runModelsCommand, ['show', 'Bad Name', '--store', store])).code).toBe(2);
    expect((await run(runModelsCommand, ['promote', 'nope', '--store', store])).err).toContain(
      'name the version',
    );
    expect((await run(runModelsCommand, ['list'])).err).toContain('--store');
    expect((await run(runModelsCommand, ['list', '--store', join(root, 'absent')])).code).toBe(2);
    expect((await run(runModelsCommand, ['promote', 'm@1', '--store', join(root, 'absent')])).code).toBe(2);
    expect((await run(runModelsCommand, ['frobnicate'])).code).toBe(2);
  }, 120_000);
});
