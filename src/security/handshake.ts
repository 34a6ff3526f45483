/**
 * The session handshake between a node (initiator) and the engine (responder).
 *
 *   hello (I -> R): version, type, I's signing key id, R's signing key id, timestamp, nonce,
 *                   I's ephemeral ML-KEM-768 + X25519 public key, I's signature
 *   reply (R -> I): version, type, R's key id, I's key id, timestamp, nonce, SHA-256(hello),
 *                   hybrid ciphertext to the ephemeral key, R's signature over hello || reply
 *
 * The hybrid secret (see pq.ts: HKDF over both shared secrets, bound to both ciphertexts and
 * public keys) is salted with SHA-256(hello); the session keys are HKDF of that secret salted
 * with the transcript hash. Both sides sign with ML-DSA-65 (FIPS 204 contexts separate hello
 * from reply), so each authenticates the other, and the ephemeral key gives forward secrecy.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { ArgumentError } from '../errors.ts';
import {
  concatBytes,
  equalBytes,
  fromHex,
  readU64,
  secureRandom,
  toHex,
  utf8,
  writeU64,
  type RandomSource,
} from './bytes.ts';
import {
  HandshakeSignatureError,
  MalformedMessageError,
  ReplayError,
  UnsupportedVersionError,
  WrongRecipientError,
} from './errors.ts';
import { SeenIds, checkTimestamp } from './freshness.ts';
import type { KeyRing, NodeKeys, PublicKeyRecord } from './keys.ts';
import {
  HYBRID_SIZES,
  hybridDecapsulate,
  hybridEncapsulate,
  hybridKemKeygen,
  sha256,
  sign,
  signatureLength,
  verify,
  type SignatureAlgorithm,
} from './pq.ts';
import { Session, resolveSessionOptions, type SessionOptions } from './session.ts';

const VERSION = 1;
const HELLO = 0x10;
const REPLY = 0x11;
const HELLO_CONTEXT = utf8('x0tta6bl4/handshake/hello/v1');
const REPLY_CONTEXT = utf8('x0tta6bl4/handshake/reply/v1');
const SESSION_INFO = utf8('x0tta6bl4/session/keys/v1');
const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = ['ml-dsa-65', 'ml-dsa-65+ed25519'];

// Common prefix: version, type, sender key id (16), addressee key id (16), timestamp (8), nonce (32).
const PREFIX = 2 + 16 + 16 + 8 + 32;
const HELLO_BODY = PREFIX + HYBRID_SIZES.publicKey;
const REPLY_BODY = PREFIX + 32 + HYBRID_SIZES.ciphertext;

/** Options of the handshake; session options apply to the resulting session. */
export interface HandshakeOptions extends SessionOptions {
  /** Randomness source (default: the runtime's CSPRNG). */
  random?: RandomSource;
}

interface Prefix {
  sender: string;
  addressee: string;
  ts: number;
}

function writePrefix(
  type: number,
  sender: string,
  addressee: string,
  ts: number,
  nonce: Uint8Array,
  bodyLength: number,
): Uint8Array {
  const out = new Uint8Array(bodyLength);
  out[0] = VERSION;
  out[1] = type;
  out.set(fromHex(sender, 'sender key id'), 2);
  out.set(fromHex(addressee, 'addressee key id'), 18);
  writeU64(new DataView(out.buffer), 34, ts);
  out.set(nonce, 42);
  return out;
}

function readPrefix(message: Uint8Array, type: number, minLength: number): Prefix {
  if (!(message instanceof Uint8Array)) throw new ArgumentError('message', 'expected a Uint8Array');
  if (message.length < minLength)
    throw new MalformedMessageError(`handshake message of ${message.length} bytes is too short`);
  if (message[0] !== VERSION)
    throw new UnsupportedVersionError(`handshake version ${message[0]} (expected ${VERSION})`);
  if (message[1] !== type)
    throw new MalformedMessageError(`handshake message type ${message[1]} (expected ${type})`);
  const ts = readU64(new DataView(message.buffer, message.byteOffset, message.byteLength), 34);
  if (Number.isNaN(ts)) throw new MalformedMessageError('handshake timestamp out of range');
  return { sender: toHex(message.subarray(2, 18)), addressee: toHex(message.subarray(18, 34)), ts };
}

/** Looks up the peer's signing key and checks the signature that ends `message`. */
function checkSigned(
  message: Uint8Array,
  bodyLength: number,
  signedPrefix: Uint8Array,
  peer: PublicKeyRecord,
  context: Uint8Array,
): void {
  const algorithm = peer.algorithm as SignatureAlgorithm;
  if (message.length !== bodyLength + signatureLength(algorithm)) {
    throw new MalformedMessageError(
      `handshake message of ${message.length} bytes does not fit a ${algorithm} signature`,
    );
  }
  const signed = concatBytes(signedPrefix, message.subarray(0, bodyLength));
  if (!verify(algorithm, peer.publicKey, message.subarray(bodyLength), signed, context)) {
    throw new HandshakeSignatureError(`handshake signature by key ${peer.id} does not verify`);
  }
}

function sessionKeys(
  secret: Uint8Array,
  transcript: Uint8Array,
  role: 'initiator' | 'responder',
): { id: string; sendKey: Uint8Array; receiveKey: Uint8Array } {
  const okm = hkdf(sha256, secret, sha256(transcript), SESSION_INFO, 80);
  const initiatorToResponder = okm.slice(0, 32);
  const responderToInitiator = okm.slice(32, 64);
  const id = toHex(okm.subarray(64, 80));
  return role === 'initiator'
    ? { id, sendKey: initiatorToResponder, receiveKey: responderToInitiator }
    : { id, sendKey: responderToInitiator, receiveKey: initiatorToResponder };
}

/** The initiator's side of a handshake in progress. */
export interface PendingHandshake {
  /** Bytes to send to the responder. */
  hello: Uint8Array;
  /**
   * Checks the responder's reply and opens the session. Throws WrongRecipientError,
   * UnknownKeyError, ExpiredKeyError, Stale/FutureTimestampError, ReplayError (a reply to
   * another hello), HandshakeSignatureError or MalformedMessageError.
   */
  complete(reply: Uint8Array): Session;
}

/** Starts a handshake from `local` to the responder whose signing key id is `responderKeyId` in `trust`. */
export function initiateHandshake(
  local: NodeKeys,
  trust: KeyRing,
  responderKeyId: string,
  options: HandshakeOptions = {},
): PendingHandshake {
  const resolved = resolveSessionOptions(options);
  const random = options.random ?? secureRandom;
  const now = resolved.now();
  const responder = trust.require(responderKeyId, now, SIGNATURE_ALGORITHMS);
  const own = local.signingKey(now);
  const ephemeral = hybridKemKeygen(random);
  const body = writePrefix(HELLO, own.id, responder.id, now, random(32), HELLO_BODY);
  body.set(ephemeral.publicKey, PREFIX);
  const hello = concatBytes(
    body,
    sign(own.algorithm as SignatureAlgorithm, own.secretKey, body, HELLO_CONTEXT),
  );
  const helloHash = sha256(hello);
  let used = false;

  return {
    hello,
    complete(reply: Uint8Array): Session {
      if (used) throw new ReplayError('this handshake was already completed');
      const prefix = readPrefix(reply, REPLY, REPLY_BODY);
      if (prefix.addressee !== own.id)
        throw new WrongRecipientError(`reply is addressed to key ${prefix.addressee}, not ${own.id}`);
      if (prefix.sender !== responder.id)
        throw new WrongRecipientError(`reply comes from key ${prefix.sender}, hello went to ${responder.id}`);
      if (!equalBytes(reply.subarray(PREFIX, PREFIX + 32), helloHash))
        throw new ReplayError('reply answers a different hello');
      checkTimestamp(prefix.ts, resolved.now(), resolved.maxAgeMs, resolved.maxFutureMs);
      const peer = trust.require(prefix.sender, prefix.ts, SIGNATURE_ALGORITHMS);
      checkSigned(reply, REPLY_BODY, hello, peer, REPLY_CONTEXT);
      const ciphertext = reply.subarray(PREFIX + 32, REPLY_BODY);
      const secret = hybridDecapsulate(ciphertext, ephemeral.secretKey, ephemeral.publicKey, helloHash);
      used = true;
      ephemeral.secretKey.fill(0);
      return new Session(sessionKeys(secret, concatBytes(hello, reply), 'initiator'), peer.id, options);
    },
  };
}

/**
 * The engine's side: answers hellos from trusted nodes and opens sessions. Hellos must name the
 * engine's current signing key, so after the engine rotates, nodes re-read its public keys.
 */
export class HandshakeResponder {
  readonly #local: NodeKeys;
  readonly #trust: KeyRing;
  readonly #options: HandshakeOptions;
  readonly #resolved: ReturnType<typeof resolveSessionOptions>;
  readonly #seen = new SeenIds();

  /** `trust` holds the public signing keys of the nodes allowed to connect. */
  constructor(local: NodeKeys, trust: KeyRing, options: HandshakeOptions = {}) {
    this.#resolved = resolveSessionOptions(options);
    this.#local = local;
    this.#trust = trust;
    this.#options = options;
  }

  /**
   * Checks a hello and answers it. Throws WrongRecipientError, UnknownKeyError,
   * ExpiredKeyError, Stale/FutureTimestampError, ReplayError, HandshakeSignatureError or
   * MalformedMessageError; nothing is sent back for a rejected hello.
   */
  respond(hello: Uint8Array): { reply: Uint8Array; session: Session } {
    const o = this.#resolved;
    const random = this.#options.random ?? secureRandom;
    const prefix = readPrefix(hello, HELLO, HELLO_BODY);
    const now = o.now();
    const own = this.#local.signingKey(now);
    if (prefix.addressee !== own.id)
      throw new WrongRecipientError(`hello is addressed to key ${prefix.addressee}, not ${own.id}`);
    checkTimestamp(prefix.ts, now, o.maxAgeMs, o.maxFutureMs);
    const peer = this.#trust.require(prefix.sender, prefix.ts, SIGNATURE_ALGORITHMS);
    // A replayed hello is refused before the costly signature check (it is marked only once accepted).
    const helloId = toHex(hello.subarray(42, 74));
    this.#seen.check(helloId);
    checkSigned(hello, HELLO_BODY, new Uint8Array(0), peer, HELLO_CONTEXT);
    const helloHash = sha256(hello);
    let encapsulated: { ciphertext: Uint8Array; sharedSecret: Uint8Array };
    try {
      encapsulated = hybridEncapsulate(hello.subarray(PREFIX, HELLO_BODY), helloHash, random);
    } catch (cause) {
      throw new MalformedMessageError(`hello carries an invalid ephemeral key (${(cause as Error).message})`);
    }
    const { ciphertext, sharedSecret } = encapsulated;
    const body = writePrefix(REPLY, own.id, peer.id, now, random(32), REPLY_BODY);
    body.set(helloHash, PREFIX);
    body.set(ciphertext, PREFIX + 32);
    const reply = concatBytes(
      body,
      sign(own.algorithm as SignatureAlgorithm, own.secretKey, concatBytes(hello, body), REPLY_CONTEXT),
    );
    this.#seen.mark(helloId, prefix.ts, now - o.maxAgeMs);
    return {
      reply,
      session: new Session(
        sessionKeys(sharedSecret, concatBytes(hello, reply), 'responder'),
        peer.id,
        this.#options,
      ),
    };
  }
}
