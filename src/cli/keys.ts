/**
 * `x0tta6bl4 keys`: the operator's signing keys, so an audit log can be verified against keys
 * the operator pinned rather than the ones the log carries.
 *
 *   keys generate --out <keyfile> [--passphrase-env VAR] [--owner engine] [--valid-days 365] [--hybrid] [--json]
 *   keys export-public <keyfile|-> [--out public-keys.json]
 *   keys rotate <keyfile> [--passphrase-env VAR] [--json]
 *
 * With --passphrase-env the secrets are encrypted (scrypt + AES-256-GCM) under the passphrase in
 * that environment variable; without it they are written in the clear, readable by the owner
 * only. `run --keys <keyfile>` signs with the file's current key, which never rotates by itself:
 * `keys rotate` starts a new one, keeping every earlier public key so older logs still verify.
 * Exit codes: 0 done, 2 usage or unusable input.
 */
import { writeFile } from 'node:fs/promises';
import process from 'node:process';
import { X0ttaError } from '../errors.ts';
import {
  exportEncryptedKeys,
  exportPlainKeys,
  importKeyFile,
  isEncryptedKeyFile,
  type KeyFileJson,
} from '../security/keyfile.ts';
import { KeyRing, NodeKeys } from '../security/keys.ts';
import {
  type CommandGroup,
  type CommandIo,
  UsageError,
  consoleIo,
  defineCommand,
  runCommandSpec,
  runGroup,
} from './args.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { inputName, readJsonInput } from './input.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Key files hold secrets: readable and writable by their owner only. */
const SECRET_MODE = 0o600;
const EXIT_CODES = '0 done, 2 usage error or unusable key file';
const PASSPHRASE_ENV = {
  type: 'string',
  value: 'VAR',
  help: 'the environment variable holding the passphrase (the secrets are encrypted under it)',
} as const;
const JSON_OUTPUT = { type: 'boolean', help: 'print what was done as JSON on stdout' } as const;

const GENERATE = defineCommand({
  name: 'keys generate',
  summary: 'make a key file: a signing key (ML-DSA-65, or hybrid with Ed25519) and its public keys',
  usage: [
    '--out <keyfile> [--passphrase-env VAR] [--owner engine] [--valid-days 365]',
    '    [--hybrid] [--json]',
  ],
  details:
    'Never overwrites a file. Without --passphrase-env the secrets are written in the clear, readable\n' +
    'by the owner only. Sign runs with it: x0tta6bl4 run --keys <keyfile>.',
  options: {
    out: { type: 'string', value: 'FILE', help: 'the key file to create' },
    'passphrase-env': PASSPHRASE_ENV,
    owner: { type: 'string', value: 'NAME', default: 'engine', help: 'who signs, recorded in the keys' },
    'valid-days': {
      type: 'integer',
      value: 'N',
      min: 1,
      max: 3650,
      default: 365,
      help: 'how long the signing key is valid',
    },
    hybrid: { type: 'boolean', help: 'sign with ML-DSA-65 and Ed25519 together' },
    json: JSON_OUTPUT,
  },
  exitCodes: EXIT_CODES,
});

const EXPORT_PUBLIC = defineCommand({
  name: 'keys export-public',
  summary: 'print (or write) the public keys of a key file, to pin where logs are verified',
  usage: ['<keyfile> [--out public-keys.json]'],
  details:
    'Pin the exported keys where you verify: x0tta6bl4 audit verify <store> --keys public-keys.json.\n' +
    '<keyfile> - reads the key file from standard input.',
  options: {
    out: { type: 'output', help: 'write the public keys there instead of to stdout' },
  },
  positionals: { name: '<keyfile>', min: 1, max: 1 },
  exitCodes: EXIT_CODES,
});

const ROTATE = defineCommand({
  name: 'keys rotate',
  summary: 'start a new signing key in a key file, keeping the earlier public keys',
  usage: ['<keyfile> [--passphrase-env VAR] [--json]'],
  details: 'Older logs still verify with the new export; newer seals need it. Export and pin again.',
  options: { 'passphrase-env': PASSPHRASE_ENV, json: JSON_OUTPUT },
  positionals: { name: '<keyfile>', min: 1, max: 1 },
  exitCodes: EXIT_CODES,
});

/**
 * Runs one subcommand's body, reporting a key file that cannot be used (wrong passphrase,
 * mismatched keys) as one line and exit 2.
 */
async function keyFileErrors(io: CommandIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError || !(error instanceof X0ttaError)) throw error;
    io.err(`keys: ${error.message}`);
    return 2;
  }
}

function generate(argv: string[], io: CommandIo): Promise<number> {
  return runCommandSpec(GENERATE, argv, io, ({ values }) =>
    keyFileErrors(io, async () => {
      if (values.out === undefined)
        throw new UsageError('--out', 'generate writes one key file: --out <keyfile>');
      const passphrase = passphraseFrom(values['passphrase-env']);
      const keys = NodeKeys.generate({
        owner: values.owner,
        signatureAlgorithm: values.hybrid ? 'ml-dsa-65+ed25519' : 'ml-dsa-65',
        rotationMs: values['valid-days'] * DAY_MS,
        autoRotate: false,
      });
      const file =
        passphrase === undefined ? exportPlainKeys(keys) : await exportEncryptedKeys(keys, passphrase);
      // 'wx': a key file is never overwritten (its secret may be the only copy).
      await writeFile(values.out, `${JSON.stringify(file, null, 2)}\n`, {
        flag: 'wx',
        mode: SECRET_MODE,
      }).catch((error) => {
        throw new UsageError('--out', `cannot create ${values.out}: ${(error as Error).message}`);
      });
      const encrypted = passphrase !== undefined;
      report(
        io,
        values.json,
        keys,
        { file: values.out, encrypted },
        (key, until) =>
          `keys: wrote ${values.out} (${encrypted ? 'secrets encrypted' : 'secrets unencrypted: keep the file private'}); signing key ${key} valid until ${until}`,
      );
      return 0;
    }),
  );
}

function exportPublic(argv: string[], io: CommandIo): Promise<number> {
  return runCommandSpec(EXPORT_PUBLIC, argv, io, async ({ values, positionals }) => {
    const file = await readKeyFile(positionals[0]);
    const text = JSON.stringify(KeyRing.fromJSON(file.public).toJSON(), null, 2);
    if (values.out) await writeFileAtomic(values.out, `${text}\n`);
    else io.out(text);
    return 0;
  });
}

function rotate(argv: string[], io: CommandIo): Promise<number> {
  return runCommandSpec(ROTATE, argv, io, ({ values, positionals }) =>
    keyFileErrors(io, async () => {
      const path = positionals[0];
      if (path === '-')
        throw new UsageError('<keyfile>', 'rotate rewrites the key file in place: name the file');
      const passphrase = passphraseFrom(values['passphrase-env']);
      const file = await readKeyFile(path);
      if (isEncryptedKeyFile(file) && passphrase === undefined)
        throw new UsageError(
          '--passphrase-env',
          `${path} is encrypted: name the variable holding its passphrase`,
        );
      const keys = await importKeyFile(file, passphrase, { autoRotate: false });
      keys.rotate(Date.now());
      const rotated = isEncryptedKeyFile(file)
        ? await exportEncryptedKeys(keys, passphrase!)
        : exportPlainKeys(keys);
      await writeFileAtomic(path, `${JSON.stringify(rotated, null, 2)}\n`, SECRET_MODE);
      report(
        io,
        values.json,
        keys,
        { file: path },
        (key) =>
          `keys: ${path} now signs with ${key}; export the public keys again and pin them where logs are verified`,
      );
      return 0;
    }),
  );
}

/** Says what was done: a line on stderr, or with --json an object on stdout. */
function report(
  io: CommandIo,
  json: boolean,
  keys: NodeKeys,
  facts: Record<string, unknown>,
  line: (key: string, until: string) => string,
): void {
  const signing = keys.signingKey(Date.now());
  const until = new Date(signing.expires).toISOString();
  if (json) io.out(JSON.stringify({ ...facts, signingKey: signing.id, validUntil: until }, null, 2));
  else io.err(line(signing.id, until));
}

/** The `keys` command and its subcommands. */
export const KEYS_COMMANDS: CommandGroup = {
  name: 'keys',
  summary: 'The operator signing keys: audit logs are verified against keys the operator pinned.',
  commands: {
    generate: { spec: GENERATE, run: generate },
    'export-public': { spec: EXPORT_PUBLIC, run: exportPublic },
    rotate: { spec: ROTATE, run: rotate },
  },
};

/** Runs `x0tta6bl4 keys ...`; resolves to the exit code. */
export function runKeysCommand(argv: string[], io: CommandIo = consoleIo): Promise<number> {
  return runGroup(KEYS_COMMANDS, argv, io);
}

function passphraseFrom(variable: string | undefined): string | undefined {
  if (variable === undefined) return undefined;
  const value = process.env[variable];
  if (!value)
    throw new UsageError('--passphrase-env', `environment variable ${variable} is empty or not set`);
  return value;
}

async function readKeyFile(path: string): Promise<KeyFileJson> {
  const file = await readJsonInput<KeyFileJson>('<keyfile>', path, 'key file');
  if (file?.format !== 'x0tta6bl4-keyfile/1')
    throw new UsageError(
      '<keyfile>',
      `${inputName(path)} is not an x0tta6bl4 key file (x0tta6bl4 keys generate makes one)`,
    );
  return file;
}
