/**
 * Secret keys at rest: a JSON key file whose secret part is AES-256-GCM encrypted under a key
 * derived from a passphrase with scrypt. The public part is the GCM associated data, so
 * swapping a public key or changing the owner in the file also fails decryption.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { ArgumentError } from '../errors.ts';
import { fromBase64, secureRandom, toBase64, utf8 } from './bytes.ts';
import { canonicalJson } from './canonical.ts';
import { KeyFileError } from './errors.ts';
import { KeyRing, NodeKeys, type PublicKeysJson } from './keys.ts';
import type { SignatureAlgorithm } from './pq.ts';

/** scrypt cost parameters; N must be a power of two. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** OWASP's recommended minimum for scrypt (128 MiB, roughly a second in JavaScript). */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

/** scrypt memory cap (512 MiB): a key file cannot make an import allocate more than this. */
const MAX_SCRYPT_MEMORY = 2 ** 29;

/** The encrypted key file. */
export interface EncryptedKeysJson {
  format: 'x0tta6bl4-keyfile/1';
  owner: string;
  signatureAlgorithm: SignatureAlgorithm;
  rotationMs: number;
  public: PublicKeysJson;
  secret: {
    kdf: 'scrypt';
    N: number;
    r: number;
    p: number;
    salt: string;
    cipher: 'aes-256-gcm';
    nonce: string;
    ciphertext: string;
  };
}

function checkPassphrase(passphrase: unknown): string {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new ArgumentError('passphrase', 'expected a non-empty string');
  }
  return passphrase;
}

function header(
  file: Pick<EncryptedKeysJson, 'owner' | 'signatureAlgorithm' | 'rotationMs' | 'public'>,
): Uint8Array {
  const { owner, signatureAlgorithm, rotationMs } = file;
  return utf8(
    canonicalJson({
      format: 'x0tta6bl4-keyfile/1',
      owner,
      signatureAlgorithm,
      rotationMs,
      public: file.public,
    }),
  );
}

/** Encrypts `keys` (all public keys, held secrets) into a key file under `passphrase`. */
export async function exportEncryptedKeys(
  keys: NodeKeys,
  passphrase: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<EncryptedKeysJson> {
  checkPassphrase(passphrase);
  const salt = secureRandom(16);
  const nonce = secureRandom(12);
  const { N, r, p } = params;
  const key = await scryptAsync(utf8(passphrase), salt, { N, r, p, dkLen: 32, maxmem: MAX_SCRYPT_MEMORY });
  const publicPart = {
    owner: keys.owner,
    signatureAlgorithm: keys.signatureAlgorithm,
    rotationMs: keys.rotationMs,
    public: keys.ring().toJSON(),
  };
  const secrets = Object.fromEntries([...keys.secrets()].map(([id, bytes]) => [id, toBase64(bytes)]));
  const ciphertext = gcm(key, nonce, header(publicPart)).encrypt(utf8(JSON.stringify(secrets)));
  return {
    format: 'x0tta6bl4-keyfile/1',
    ...publicPart,
    secret: {
      kdf: 'scrypt',
      N,
      r,
      p,
      salt: toBase64(salt),
      cipher: 'aes-256-gcm',
      nonce: toBase64(nonce),
      ciphertext: toBase64(ciphertext),
    },
  };
}

/** Decrypts a key file; throws KeyFileError for a wrong passphrase or any altered byte. */
export async function importEncryptedKeys(file: EncryptedKeysJson, passphrase: string): Promise<NodeKeys> {
  checkPassphrase(passphrase);
  if (
    file?.format !== 'x0tta6bl4-keyfile/1' ||
    !file.secret ||
    file.secret.kdf !== 'scrypt' ||
    file.secret.cipher !== 'aes-256-gcm'
  ) {
    throw new ArgumentError('file', "expected an 'x0tta6bl4-keyfile/1' with scrypt and aes-256-gcm");
  }
  const { N, r, p } = file.secret;
  const salt = fromBase64(file.secret.salt, 'file.secret.salt');
  const nonce = fromBase64(file.secret.nonce, 'file.secret.nonce');
  const ciphertext = fromBase64(file.secret.ciphertext, 'file.secret.ciphertext');
  let key: Uint8Array;
  try {
    key = await scryptAsync(utf8(passphrase), salt, { N, r, p, dkLen: 32, maxmem: MAX_SCRYPT_MEMORY });
  } catch (cause) {
    throw new ArgumentError('file.secret', `bad scrypt parameters (${(cause as Error).message})`);
  }
  let plaintext: Uint8Array;
  try {
    plaintext = gcm(key, nonce, header(file)).decrypt(ciphertext);
  } catch {
    throw new KeyFileError('key file does not decrypt: wrong passphrase or altered file');
  }
  const secrets = JSON.parse(new TextDecoder().decode(plaintext)) as Record<string, string>;
  return NodeKeys.restore(
    file,
    KeyRing.fromJSON(file.public).records(),
    new Map(Object.entries(secrets).map(([id, b64]) => [id, fromBase64(b64, `secret ${id}`)])),
  );
}
