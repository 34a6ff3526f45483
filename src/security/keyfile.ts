/**
 * Secret keys at rest: a JSON key file whose secret part is AES-256-GCM encrypted under a key
 * derived from a passphrase with scrypt. The public part is the GCM associated data, so
 * swapping a public key or changing the owner in the file also fails decryption. An operator
 * who protects the file otherwise (file mode, a secrets manager) may keep it unencrypted
 * (`kdf: 'none'`); importing such a file checks that its signing secret matches its public key.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { ArgumentError } from '../errors.ts';
import { fromBase64, secureRandom, toBase64, utf8 } from './bytes.ts';
import { canonicalJson } from './canonical.ts';
import { KeyFileError } from './errors.ts';
import { KeyRing, NodeKeys, type PublicKeysJson } from './keys.ts';
import { sign, verify, type SignatureAlgorithm } from './pq.ts';

/** scrypt cost parameters; N must be a power of two. */
export interface ScryptParams {
  /** CPU and memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/** OWASP's recommended minimum for scrypt (128 MiB, roughly a second in JavaScript). */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

/** scrypt memory cap (512 MiB): a key file cannot make an import allocate more than this. */
const MAX_SCRYPT_MEMORY = 2 ** 29;

/** The encrypted key file. */
export interface EncryptedKeysJson {
  /** Format tag. */
  format: 'x0tta6bl4-keyfile/1';
  /** The node the keys belong to. */
  owner: string;
  /** The algorithm of the node's signing keys. */
  signatureAlgorithm: SignatureAlgorithm;
  /** How long each generation of keys is valid, ms. */
  rotationMs: number;
  /** Every public key of the node, current and earlier. */
  public: PublicKeysJson;
  /**
   * The secret keys, encrypted with AES-256-GCM under a key scrypt derives from the passphrase;
   * salt, nonce and ciphertext in base64.
   */
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

/** The unencrypted key file: the same public part, the secrets as base64 by key id. */
export interface PlainKeysJson extends Omit<EncryptedKeysJson, 'secret'> {
  /** The secret keys, base64 by key id, unencrypted. */
  secret: { kdf: 'none'; keys: Record<string, string> };
}

/** Either form of key file. */
export type KeyFileJson = EncryptedKeysJson | PlainKeysJson;

/** Options of the key file imports. */
export interface KeyImportOptions {
  /** See NodeKeysOptions.autoRotate (default true). */
  autoRotate?: boolean;
}

/** Writes `keys` (all public keys, held secrets) as an unencrypted key file. */
export function exportPlainKeys(keys: NodeKeys): PlainKeysJson {
  return {
    format: 'x0tta6bl4-keyfile/1',
    owner: keys.owner,
    signatureAlgorithm: keys.signatureAlgorithm,
    rotationMs: keys.rotationMs,
    public: keys.ring().toJSON(),
    secret: {
      kdf: 'none',
      keys: Object.fromEntries([...keys.secrets()].map(([id, bytes]) => [id, toBase64(bytes)])),
    },
  };
}

/** True when a key file's secrets are passphrase-encrypted. */
export function isEncryptedKeyFile(file: KeyFileJson): file is EncryptedKeysJson {
  return file?.secret?.kdf === 'scrypt';
}

/**
 * Reads either form of key file: an encrypted one needs `passphrase` (ArgumentError without it,
 * KeyFileError when wrong); an unencrypted one is refused with a KeyFileError when its signing
 * secret does not sign for its public key.
 */
export async function importKeyFile(
  file: KeyFileJson,
  passphrase: string | undefined,
  options: KeyImportOptions = {},
): Promise<NodeKeys> {
  if (file?.format !== 'x0tta6bl4-keyfile/1' || !file.secret)
    throw new ArgumentError('file', "expected an 'x0tta6bl4-keyfile/1'");
  if (isEncryptedKeyFile(file)) {
    if (passphrase === undefined)
      throw new ArgumentError('passphrase', 'the key file is encrypted: a passphrase is needed');
    return importEncryptedKeys(file, passphrase, options);
  }
  if (file.secret.kdf !== 'none' || !file.secret.keys || typeof file.secret.keys !== 'object')
    throw new ArgumentError('file.secret', "expected kdf 'scrypt' or 'none'");
  const secrets = new Map(
    Object.entries(file.secret.keys).map(([id, b64]) => [id, fromBase64(b64, `file.secret.keys.${id}`)]),
  );
  const keys = NodeKeys.restore(
    { ...settingsOf(file), ...options },
    KeyRing.fromJSON(file.public).records(),
    secrets,
  );
  // A signature over a probe shows the signing secret belongs to the public key verifiers pin.
  const signing = keys.signingKey(keys.signingExpires - 1);
  const probe = utf8('probe');
  const signature = sign(signing.algorithm as SignatureAlgorithm, signing.secretKey, probe, PROBE_CONTEXT);
  if (!verify(signing.algorithm as SignatureAlgorithm, signing.publicKey, signature, probe, PROBE_CONTEXT))
    throw new KeyFileError(`key file's secret for ${signing.id} does not match its public key`);
  return keys;
}

const PROBE_CONTEXT = utf8('x0tta6bl4/keyfile-probe/v1');

function settingsOf(file: KeyFileJson) {
  return { owner: file.owner, signatureAlgorithm: file.signatureAlgorithm, rotationMs: file.rotationMs };
}

/** Decrypts a key file; throws KeyFileError for a wrong passphrase or any altered byte. */
export async function importEncryptedKeys(
  file: EncryptedKeysJson,
  passphrase: string,
  options: KeyImportOptions = {},
): Promise<NodeKeys> {
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
    { ...settingsOf(file), ...options },
    KeyRing.fromJSON(file.public).records(),
    new Map(Object.entries(secrets).map(([id, b64]) => [id, fromBase64(b64, `secret ${id}`)])),
  );
}
