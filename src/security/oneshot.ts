/**
 * One-shot sealed messages, for rare messages outside a session (a node's first report, an
 * alert while no session is up): hybrid KEM to the recipient's static ML-KEM-768 + X25519 key,
 * AES-256-GCM under the derived single-use key, and the sender's signature over everything.
 *
 *   [0] version = 1  [1] type = 0x20  [2..18) recipient KEM key id  [18..34) sender signing
 *   key id  [34..42) timestamp ms  [42..58) message id  [58..1178) hybrid ciphertext
 *   [1178..n-s) AES-GCM ciphertext || tag  [n-s..n) signature (s = 3309, or 3373 hybrid)
 *
 * The header is both the KEM salt and GCM associated data, so the sender id cannot be swapped
 * (re-signing someone else's message under another key yields a different decryption key).
 */
import { gcm } from '@noble/ciphers/aes.js';
import { ArgumentError } from '../errors.ts';
import {
  checkBytes,
  checkNumber,
  concatBytes,
  fromHex,
  readU64,
  secureRandom,
  toHex,
  utf8,
  writeU64,
  type RandomSource,
} from './bytes.ts';
import {
  ExpiredKeyError,
  MalformedMessageError,
  SignatureError,
  TamperedError,
  UnsupportedVersionError,
  WrongRecipientError,
} from './errors.ts';
import { SeenIds, checkTimestamp } from './freshness.ts';
import type { KeyRing, NodeKeys, PublicKeyRecord } from './keys.ts';
import {
  HYBRID_SIZES,
  hybridDecapsulate,
  hybridEncapsulate,
  sha256,
  sign,
  signatureLength,
  verify,
  type SignatureAlgorithm,
} from './pq.ts';

const VERSION = 1;
const TYPE = 0x20;
const HEADER = 58;
const BODY_START = HEADER + HYBRID_SIZES.ciphertext;
const TAG = 16;
const CONTEXT = utf8('x0tta6bl4/oneshot/v1');
const ZERO_NONCE = new Uint8Array(12); // the key is used for exactly one message
const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = ['ml-dsa-65', 'ml-dsa-65+ed25519'];

/** Options of {@link sealOneShot}. */
export interface SealOneShotOptions {
  /** Timestamp to write (default Date.now()). */
  now?: number;
  /** Source of randomness for the message's random bytes and the KEM (default the platform's CSPRNG). */
  random?: RandomSource;
}

/** Seals `payload` from `sender` to the recipient's KEM public key record, signed by the sender. */
export function sealOneShot(
  sender: NodeKeys,
  recipient: PublicKeyRecord,
  payload: Uint8Array,
  options: SealOneShotOptions = {},
): Uint8Array {
  checkBytes(payload, 'payload');
  if (recipient?.algorithm !== 'ml-kem-768+x25519')
    throw new ArgumentError('recipient', 'expected an ml-kem-768+x25519 key record');
  const random = options.random ?? secureRandom;
  const now = options.now ?? Date.now();
  const own = sender.signingKey(now);
  const header = new Uint8Array(HEADER);
  header[0] = VERSION;
  header[1] = TYPE;
  header.set(fromHex(recipient.id, 'recipient.id'), 2);
  header.set(fromHex(own.id), 18);
  writeU64(new DataView(header.buffer), 34, now);
  header.set(random(16), 42);
  const { ciphertext: kemCiphertext, sharedSecret } = hybridEncapsulate(
    recipient.publicKey,
    sha256(header),
    random,
  );
  const sealed = gcm(sharedSecret, ZERO_NONCE, concatBytes(header, kemCiphertext)).encrypt(payload);
  const body = concatBytes(header, kemCiphertext, sealed);
  return concatBytes(body, sign(own.algorithm as SignatureAlgorithm, own.secretKey, body, CONTEXT));
}

/** Options of {@link OneShotReceiver}. */
export interface OneShotReceiverOptions {
  /** Clock in ms since the epoch (default Date.now). */
  now?: () => number;
  /** Messages older than this are stale (default 5 min). */
  maxAgeMs?: number;
  /** Messages dated further ahead are rejected (default 30 s). */
  maxFutureMs?: number;
}

/** What an opened one-shot message carries. */
export interface OpenedMessage {
  /** The decrypted payload. */
  payload: Uint8Array;
  /** The sender's signing key (authenticated). */
  sender: PublicKeyRecord;
  /** The sender's timestamp, ms since the epoch. */
  ts: number;
}

/** Opens one-shot messages addressed to `local`, from senders trusted in `trust`. */
export class OneShotReceiver {
  readonly #local: NodeKeys;
  readonly #trust: KeyRing;
  readonly #now: () => number;
  readonly #maxAgeMs: number;
  readonly #maxFutureMs: number;
  readonly #seen = new SeenIds();

  /** Creates a receiver with its own replay cache. */
  constructor(local: NodeKeys, trust: KeyRing, options: OneShotReceiverOptions = {}) {
    this.#local = local;
    this.#trust = trust;
    this.#now = options.now ?? Date.now;
    if (typeof this.#now !== 'function') throw new ArgumentError('options.now', 'expected a function');
    this.#maxAgeMs = checkNumber(options.maxAgeMs ?? 5 * 60_000, 'options.maxAgeMs', 1, true);
    this.#maxFutureMs = checkNumber(options.maxFutureMs ?? 30_000, 'options.maxFutureMs', 0, true);
  }

  /**
   * Verifies and decrypts a message. Throws MalformedMessageError, UnsupportedVersionError,
   * WrongRecipientError, UnknownKeyError, ExpiredKeyError, Stale/FutureTimestampError,
   * SignatureError, ReplayError or TamperedError.
   */
  open(message: Uint8Array): OpenedMessage {
    checkBytes(message, 'message');
    if (message.length < BODY_START + TAG)
      throw new MalformedMessageError(`sealed message of ${message.length} bytes is too short`);
    if (message[0] !== VERSION)
      throw new UnsupportedVersionError(`sealed message version ${message[0]} (expected ${VERSION})`);
    if (message[1] !== TYPE)
      throw new MalformedMessageError(`message type ${message[1]} is not a one-shot message`);
    const recipientId = toHex(message.subarray(2, 18));
    const kem = this.#local.kemSecret(recipientId);
    if (!kem) {
      if (this.#local.ring().get(recipientId))
        throw new ExpiredKeyError(recipientId, `KEM key ${recipientId} is retired; its secret is gone`);
      throw new WrongRecipientError(
        `message is addressed to key ${recipientId}, not to ${this.#local.owner}`,
      );
    }
    const ts = readU64(new DataView(message.buffer, message.byteOffset, message.byteLength), 34);
    if (Number.isNaN(ts)) throw new MalformedMessageError('timestamp out of range');
    const now = this.#now();
    checkTimestamp(ts, now, this.#maxAgeMs, this.#maxFutureMs);
    const sender = this.#trust.require(toHex(message.subarray(18, 34)), ts, SIGNATURE_ALGORITHMS);
    const signatureStart = message.length - signatureLength(sender.algorithm as SignatureAlgorithm);
    if (signatureStart < BODY_START + TAG)
      throw new MalformedMessageError('sealed message too short for its signature');
    // A replay is refused before the costly signature check (ids are marked only once accepted).
    const messageId = toHex(message.subarray(42, 58));
    this.#seen.check(messageId);
    const body = message.subarray(0, signatureStart);
    if (
      !verify(
        sender.algorithm as SignatureAlgorithm,
        sender.publicKey,
        message.subarray(signatureStart),
        body,
        CONTEXT,
      )
    ) {
      throw new SignatureError(`signature by key ${sender.id} does not verify`);
    }
    const header = message.subarray(0, HEADER);
    const kemCiphertext = message.subarray(HEADER, BODY_START);
    let payload: Uint8Array;
    try {
      const secret = hybridDecapsulate(kemCiphertext, kem.secretKey, kem.publicKey, sha256(header));
      payload = gcm(secret, ZERO_NONCE, concatBytes(header, kemCiphertext)).decrypt(
        message.subarray(BODY_START, signatureStart),
      );
    } catch {
      throw new TamperedError('sealed message does not decrypt under the recipient key');
    }
    this.#seen.mark(messageId, ts, now - this.#maxAgeMs);
    return { payload, sender, ts };
  }
}
