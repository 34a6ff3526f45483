/**
 * Node identity: signing keys (ML-DSA-65, optionally hybrid with Ed25519) and key-agreement
 * keys (ML-KEM-768 + X25519) with ids, validity windows and scheduled rotation. Rotation keeps
 * every earlier public key (so old signatures stay verifiable) but drops old signing secrets
 * (so nothing can be signed with a retired key); the previous KEM secret is kept so messages
 * sealed during a rotation still open.
 */
import { ArgumentError } from '../errors.ts';
import {
  checkNumber,
  concatBytes,
  fromBase64,
  secureRandom,
  toBase64,
  toHex,
  utf8,
  type RandomSource,
} from './bytes.ts';
import { ExpiredKeyError, UnknownKeyError } from './errors.ts';
import {
  HYBRID_SIZES,
  SIZES,
  hybridKemKeygen,
  sha256,
  signingKeygen,
  type KeyAlgorithm,
  type SignatureAlgorithm,
} from './pq.ts';

/** A public key with its identity and validity window (ms since the Unix epoch, inclusive). */
export interface PublicKeyRecord {
  /** Hex of the first 16 bytes of SHA-256(algorithm || 0x00 || publicKey). */
  id: string;
  /** The node that owns the key. */
  owner: string;
  /** What the key is for and how it is used. */
  algorithm: KeyAlgorithm;
  /** The public key's bytes. */
  publicKey: Uint8Array;
  /** First valid time, ms since the epoch. */
  created: number;
  /** Last valid time, ms since the epoch. */
  expires: number;
}

/** A key record that also holds the secret half. */
export interface KeyPairRecord extends PublicKeyRecord {
  /** The secret key's bytes. */
  secretKey: Uint8Array;
}

/** JSON form of a set of public keys (bytes as base64). */
export interface PublicKeysJson {
  /** Format tag. */
  format: 'x0tta6bl4-keys/1';
  /** The keys, as `PublicKeyRecord`s with the key in base64. */
  keys: {
    id: string;
    owner: string;
    algorithm: KeyAlgorithm;
    publicKey: string;
    created: number;
    expires: number;
  }[];
}

/** Default rotation period: 24 hours. */
export const DEFAULT_ROTATION_MS = 24 * 60 * 60 * 1000;

const PUBLIC_KEY_LENGTH: Record<KeyAlgorithm, number> = {
  'ml-dsa-65': SIZES.dsaPublicKey,
  'ml-dsa-65+ed25519': SIZES.dsaPublicKey + SIZES.ed25519PublicKey,
  'ml-kem-768+x25519': HYBRID_SIZES.publicKey,
};

/** Key id: a hash of the algorithm name and the public key, so ids cannot be claimed for other keys. */
export function keyId(algorithm: KeyAlgorithm, publicKey: Uint8Array): string {
  return toHex(sha256(concatBytes(utf8(algorithm), Uint8Array.of(0), publicKey)).subarray(0, 16));
}

/** True when `record` may be used at time `at`. */
export function isValidAt(record: PublicKeyRecord, at: number): boolean {
  return at >= record.created && at <= record.expires;
}

function checkRecord(record: PublicKeyRecord, argument: string): PublicKeyRecord {
  if (!record || typeof record !== 'object') throw new ArgumentError(argument, 'expected a key record');
  const expectedLength = PUBLIC_KEY_LENGTH[record.algorithm];
  if (expectedLength === undefined)
    throw new ArgumentError(`${argument}.algorithm`, `unsupported ${String(record.algorithm)}`);
  if (!(record.publicKey instanceof Uint8Array) || record.publicKey.length !== expectedLength) {
    throw new ArgumentError(
      `${argument}.publicKey`,
      `expected ${expectedLength} bytes for ${record.algorithm}`,
    );
  }
  if (typeof record.owner !== 'string' || record.owner === '')
    throw new ArgumentError(`${argument}.owner`, 'expected a non-empty string');
  checkNumber(record.created, `${argument}.created`, 0, true);
  checkNumber(record.expires, `${argument}.expires`, record.created, true);
  if (record.id !== keyId(record.algorithm, record.publicKey)) {
    throw new ArgumentError(`${argument}.id`, 'does not match the hash of the public key');
  }
  return record;
}

/** A set of trusted public keys, looked up by id: what a verifier or receiver trusts. */
export class KeyRing {
  readonly #keys = new Map<string, PublicKeyRecord>();

  /** Creates a ring holding `records` (each is checked). */
  constructor(records: Iterable<PublicKeyRecord> = []) {
    for (const record of records) this.add(record);
  }

  /** Adds a public key after checking its id, length and validity window. */
  add(record: PublicKeyRecord): void {
    checkRecord(record, 'record');
    const { id, owner, algorithm, publicKey, created, expires } = record;
    this.#keys.set(id, { id, owner, algorithm, publicKey, created, expires });
  }

  /** Adds every key of `other`. */
  addAll(other: KeyRing): void {
    for (const record of other.records()) this.add(record);
  }

  /** The record with `id`, if trusted. */
  get(id: string): PublicKeyRecord | undefined {
    return this.#keys.get(id);
  }

  /**
   * The record with `id` if it is trusted, of one of `algorithms`, and valid at `at`; otherwise
   * throws UnknownKeyError (not trusted, or the wrong kind of key) or ExpiredKeyError.
   */
  require(id: string, at: number, algorithms: readonly KeyAlgorithm[]): PublicKeyRecord {
    const record = this.#keys.get(id);
    if (!record || !algorithms.includes(record.algorithm)) throw new UnknownKeyError(id);
    if (!isValidAt(record, at)) {
      throw new ExpiredKeyError(
        id,
        `key ${id} is valid ${new Date(record.created).toISOString()} to ${new Date(record.expires).toISOString()}, used at ${new Date(at).toISOString()}`,
      );
    }
    return record;
  }

  /** All trusted records, oldest first. */
  records(): PublicKeyRecord[] {
    return [...this.#keys.values()].sort((a, b) => a.created - b.created);
  }

  /** JSON form (bytes as base64). */
  toJSON(): PublicKeysJson {
    return {
      format: 'x0tta6bl4-keys/1',
      keys: this.records().map((r) => ({ ...r, publicKey: toBase64(r.publicKey) })),
    };
  }

  /** Parses {@link KeyRing.toJSON} output; every record is re-checked against its id. */
  static fromJSON(json: PublicKeysJson): KeyRing {
    if (json?.format !== 'x0tta6bl4-keys/1' || !Array.isArray(json.keys)) {
      throw new ArgumentError('json', "expected { format: 'x0tta6bl4-keys/1', keys: [...] }");
    }
    return new KeyRing(
      json.keys.map((k, i) => ({ ...k, publicKey: fromBase64(k.publicKey, `json.keys[${i}].publicKey`) })),
    );
  }
}

/** Options of {@link NodeKeys.generate}. */
export interface NodeKeysOptions {
  /** Node name recorded in every key. */
  owner: string;
  /** 'ml-dsa-65' (default) or 'ml-dsa-65+ed25519' (hybrid: both signatures must verify). */
  signatureAlgorithm?: SignatureAlgorithm;
  /** Key lifetime and rotation period in ms (default 24 h). */
  rotationMs?: number;
  /** Creation time in ms since the epoch (default Date.now()). */
  now?: number;
  /** Randomness source (default: the runtime's CSPRNG). */
  random?: RandomSource;
  /**
   * Rotate by schedule when the signing key expires (default true). Keys whose public half is
   * pinned elsewhere (an operator's key file) turn it off: a key nobody pinned would make every
   * later seal fail verification, so an expired key is an ExpiredKeyError instead.
   */
  autoRotate?: boolean;
}

/** How many generations of KEM secret keys stay usable for decryption after rotation. */
const KEM_GENERATIONS_KEPT = 2;

interface Settings {
  owner: string;
  signatureAlgorithm: SignatureAlgorithm;
  rotationMs: number;
  /** See {@link NodeKeysOptions.autoRotate} (default true). */
  autoRotate?: boolean;
}

/** One generation of keys: a signing pair and a KEM pair, both valid from `now` for `rotationMs`. */
function generation(
  settings: Settings,
  now: number,
  random: RandomSource,
): { signing: KeyPairRecord; kem: KeyPairRecord } {
  const make = (
    algorithm: KeyAlgorithm,
    pair: { publicKey: Uint8Array; secretKey: Uint8Array },
  ): KeyPairRecord => ({
    id: keyId(algorithm, pair.publicKey),
    owner: settings.owner,
    algorithm,
    created: now,
    expires: now + settings.rotationMs,
    ...pair,
  });
  return {
    signing: make(settings.signatureAlgorithm, signingKeygen(settings.signatureAlgorithm, random)),
    kem: make('ml-kem-768+x25519', hybridKemKeygen(random)),
  };
}

/** A node's own keys: current signing and KEM key pairs plus every earlier public key. */
export class NodeKeys {
  /** The node these keys belong to. */
  readonly owner: string;
  /** The algorithm of its signing keys. */
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** How long each generation of keys is valid, ms. */
  readonly rotationMs: number;
  /** Whether an expired signing key is replaced by schedule (else it is an ExpiredKeyError). */
  readonly autoRotate: boolean;
  readonly #random: RandomSource;
  readonly #ring: KeyRing;
  #signing: KeyPairRecord;
  #kem: KeyPairRecord[];

  private constructor(
    settings: Settings,
    random: RandomSource,
    signing: KeyPairRecord,
    kem: KeyPairRecord[],
    ring: KeyRing,
  ) {
    this.owner = settings.owner;
    this.signatureAlgorithm = settings.signatureAlgorithm;
    this.rotationMs = settings.rotationMs;
    this.autoRotate = settings.autoRotate ?? true;
    this.#random = random;
    this.#signing = signing;
    this.#kem = kem;
    this.#ring = ring;
  }

  /** Generates a fresh identity: one signing and one KEM key pair valid from `now`. */
  static generate(options: NodeKeysOptions): NodeKeys {
    if (!options || typeof options.owner !== 'string' || options.owner === '') {
      throw new ArgumentError('options.owner', 'expected a non-empty node name');
    }
    const signatureAlgorithm = options.signatureAlgorithm ?? 'ml-dsa-65';
    if (signatureAlgorithm !== 'ml-dsa-65' && signatureAlgorithm !== 'ml-dsa-65+ed25519') {
      throw new ArgumentError('options.signatureAlgorithm', `unsupported ${String(signatureAlgorithm)}`);
    }
    const rotationMs = checkNumber(options.rotationMs ?? DEFAULT_ROTATION_MS, 'options.rotationMs', 1, true);
    const now = checkNumber(options.now ?? Date.now(), 'options.now', 0, true);
    const random = options.random ?? secureRandom;
    const settings = { owner: options.owner, signatureAlgorithm, rotationMs, autoRotate: options.autoRotate };
    const { signing, kem } = generation(settings, now, random);
    return new NodeKeys(settings, random, signing, [kem], new KeyRing([signing, kem]));
  }

  /** Rebuilds keys from stored public records and the secrets still held (the key-file import). */
  static restore(
    settings: Settings,
    publicKeys: PublicKeyRecord[],
    secrets: Map<string, Uint8Array>,
    random: RandomSource = secureRandom,
  ): NodeKeys {
    const ring = new KeyRing(publicKeys);
    const withSecret = (r: PublicKeyRecord): KeyPairRecord[] => {
      const secretKey = secrets.get(r.id);
      return secretKey ? [{ ...r, secretKey }] : [];
    };
    const newestFirst = ring.records().reverse();
    const signing = newestFirst
      .filter((r) => r.algorithm === settings.signatureAlgorithm)
      .flatMap(withSecret);
    const kem = newestFirst.filter((r) => r.algorithm === 'ml-kem-768+x25519').flatMap(withSecret);
    if (signing.length !== 1 || kem.length === 0) {
      throw new ArgumentError('secrets', 'expected exactly one signing secret and at least one KEM secret');
    }
    return new NodeKeys(settings, random, signing[0], kem, ring);
  }

  /** Starts a new key generation at `now`; earlier public keys stay in {@link NodeKeys.ring}. */
  rotate(now: number): void {
    checkNumber(now, 'now', 0, true);
    const { signing, kem } = generation(this, now, this.#random);
    this.#signing = signing;
    this.#kem = [kem, ...this.#kem].slice(0, KEM_GENERATIONS_KEPT);
    this.#ring.add(signing);
    this.#ring.add(kem);
  }

  /**
   * Rotates when the current keys have reached their expiry; returns whether it did. Without
   * auto-rotation an expired key throws ExpiredKeyError instead.
   */
  rotateIfDue(now: number): boolean {
    if (now < this.#signing.expires) return false;
    if (!this.autoRotate)
      throw new ExpiredKeyError(
        this.#signing.id,
        `signing key ${this.#signing.id} expired at ${new Date(this.#signing.expires).toISOString()}: rotate it and publish the new public key`,
      );
    this.rotate(now);
    return true;
  }

  /** When the current signing key expires (ms since the epoch). */
  get signingExpires(): number {
    return this.#signing.expires;
  }

  /** The signing key pair to use at `now`, rotating first if the schedule says so. */
  signingKey(now: number): KeyPairRecord {
    this.rotateIfDue(now);
    return this.#signing;
  }

  /** The KEM key pair peers should encapsulate to at `now`, rotating first if due. */
  kemKey(now: number): KeyPairRecord {
    this.rotateIfDue(now);
    return this.#kem[0];
  }

  /** A KEM key pair whose secret is still held (current or previous generation). */
  kemSecret(id: string): KeyPairRecord | undefined {
    return this.#kem.find((k) => k.id === id);
  }

  /** All secrets currently held, by key id (for the encrypted key file). */
  secrets(): Map<string, Uint8Array> {
    return new Map([this.#signing, ...this.#kem].map((k) => [k.id, k.secretKey]));
  }

  /** Every public key this node has had, as a new ring peers can trust. */
  ring(): KeyRing {
    return new KeyRing(this.#ring.records());
  }
}
