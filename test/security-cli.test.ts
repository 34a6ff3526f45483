import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveAuditFile } from '../src/cli/audit.ts';
import { AuditLog } from '../src/security/audit-log.ts';
import { MemoryAuditStore, exportAuditFile, type AuditFile } from '../src/security/audit-store.ts';
import { NodeKeys } from '../src/security/keys.ts';
import { runAudit } from './audit-cli.ts';

const T0 = Date.UTC(2026, 0, 1);

describe('x0tta6bl4 audit (CLI)', () => {
  let dir: string;
  let storePath: string;
  let keysPath: string;
  let original: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'x0-audit-'));
    const keys = NodeKeys.generate({ owner: 'engine', now: T0 });
    const store = new MemoryAuditStore();
    let t = T0;
    const log = await AuditLog.open(store, keys, { batchSize: 4, now: () => ++t });
    for (const [kind, data] of [
      ['plan', { plan: 'p-1', action: 'restart' }],
      ['action', { target: 'svc-a' }],
      ['result', { ok: false }],
      ['rollback', { target: 'svc-a' }],
      ['escalation', { to: 'on-call' }],
    ] as const) {
      await log.append({ kind, actor: 'engine', data });
    }
    await log.flush();
    storePath = join(dir, 'audit.json');
    keysPath = join(dir, 'engine-keys.json');
    await saveAuditFile(storePath, store, keys.ring());
    original = await readFile(storePath, 'utf8');
    await writeFile(keysPath, JSON.stringify(keys.ring().toJSON()));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies an intact log against the pinned engine keys, and says so', async () => {
    const { code, out } = await runAudit(['verify', storePath, '--keys', keysPath]);
    expect(code).toBe(0);
    expect(out[0]).toBe(
      `OK (signatures checked against the pinned keys in ${keysPath}): 5 entries in 2 signed batches, head ${JSON.parse(original).entries[4].hash}`,
    );
    expect(out).toContain(
      'truncation: not checked (whole batches cut from the end verify alone): pass --checkpoint or --expect-head',
    );
  });

  it('trusts the keys the log carries only when told to, and says what that proves', async () => {
    const refused = await runAudit(['verify', storePath]);
    expect(refused.code).toBe(2);
    expect(refused.err[0]).toMatch(/needs the signer's public keys: --keys <file>.*or --trust-embedded/);
    expect((await runAudit(['verify', storePath, '--keys', keysPath, '--trust-embedded'])).code).toBe(2);
    const { code, out } = await runAudit(['verify', storePath, '--trust-embedded']);
    expect(code).toBe(0);
    expect(out[0]).toMatch(
      /^OK \(signatures checked against the keys the log itself carries: proves integrity since the first seal, not who wrote it\): 5 entries/,
    );
    const json = JSON.parse((await runAudit(['verify', storePath, '--trust-embedded', '--json'])).out[0]);
    expect(json).toMatchObject({ ok: true, entries: 5, unsealed: 0 });
    expect(json.trust).toMatch(/keys the log itself carries/);
  });

  it('rejects the stored log after an edit of any entry field', async () => {
    const edits: [string, (f: AuditFile) => void, string][] = [
      ['data', (f) => ((f.entries[2].data as { ok: boolean }).ok = true), 'altered'],
      ['kind', (f) => (f.entries[3].kind = 'result'), 'altered'],
      ['order', (f) => ([f.entries[0], f.entries[1]] = [f.entries[1], f.entries[0]]), 'reordered'],
      ['deletion', (f) => f.entries.splice(1, 1), 'deleted'],
      ['truncation', (f) => f.entries.pop(), 'truncated'],
      ['seal', (f) => (f.seals[1].ts += 1), 'altered'],
    ];
    for (const [name, edit, reason] of edits) {
      const file = JSON.parse(original) as AuditFile;
      edit(file);
      const path = join(dir, `edited-${name}.json`);
      await writeFile(path, JSON.stringify(file));
      const { code, out } = await runAudit(['verify', path, '--keys', keysPath, '--json']);
      expect(code, name).toBe(1);
      expect(JSON.parse(out[0]).reason, name).toBe(reason);
    }
  });

  it('rejects a log re-signed by someone else when the engine keys are given', async () => {
    const forgerKeys = NodeKeys.generate({ owner: 'engine', now: T0 });
    const store = new MemoryAuditStore();
    const log = await AuditLog.open(store, forgerKeys, { now: () => T0 + 1 });
    await log.append({ kind: 'action', actor: 'engine', data: { target: 'everything' } });
    await log.flush();
    const path = join(dir, 'forged.json');
    await writeFile(path, JSON.stringify(await exportAuditFile(store, forgerKeys.ring())));
    const { code, out } = await runAudit(['verify', path, '--keys', keysPath]);
    expect(code).toBe(1);
    expect(out[0]).toMatch(/^FAILED: unknown-key at position 0/);
    // The forger's own keys vouch for the forgery: all --trust-embedded can say is "intact".
    const embedded = await runAudit(['verify', path, '--trust-embedded']);
    expect(embedded.code).toBe(0);
    expect(embedded.out[0]).toMatch(/not who wrote it/);
  });

  it('detects the last batch, the last two, or everything cut off, against a checkpoint or a head', async () => {
    const keys = NodeKeys.generate({ owner: 'engine', now: T0 });
    const store = new MemoryAuditStore();
    let t = T0;
    const log = await AuditLog.open(store, keys, { batchSize: 2, now: () => ++t });
    for (let i = 0; i < 6; i++) await log.append({ kind: 'action', actor: 'engine', data: { i } });
    await log.flush();
    const checkpoint = join(dir, 'checkpoint.json');
    await writeFile(checkpoint, JSON.stringify(log.checkpoint()));
    const head = log.checkpoint().head;
    const pinned = join(dir, 'cut-keys.json');
    await writeFile(pinned, JSON.stringify(keys.ring().toJSON()));
    const whole = await exportAuditFile(store, keys.ring());
    const path = join(dir, 'cut.json');
    await writeFile(path, JSON.stringify(whole));
    const intact = await runAudit([
      'verify',
      path,
      '--keys',
      pinned,
      '--checkpoint',
      checkpoint,
      '--expect-head',
      head,
    ]);
    expect(intact.code).toBe(0);
    expect(intact.out).toContain('truncation: the log still holds 2 saved heads it was checked against');

    for (const keep of [2, 1, 0]) {
      await writeFile(
        path,
        JSON.stringify({
          ...whole,
          entries: whole.entries.slice(0, keep * 2),
          seals: whole.seals.slice(0, keep),
        }),
      );
      for (const saved of [
        ['--checkpoint', checkpoint],
        ['--expect-head', head],
        ['--expect-entries', '6'],
      ]) {
        const { code, out } = await runAudit(['verify', path, '--keys', pinned, ...saved]);
        expect(code, `${keep} batches kept, ${saved[0]}`).toBe(1);
        expect(out[0]).toMatch(/^FAILED: truncated/);
      }
      // Alone, a log cut at a batch boundary verifies (and says truncation was not checked);
      // an empty one never does.
      expect((await runAudit(['verify', path, '--keys', pinned])).code).toBe(keep > 0 ? 0 : 1);
    }
    await writeFile(join(dir, 'bad-checkpoint.json'), '{"entries": 3}');
    expect(
      (await runAudit(['verify', path, '--keys', pinned, '--checkpoint', join(dir, 'bad-checkpoint.json')]))
        .code,
    ).toBe(2);
    expect((await runAudit(['verify', path, '--keys', pinned, '--expect-head', 'abc'])).code).toBe(2);
  });

  it('reports entries after the last seal as unsealed, not as verified', async () => {
    const keys = NodeKeys.generate({ owner: 'engine', now: T0 });
    const store = new MemoryAuditStore();
    const log = await AuditLog.open(store, keys, { batchSize: 4, now: () => T0 + 1 });
    for (let i = 0; i < 6; i++) await log.append({ kind: 'action', actor: 'engine', data: { i } });
    const path = join(dir, 'tail.json');
    await writeFile(path, JSON.stringify(await exportAuditFile(store, keys.ring())));
    await writeFile(join(dir, 'tail-keys.json'), JSON.stringify(keys.ring().toJSON()));
    const { code, out } = await runAudit(['verify', path, '--keys', join(dir, 'tail-keys.json')]);
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^OK .*: 6 entries in 1 signed batches/);
    expect(out[1]).toMatch(
      /^WARNING: 2 entries after the last seal are unsealed: they chain to the sealed head but nobody signed them/,
    );
  });

  it('shows entries, with --from, --limit and --json', async () => {
    const all = await runAudit(['show', storePath]);
    expect(all.code).toBe(0);
    expect(all.out).toHaveLength(5);
    expect(all.out[4]).toMatch(/^4\t2026-01-01T00:00:00.006Z\tescalation\tengine\t\{"to":"on-call"\}$/);
    const some = await runAudit(['show', storePath, '--from', '1', '--limit', '2', '--json']);
    expect(some.out.map((l) => JSON.parse(l).kind)).toEqual(['action', 'result']);
  });

  it('exits 2 with usage on bad arguments or unreadable files', async () => {
    expect((await runAudit([])).code).toBe(2);
    expect((await runAudit(['verify'])).code).toBe(2);
    expect((await runAudit(['verify', join(dir, 'missing.json')])).code).toBe(2);
    expect((await runAudit(['show', storePath, '--limit', '-1'])).code).toBe(2);
    expect((await runAudit(['show', storePath, '--bogus'])).err[0]).toMatch(/--bogus: unknown option/);
    await writeFile(join(dir, 'not-json.json'), '{');
    expect((await runAudit(['verify', join(dir, 'not-json.json')])).code).toBe(2);
    expect(await readFile(storePath, 'utf8')).toBe(original);
  });
});
