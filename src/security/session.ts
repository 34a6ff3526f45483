/**
 * Sealed telemetry sessions: versioned AES-256-GCM envelopes under keys agreed by the
 * handshake, one key chain per direction, re-keyed after a number of envelopes or a time.
 *
 * Envelope v1 (26-byte header, all of it authenticated as GCM associated data):
 *   [0] version = 1  [1] type = 1  [2..10) key id  [10..18) sequence (u64 BE)
 *   [18..26) timestamp ms (u64 BE)  [26..) ciphertext || 16-byte tag
 * The GCM nonce is the sequence number, never sent, so a changed sequence fails authentication.
 * AES-256-GCM comes from aead.ts: the runtime's synchronous node:crypto where it exists,
 * WebCrypto elsewhere (or a backend named in the options); all of them interoperate.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { ArgumentError } from '../errors.ts';
import { aeadKey, resolveAeadBackend, type AeadBackend, type AeadKey } from './aead.ts';
import { checkBytes, checkNumber, readU64, toHex, utf8, writeU64 } from './bytes.ts';
import {
  ExpiredKeyError,
  MalformedMessageError,
  TamperedError,
  UnknownKeyError,
  UnsupportedVersionError,
} from './errors.ts';
import { ReplayWindow, checkTimestamp } from './freshness.ts';
import { sha256 } from './pq.ts';

/** Envelope format version written and accepted. */
export const ENVELOPE_VERSION = 1;
const ENVELOPE_TYPE = 1;
/** Header length of a session envelope. */
export const ENVELOPE_HEADER = 26;
const TAG = 16;
const MAX_SEQ = Number.MAX_SAFE_INTEGER;
const RETIRED_IDS_KEPT = 64;
/** Future epochs the receiver recognises, so lost envelopes around several re-keys do not stall it. */
const EPOCHS_AHEAD = 4;

/** Tuning of a session; every limit is in ms or envelopes. */
export interface SessionOptions {
  /** Clock in ms since the epoch (default Date.now). */
  now?: () => number;
  /** Switch to the next key after this many envelopes (default 65,536). */
  rekeyAfterEnvelopes?: number;
  /** Switch to the next key after this long (default 10 min). */
  rekeyAfterMs?: number;
  /** The whole session expires after this long; handshake again (default 24 h). */
  lifetimeMs?: number;
  /** Envelopes older than this are stale (default 5 min). */
  maxAgeMs?: number;
  /** Envelopes dated further ahead than this are rejected (default 30 s). */
  maxFutureMs?: number;
  /** Sequence numbers accepted out of order behind the highest seen (default 1024). */
  replayWindow?: number;
  /** How long the previous key still opens envelopes after the peer moved on (default 30 s). */
  previousKeyGraceMs?: number;
  /** AES-256-GCM implementation (default: the fastest this runtime offers, see aead.ts). */
  aead?: AeadBackend;
}

type ResolvedOptions = Required<SessionOptions>;

/** Fills in defaults and checks every option, naming the bad one. */
export function resolveSessionOptions(options: SessionOptions = {}): ResolvedOptions {
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new ArgumentError('options.now', 'expected a function');
  const n = (value: number | undefined, fallback: number, name: string) =>
    checkNumber(value ?? fallback, `options.${name}`, 1, true);
  return {
    now,
    rekeyAfterEnvelopes: n(options.rekeyAfterEnvelopes, 65536, 'rekeyAfterEnvelopes'),
    rekeyAfterMs: n(options.rekeyAfterMs, 10 * 60_000, 'rekeyAfterMs'),
    lifetimeMs: n(options.lifetimeMs, 24 * 3600_000, 'lifetimeMs'),
    maxAgeMs: n(options.maxAgeMs, 5 * 60_000, 'maxAgeMs'),
    maxFutureMs: n(options.maxFutureMs, 30_000, 'maxFutureMs'),
    replayWindow: n(options.replayWindow, 1024, 'replayWindow'),
    previousKeyGraceMs: n(options.previousKeyGraceMs, 30_000, 'previousKeyGraceMs'),
    aead: resolveAeadBackend(options.aead, 'options.aead'),
  };
}

/** One key of a direction's chain. */
interface EpochKey {
  epoch: number;
  id: string;
  idBytes: Uint8Array;
  raw: Uint8Array;
  aead: AeadKey;
}

const REKEY_INFO = utf8('x0tta6bl4/session/rekey/v1');
const KEY_ID_INFO = utf8('x0tta6bl4/session/key-id/v1');

function epochKey(raw: Uint8Array, epoch: number, backend: AeadBackend): EpochKey {
  const idBytes = hkdf(sha256, raw, undefined, KEY_ID_INFO, 8);
  return { epoch, id: toHex(idBytes), idBytes, raw, aead: aeadKey(raw, backend) };
}

// The next key is a one-way function of the current one: a leaked key does not reveal older ones.
function nextKey(current: EpochKey): EpochKey {
  return epochKey(
    hkdf(sha256, current.raw, undefined, REKEY_INFO, 32),
    current.epoch + 1,
    current.aead.backend,
  );
}

/** The `count` keys following `from` in its chain. */
function chain(from: EpochKey, count: number): EpochKey[] {
  const keys: EpochKey[] = [];
  for (let key = from; keys.length < count; ) keys.push((key = nextKey(key)));
  return keys;
}

function nonceFor(seq: number): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(12);
  writeU64(new DataView(nonce.buffer), 4, seq);
  return nonce;
}

/** Keys agreed by the handshake for one session. */
export interface SessionKeys {
  /** Hex session id (a hash of the handshake transcript). */
  id: string;
  sendKey: Uint8Array;
  receiveKey: Uint8Array;
}

/** An open session: seals outgoing envelopes and opens incoming ones. */
export class Session {
  /** Hex session id (a hash of the handshake transcript), the same on both sides. */
  readonly id: string;
  /** Key id of the peer's signing key, authenticated by the handshake. */
  readonly peerKeyId: string;
  /** When the session was established (ms). */
  readonly createdAt: number;
  readonly #options: ResolvedOptions;
  // sending side
  #send: EpochKey;
  #sendEpochStart: number;
  #sendEpochCount = 0;
  #nextSeq = 0;
  // receiving side
  #receive: EpochKey;
  #receiveAhead: EpochKey[];
  #receivePrevious: { key: EpochKey; until: number } | undefined;
  readonly #retired = new Set<string>();
  readonly #window: ReplayWindow;

  /** Builds a session from handshake output; use the handshake functions rather than this directly. */
  constructor(keys: SessionKeys, peerKeyId: string, options: SessionOptions = {}) {
    checkBytes(keys?.sendKey, 'keys.sendKey', 32);
    checkBytes(keys?.receiveKey, 'keys.receiveKey', 32);
    this.#options = resolveSessionOptions(options);
    this.id = keys.id;
    this.peerKeyId = peerKeyId;
    this.createdAt = this.#options.now();
    this.#send = epochKey(keys.sendKey, 0, this.#options.aead);
    this.#sendEpochStart = this.createdAt;
    this.#receive = epochKey(keys.receiveKey, 0, this.#options.aead);
    this.#receiveAhead = chain(this.#receive, EPOCHS_AHEAD);
    this.#window = new ReplayWindow(this.#options.replayWindow);
  }

  /** Current sending key id and epoch (for monitoring re-keying). */
  get sendKey(): { id: string; epoch: number } {
    return { id: this.#send.id, epoch: this.#send.epoch };
  }

  #checkAlive(now: number): void {
    if (now > this.createdAt + this.#options.lifetimeMs) {
      throw new ExpiredKeyError(this.id, `session ${this.id} expired; run a new handshake`);
    }
  }

  /** Encrypts `payload` into an envelope. Calls may overlap; sequence numbers follow call order. */
  async seal(payload: Uint8Array): Promise<Uint8Array> {
    checkBytes(payload, 'payload');
    const o = this.#options;
    const now = o.now();
    this.#checkAlive(now);
    if (this.#sendEpochCount >= o.rekeyAfterEnvelopes || now - this.#sendEpochStart >= o.rekeyAfterMs) {
      this.#send = nextKey(this.#send);
      this.#sendEpochStart = now;
      this.#sendEpochCount = 0;
    }
    if (this.#nextSeq >= MAX_SEQ)
      throw new ExpiredKeyError(this.id, 'sequence numbers exhausted; run a new handshake');
    const seq = this.#nextSeq++;
    this.#sendEpochCount++;
    const epoch = this.#send;
    const envelope = new Uint8Array(ENVELOPE_HEADER + payload.length + TAG);
    const view = new DataView(envelope.buffer);
    envelope[0] = ENVELOPE_VERSION;
    envelope[1] = ENVELOPE_TYPE;
    envelope.set(epoch.idBytes, 2);
    writeU64(view, 10, seq);
    writeU64(view, 18, now);
    envelope.set(
      await epoch.aead.seal(nonceFor(seq), envelope.subarray(0, ENVELOPE_HEADER), payload),
      ENVELOPE_HEADER,
    );
    return envelope;
  }

  #keyFor(id: string, now: number): EpochKey {
    if (id === this.#receive.id) return this.#receive;
    const ahead = this.#receiveAhead.find((k) => k.id === id);
    if (ahead) return ahead;
    const previous = this.#receivePrevious;
    if (previous && id === previous.key.id) {
      if (now <= previous.until) return previous.key;
      throw new ExpiredKeyError(
        id,
        `key ${id} was replaced more than ${this.#options.previousKeyGraceMs} ms ago`,
      );
    }
    if (this.#retired.has(id)) throw new ExpiredKeyError(id, `key ${id} has been retired`);
    throw new UnknownKeyError(id, `key ${id} belongs to no epoch of session ${this.id}`);
  }

  #advance(to: EpochKey, now: number): void {
    // The epoch just before `to` keeps a grace time for late envelopes; all older ones retire.
    const older = [
      this.#receivePrevious?.key,
      this.#receive,
      ...this.#receiveAhead.filter((k) => k.epoch < to.epoch),
    ];
    const previous = older.pop() as EpochKey;
    for (const key of older) {
      if (!key) continue;
      this.#retired.add(key.id);
      // Remember recent retired ids only; older ones are reported as unknown instead of expired.
      if (this.#retired.size > RETIRED_IDS_KEPT)
        this.#retired.delete(this.#retired.values().next().value as string);
    }
    this.#receivePrevious = { key: previous, until: now + this.#options.previousKeyGraceMs };
    this.#receive = to;
    const kept = this.#receiveAhead.filter((k) => k.epoch > to.epoch);
    this.#receiveAhead = [...kept, ...chain(kept.at(-1) ?? to, EPOCHS_AHEAD - kept.length)];
  }

  /**
   * Authenticates and decrypts an envelope. An envelope of another session, or of this
   * session's other direction, names a key this receiver never had: UnknownKeyError. Throws MalformedMessageError,
   * UnsupportedVersionError, UnknownKeyError, ExpiredKeyError, TamperedError, ReplayError,
   * StaleTimestampError or FutureTimestampError.
   */
  async open(envelope: Uint8Array): Promise<Uint8Array> {
    checkBytes(envelope, 'envelope');
    const o = this.#options;
    if (envelope.length < ENVELOPE_HEADER + TAG)
      throw new MalformedMessageError(`envelope of ${envelope.length} bytes is too short`);
    if (envelope[0] !== ENVELOPE_VERSION)
      throw new UnsupportedVersionError(`envelope version ${envelope[0]} (expected ${ENVELOPE_VERSION})`);
    if (envelope[1] !== ENVELOPE_TYPE)
      throw new MalformedMessageError(`envelope type ${envelope[1]} is not a session envelope`);
    const now = o.now();
    this.#checkAlive(now);
    const epoch = this.#keyFor(toHex(envelope.subarray(2, 10)), now);
    const view = new DataView(envelope.buffer, envelope.byteOffset, envelope.byteLength);
    const seq = readU64(view, 10);
    const ts = readU64(view, 18);
    let plaintext: Uint8Array;
    try {
      if (Number.isNaN(seq) || Number.isNaN(ts)) throw new RangeError('out of range');
      plaintext = await epoch.aead.open(
        nonceFor(seq),
        envelope.subarray(0, ENVELOPE_HEADER),
        envelope.subarray(ENVELOPE_HEADER),
      );
    } catch {
      throw new TamperedError(`envelope ${seq} failed authentication (header or ciphertext altered)`);
    }
    // Checked after authentication (and after the await) so overlapping opens of one envelope
    // cannot both pass, and a forged header is reported as tampering, not as a replay.
    this.#window.check(seq);
    checkTimestamp(ts, now, o.maxAgeMs, o.maxFutureMs);
    this.#window.mark(seq);
    if (epoch.epoch > this.#receive.epoch) this.#advance(epoch, now);
    return plaintext;
  }
}
