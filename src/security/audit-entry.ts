/**
 * The audit log's record types and their hashes. An entry's hash covers its content and the
 * previous entry's hash (the chain); a batch seal signs the Merkle root of its entries' hashes,
 * the chain head and the previous seal's hash. Both are plain JSON so any store can keep them.
 */
import { ArgumentError } from '../errors.ts';
import { toHex, utf8 } from './bytes.ts';
import { canonicalJson, type JsonValue } from './canonical.ts';
import { sha256, type SignatureAlgorithm } from './pq.ts';

/** What the engine records: a decision or action and its details. */
export interface AuditEvent {
  /** 'plan', 'action', 'result', 'rollback', 'escalation', ... (lower-case, dashes and dots). */
  kind: string;
  /** Who did it: a stage, node or operator name. */
  actor: string;
  /** Any JSON details (plan id, action, target, outcome...). */
  data?: JsonValue;
}

/** A stored audit entry: the event, its place in the chain and its inclusion proof. */
export interface AuditEntry {
  /** Format version. */
  v: 1;
  /** Position in the log, from 0. */
  seq: number;
  /** Time of the append, ms since the epoch. */
  ts: number;
  /** The event's kind (`AuditEvent.kind`). */
  kind: string;
  /** Who did it (`AuditEvent.actor`). */
  actor: string;
  /** The event's details (null when it had none). */
  data: JsonValue;
  /** Hex SHA-256 hash of the previous entry (64 zeros for the first). */
  prev: string;
  /** Hex SHA-256 hash of this entry's content and `prev`. */
  hash: string;
  /** Index of the batch whose seal covers this entry. */
  batch: number;
  /** Leaf index inside the batch. */
  index: number;
  /** Hex sibling hashes from this leaf to the batch root. */
  proof: string[];
}

/** An entry as appended, before its batch is sealed: no batch position or proof yet. */
export type UnsealedEntry = Omit<AuditEntry, 'batch' | 'index' | 'proof'>;

/**
 * What a store holds at a position: a sealed entry, or an unsealed one after the last seal (the
 * tail a crash leaves; durable, chained, but signed by nobody until the next writer seals it).
 */
export type StoredEntry = AuditEntry | UnsealedEntry;

/** True when a stored entry carries its batch position and inclusion proof. */
export function isSealedEntry(entry: StoredEntry): entry is AuditEntry {
  return 'proof' in entry;
}

/**
 * The kind of the entry a writer appends after sealing a tail an interrupted writer left
 * unsealed; its data is `{ first, count, batch }`. Verification lists these ranges: they were
 * signed when recovered, not when written.
 */
export const RECOVERED_KIND = 'audit.recovered';

/**
 * The signed statement closing a batch. It signs the log's running state: `firstSeq + count`
 * entries in all and `head` the chain head, so a saved seal (or its head) is a checkpoint that
 * a later truncation cannot satisfy.
 */
export interface BatchSeal {
  /** Format version. */
  v: 1;
  /** The batch's index, from 0. */
  batch: number;
  /** seq of the batch's first entry. */
  firstSeq: number;
  /** Entries in the batch; `firstSeq + count` is the running entry count of the log. */
  count: number;
  /** Hex Merkle root over the batch's entry hashes. */
  root: string;
  /** Hex hash of the batch's last entry: the chain head when sealed. */
  head: string;
  /** Hex SHA-256 of the previous seal (64 zeros for the first). */
  prevSeal: string;
  /** Time of the seal, ms since the epoch. */
  ts: number;
  /** Id of the signing key (`PublicKeyRecord.id`). */
  keyId: string;
  /** The signature algorithm of that key. */
  algorithm: SignatureAlgorithm;
  /** Base64 signature over {@link sealMessage}. */
  signature: string;
}

/** The `prev` of the first entry and the `prevSeal` of the first seal. */
export const GENESIS_HASH = '0'.repeat(64);

/** FIPS 204 context string for seal signatures, separating them from every other use of a key. */
export const SEAL_CONTEXT = utf8('x0tta6bl4/audit-seal/v1');

const KIND = /^[a-z][a-z0-9.-]{0,63}$/;

/** Checks an event before it is appended; throws an ArgumentError naming the bad field. */
export function checkEvent(event: AuditEvent): void {
  if (!event || typeof event !== 'object') throw new ArgumentError('event', 'expected an object');
  if (typeof event.kind !== 'string' || !KIND.test(event.kind)) {
    throw new ArgumentError('event.kind', 'expected a lower-case name such as "plan" or "rollback"');
  }
  if (typeof event.actor !== 'string' || event.actor === '')
    throw new ArgumentError('event.actor', 'expected a non-empty string');
  canonicalJson(event.data ?? null, 'event.data');
}

/** SHA-256 of an entry's signed content: everything but its hash, batch position and proof. */
export function entryHash(
  entry: Pick<AuditEntry, 'v' | 'seq' | 'ts' | 'kind' | 'actor' | 'data' | 'prev'>,
): Uint8Array {
  // Equal to canonicalJson({ v, seq, ts, kind, actor, data, prev }), with the fixed top-level
  // keys written in sorted order directly: verification hashes every entry, so this is hot.
  const field = (value: unknown, name: string) => canonicalJson(value, `entry.${name}`);
  const text =
    `{"actor":${field(entry.actor, 'actor')},"data":${field(entry.data, 'data')},"kind":${field(entry.kind, 'kind')},` +
    `"prev":${field(entry.prev, 'prev')},"seq":${field(entry.seq, 'seq')},"ts":${field(entry.ts, 'ts')},"v":${field(entry.v, 'v')}}`;
  return sha256(utf8(text));
}

/** The bytes a seal's signature covers: the seal without its signature, canonically. */
export function sealMessage(seal: Omit<BatchSeal, 'signature'> & { signature?: string }): Uint8Array {
  const { v, batch, firstSeq, count, root, head, prevSeal, ts, keyId, algorithm } = seal;
  return utf8(
    canonicalJson({ v, batch, firstSeq, count, root, head, prevSeal, ts, keyId, algorithm }, 'seal'),
  );
}

/** Hex SHA-256 of a whole seal (signature included), chaining seals together. */
export function sealHash(seal: BatchSeal): string {
  return toHex(sha256(utf8(canonicalJson(seal, 'seal'))));
}
