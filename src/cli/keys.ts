/**
 * `x0tta6bl4 keys`: the operator's signing keys, so an audit log can be verified against keys
 * the operator pinned rather than the ones the log carries.
 *
 *   keys generate --out <keyfile> [--passphrase-env VAR] [--owner engine] [--valid-days 365] [--hybrid]
 *   keys export-public <keyfile> [--out public-keys.json]
 *   keys rotate <keyfile> [--passphrase-env VAR]
 *
 * With --passphrase-env the secrets are encrypted (scrypt + AES-256-GCM) under the passphrase in
 * that environment variable; without it they are written in the clear, readable by the owner
 * only. `run --keys <keyfile>` signs with the file's current key, which never rotates by itself:
 * `keys rotate` starts a new one, keeping every earlier public key so older logs still verify.
 * Exit codes: 0 done, 2 usage or unusable input.
 */
import { readFile, writeFile } from 'node:fs/promises';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { ArgumentError, X0ttaError } from '../errors.ts';
import {
  exportEncryptedKeys,
  exportPlainKeys,
  importKeyFile,
  isEncryptedKeyFile,
  type KeyFileJson,
} from '../security/keyfile.ts';
import { KeyRing, NodeKeys } from '../security/keys.ts';
import { intOption } from './args.ts';
import { writeFileAtomic } from './atomic-write.ts';

const USAGE = `usage: x0tta6bl4 keys generate --out <keyfile> [--passphrase-env VAR] [--owner engine] [--valid-days 365] [--hybrid]
       x0tta6bl4 keys export-public <keyfile> [--out public-keys.json]
       x0tta6bl4 keys rotate <keyfile> [--passphrase-env VAR]
Pin the exported public keys where you verify: x0tta6bl4 audit verify <store> --keys public-keys.json`;

const DAY_MS = 24 * 60 * 60 * 1000;
/** Key files hold secrets: readable and writable by their owner only. */
const SECRET_MODE = 0o600;

/** Runs `x0tta6bl4 keys ...`; resolves to the exit code. */
export async function runKeysCommand(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        'passphrase-env': { type: 'string' },
        owner: { type: 'string', default: 'engine' },
        'valid-days': { type: 'string' },
        hybrid: { type: 'boolean', default: false },
      },
    });
    const passphrase = passphraseFrom(values['passphrase-env']);
    if (command === 'generate') {
      if (positionals.length > 0 || !values.out)
        throw new ArgumentError('--out', 'generate writes one key file: --out <keyfile>');
      const keys = NodeKeys.generate({
        owner: values.owner!,
        signatureAlgorithm: values.hybrid ? 'ml-dsa-65+ed25519' : 'ml-dsa-65',
        rotationMs: intOption('valid-days', values['valid-days'], 365) * DAY_MS,
        autoRotate: false,
      });
      const file =
        passphrase === undefined ? exportPlainKeys(keys) : await exportEncryptedKeys(keys, passphrase);
      // 'wx': a key file is never overwritten (its secret may be the only copy).
      await writeFile(values.out, `${JSON.stringify(file, null, 2)}\n`, {
        flag: 'wx',
        mode: SECRET_MODE,
      }).catch((error) => {
        throw new ArgumentError('--out', `cannot create ${values.out}: ${(error as Error).message}`);
      });
      const signing = keys.signingKey(Date.now());
      console.error(
        `keys: wrote ${values.out} (${passphrase === undefined ? 'secrets unencrypted: keep the file private' : 'secrets encrypted'}); signing key ${signing.id} valid until ${new Date(signing.expires).toISOString()}`,
      );
      return 0;
    }
    if (command === 'export-public' || command === 'rotate') {
      if (positionals.length !== 1) throw new ArgumentError('<keyfile>', `${command} takes one key file`);
      const path = positionals[0];
      const file = await readKeyFile(path);
      if (command === 'export-public') {
        const text = `${JSON.stringify(KeyRing.fromJSON(file.public).toJSON(), null, 2)}\n`;
        if (values.out) await writeFileAtomic(values.out, text);
        else process.stdout.write(text);
        return 0;
      }
      if (isEncryptedKeyFile(file) && passphrase === undefined)
        throw new ArgumentError(
          '--passphrase-env',
          `${path} is encrypted: name the variable holding its passphrase`,
        );
      const keys = await importKeyFile(file, passphrase, { autoRotate: false });
      keys.rotate(Date.now());
      const rotated = isEncryptedKeyFile(file)
        ? await exportEncryptedKeys(keys, passphrase!)
        : exportPlainKeys(keys);
      await writeFileAtomic(path, `${JSON.stringify(rotated, null, 2)}\n`, SECRET_MODE);
      const signing = keys.signingKey(Date.now());
      console.error(
        `keys: ${path} now signs with ${signing.id}; export the public keys again and pin them where logs are verified`,
      );
      return 0;
    }
    throw new ArgumentError('command', `unknown keys command ${command ?? '(none)'}`);
  } catch (error) {
    if (
      !(error instanceof X0ttaError) &&
      (error as NodeJS.ErrnoException).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
    )
      throw error;
    console.error(`keys: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
}

function passphraseFrom(variable: string | undefined): string | undefined {
  if (variable === undefined) return undefined;
  const value = process.env[variable];
  if (!value)
    throw new ArgumentError('--passphrase-env', `environment variable ${variable} is empty or not set`);
  return value;
}

async function readKeyFile(path: string): Promise<KeyFileJson> {
  let file: KeyFileJson;
  try {
    file = JSON.parse(await readFile(path, 'utf8')) as KeyFileJson;
  } catch (error) {
    throw new ArgumentError('<keyfile>', `cannot read ${path}: ${(error as Error).message}`);
  }
  if (file?.format !== 'x0tta6bl4-keyfile/1')
    throw new ArgumentError(
      '<keyfile>',
      `${path} is not an x0tta6bl4 key file (x0tta6bl4 keys generate makes one)`,
    );
  return file;
}
