/**
 * The operator's signing keys as the commands that sign read them: a key file (or `-`), its
 * passphrase from a named environment variable, never rotated by itself, refused once expired.
 */
import process from 'node:process';
import { ArgumentError } from '../errors.ts';
import { importKeyFile, type KeyFileJson } from '../security/keyfile.ts';
import type { NodeKeys } from '../security/keys.ts';
import { readJsonInput } from './input.ts';

/** Reads the key file named by `--keys`; throws ArgumentError naming the option that is wrong. */
export async function loadOperatorKeys(
  keyFile: string,
  passphraseEnv: string | undefined,
): Promise<NodeKeys> {
  const passphrase = passphraseEnv === undefined ? undefined : process.env[passphraseEnv];
  if (passphraseEnv !== undefined && !passphrase)
    throw new ArgumentError('--passphrase-env', `environment variable ${passphraseEnv} is not set`);
  const file = await readJsonInput<KeyFileJson>('--keys', keyFile, 'key file');
  const keys = await importKeyFile(file, passphrase, { autoRotate: false });
  if (Date.now() >= keys.signingExpires)
    throw new ArgumentError(
      '--keys',
      `the signing key in ${keyFile} expired at ${new Date(keys.signingExpires).toISOString()}: x0tta6bl4 keys rotate ${keyFile}, then export and pin the public keys again`,
    );
  return keys;
}
