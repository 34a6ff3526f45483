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

  it('verifies an intact log against the engine keys', async () => {
    const { code, out } = await runAudit(['verify', storePath, '--keys', keysPath]);
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^OK: 5 entries in 2 signed batches/);
  });

  it('warns when it can only trust the keys inside the store', async () => {
    const { code, err } = await runAudit(['verify', storePath]);
    expect(code).toBe(0);
    expect(err[0]).toMatch(/trusting the public keys stored in the log/);
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
  });

  it('detects whole batches cut off against a checkpoint', async () => {
    const file = JSON.parse(original) as AuditFile;
    file.entries = file.entries.slice(0, 4);
    file.seals = file.seals.slice(0, 1);
    const path = join(dir, 'cut.json');
    await writeFile(path, JSON.stringify(file));
    expect((await runAudit(['verify', path, '--keys', keysPath])).code).toBe(0);
    const { code, out } = await runAudit(['verify', path, '--keys', keysPath, '--expect-entries', '5']);
    expect(code).toBe(1);
    expect(out[0]).toMatch(/truncated/);
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
    expect((await runAudit(['show', storePath, '--bogus'])).err[0]).toMatch(/unknown option --bogus/);
    await writeFile(join(dir, 'not-json.json'), '{');
    expect((await runAudit(['verify', join(dir, 'not-json.json')])).code).toBe(2);
    expect(await readFile(storePath, 'utf8')).toBe(original);
  });
});
