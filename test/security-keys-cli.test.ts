import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKeysCommand } from '../src/cli/keys.ts';
import { runCommand } from '../src/cli/run.ts';
import { runAudit } from './audit-cli.ts';
import { quietly } from './quietly.ts';

const keys = (...argv: string[]) => quietly(() => runKeysCommand(argv));

describe('x0tta6bl4 keys, and run --keys', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'x0-keys-'));
    process.env.X0_TEST_PASSPHRASE = 'correct horse battery staple';
    process.env.X0_WRONG_PASSPHRASE = 'wrong';
  });
  afterAll(async () => {
    delete process.env.X0_TEST_PASSPHRASE;
    delete process.env.X0_WRONG_PASSPHRASE;
    await rm(dir, { recursive: true, force: true });
  });

  it('generates an encrypted or a plain key file readable by its owner only, and never overwrites one', async () => {
    const encrypted = join(dir, 'encrypted.json');
    const made = await keys('generate', '--out', encrypted, '--passphrase-env', 'X0_TEST_PASSPHRASE');
    expect(made.code).toBe(0);
    expect(made.out).toMatch(/secrets encrypted\); signing key [0-9a-f]{32} valid until/);
    const file = JSON.parse(await readFile(encrypted, 'utf8'));
    expect(file.secret).toMatchObject({ kdf: 'scrypt', cipher: 'aes-256-gcm' });
    expect((await stat(encrypted)).mode & 0o777).toBe(0o600);
    const before = await readFile(encrypted, 'utf8');
    expect((await keys('generate', '--out', encrypted)).code).toBe(2);
    expect(await readFile(encrypted, 'utf8')).toBe(before);

    const plain = join(dir, 'plain.json');
    expect((await keys('generate', '--out', plain, '--valid-days', '30')).out).toMatch(/secrets unencrypted/);
    expect(JSON.parse(await readFile(plain, 'utf8')).secret.kdf).toBe('none');
    expect((await keys('generate', '--out', join(dir, 'x.json'), '--passphrase-env', 'X0_UNSET')).code).toBe(
      2,
    );
    expect((await keys('generate')).code).toBe(2);
    expect((await keys('bogus')).code).toBe(2);
  });

  it('signs a run with the operator key: verifies against the pinned export, fails against other keys', async () => {
    const keyFile = join(dir, 'operator.json');
    const pinned = join(dir, 'operator-public.json');
    const store = join(dir, 'store');
    expect((await keys('generate', '--out', keyFile, '--passphrase-env', 'X0_TEST_PASSPHRASE')).code).toBe(0);
    expect((await keys('export-public', keyFile, '--out', pinned)).code).toBe(0);
    expect(JSON.parse(await readFile(pinned, 'utf8'))).toMatchObject({ format: 'x0tta6bl4-keys/1' });
    expect(await readFile(pinned, 'utf8')).not.toMatch(/secret/);

    const args = ['--hours', '0.5', '--faults', '1', '--seed', '2', '--store', store, '--keys', keyFile];
    const report = join(dir, 'report.json');
    const wrong = await quietly(() =>
      runCommand([...args, '--passphrase-env', 'X0_WRONG_PASSPHRASE', '--out', report, '--quiet']),
    );
    expect(wrong.code).toBe(2);
    expect(wrong.out).toMatch(/wrong passphrase/);
    const locked = await quietly(() => runCommand([...args, '--out', report, '--quiet']));
    expect(locked.code).toBe(2);
    expect(locked.out).toMatch(/the key file is encrypted: a passphrase is needed/);

    const signed = await quietly(() =>
      runCommand([...args, '--passphrase-env', 'X0_TEST_PASSPHRASE', '--out', report, '--json']),
    );
    expect(signed.code).toBe(0);
    expect(signed.out).toMatch(`audit log signed by ${keyFile}`);
    const ok = await runAudit(['verify', store, '--keys', pinned]);
    expect(ok.code).toBe(0);
    expect(ok.out[0]).toMatch(`OK (signatures checked against the pinned keys in ${pinned})`);

    const other = join(dir, 'other.json');
    await keys('generate', '--out', other);
    await keys('export-public', other, '--out', join(dir, 'other-public.json'));
    const refused = await runAudit(['verify', store, '--keys', join(dir, 'other-public.json')]);
    expect(refused.code).toBe(1);
    expect(refused.out[0]).toMatch(/^FAILED: unknown-key at position 0/);
  });

  it('rotates a key file: new seals need the new export, the old ones still verify with it', async () => {
    const keyFile = join(dir, 'rotating.json');
    const store = join(dir, 'rotating-store');
    const oldPublic = join(dir, 'old-public.json');
    const newPublic = join(dir, 'new-public.json');
    await keys('generate', '--out', keyFile);
    await keys('export-public', keyFile, '--out', oldPublic);
    const args = ['--hours', '0.5', '--faults', '1', '--store', store, '--keys', keyFile, '--quiet'];
    expect((await quietly(() => runCommand([...args, '--out', join(dir, 'r1.json')]))).code).toBe(0);
    const first = JSON.parse(await readFile(keyFile, 'utf8')).public.keys.length;
    const rotated = await keys('rotate', keyFile);
    expect(rotated.code).toBe(0);
    expect(rotated.out).toMatch(/now signs with [0-9a-f]{32}; export the public keys again/);
    expect(JSON.parse(await readFile(keyFile, 'utf8')).public.keys.length).toBe(first + 2);
    expect((await quietly(() => runCommand([...args, '--out', join(dir, 'r2.json')]))).code).toBe(0);

    const stale = await runAudit(['verify', store, '--keys', oldPublic]);
    expect(stale.code).toBe(1);
    expect(stale.out[0]).toMatch(/^FAILED: unknown-key/);
    await keys('export-public', keyFile, '--out', newPublic);
    expect((await runAudit(['verify', store, '--keys', newPublic])).code).toBe(0);
    // An encrypted key file rotates only with its passphrase.
    const sealed = join(dir, 'sealed.json');
    await keys('generate', '--out', sealed, '--passphrase-env', 'X0_TEST_PASSPHRASE');
    expect((await keys('rotate', sealed)).out).toMatch(
      /is encrypted: name the variable holding its passphrase/,
    );
    expect((await keys('rotate', sealed, '--passphrase-env', 'X0_TEST_PASSPHRASE')).code).toBe(0);
    expect(JSON.parse(await readFile(sealed, 'utf8')).secret.kdf).toBe('scrypt');
  });

  it('refuses a key file whose secret does not match its public key, and an expired key', async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    await keys('generate', '--out', a);
    await keys('generate', '--out', b);
    const fileA = JSON.parse(await readFile(a, 'utf8'));
    const fileB = JSON.parse(await readFile(b, 'utf8'));
    const mixed = join(dir, 'mixed.json');
    // A's key ids over B's secret bytes: the secrets no longer sign for the public keys.
    const ids = Object.keys(fileA.secret.keys);
    const bytes = Object.values(fileB.secret.keys);
    const secret = { kdf: 'none', keys: Object.fromEntries(ids.map((id, i) => [id, bytes[i]])) };
    await writeFile(mixed, JSON.stringify({ ...fileA, secret }));
    const run = await quietly(() =>
      runCommand([
        '--hours',
        '0.5',
        '--faults',
        '1',
        '--keys',
        mixed,
        '--out',
        join(dir, 'r.json'),
        '--audit',
        join(dir, 'a.json.audit'),
      ]),
    );
    expect(run.code).toBe(2);
    expect(run.out).toMatch(/key file's secret for [0-9a-f]{32} does not match its public key/);

    const expired = join(dir, 'expired.json');
    await writeFile(
      expired,
      JSON.stringify({
        ...fileA,
        public: {
          ...fileA.public,
          keys: fileA.public.keys.map((k: { created: number }) => ({ ...k, expires: k.created })),
        },
      }),
    );
    const late = await quietly(() =>
      runCommand([
        '--hours',
        '0.5',
        '--faults',
        '1',
        '--keys',
        expired,
        '--out',
        join(dir, 'r.json'),
        '--audit',
        join(dir, 'e.audit.json'),
      ]),
    );
    expect(late.code).toBe(2);
    expect(late.out).toMatch(/expired at .*x0tta6bl4 keys rotate/);
  });
});
