/**
 * Audit log verification. {@link verifyAuditLog} walks a store batch by batch and reports the
 * first bad entry and why, then checks the unsealed tail a crash may have left (reported, never
 * silently accepted) and any checkpoints; {@link verifyAuditEntry} checks one entry against its
 * batch seal alone. A batch that matches its signed root takes a fast path (one tree build per
 * batch, no per-entry proof hashing); anything off falls back to ordered per-entry checks that
 * classify the failure.
 */
import { ArgumentError } from '../errors.ts';
import { fromBase64, toHex } from './bytes.ts';
import { canonicalJson } from './canonical.ts';
import { UnknownKeyError } from './errors.ts';
import {
  GENESIS_HASH,
  RECOVERED_KIND,
  SEAL_CONTEXT,
  entryHash,
  isSealedEntry,
  sealHash,
  sealMessage,
  type AuditEntry,
  type BatchSeal,
  type StoredEntry,
} from './audit-entry.ts';
import type { AuditStore } from './audit-store.ts';
import type { KeyRing } from './keys.ts';
import { leafHash, merkleLevels, rootFromProof } from './merkle.ts';
import { verify, type SignatureAlgorithm } from './pq.ts';

/** Why a log or entry failed verification. */
export type AuditFailureReason =
  | 'altered'
  | 'reordered'
  | 'deleted'
  | 'inserted'
  | 'truncated'
  | 'unknown-key'
  | 'expired-key'
  | 'malformed';

/** A failed verification: where, and why. */
export interface AuditFailure {
  /** Always false: tells a failure from an `AuditSuccess`. */
  ok: false;
  /** What was wrong. */
  reason: AuditFailureReason;
  /** Position in the store of the first bad entry (or of the first entry a bad seal covers). */
  position: number;
  /** Batch index concerned, when known. */
  batch?: number;
  /** A human-readable explanation. */
  detail: string;
  /** Entries verified before the failure. */
  verifiedEntries: number;
}

/** A range of entries an interrupted writer left unsealed and a later writer sealed on recovery. */
export interface RecoveredRange {
  /** Position of the range's first entry. */
  first: number;
  /** Entries in the range. */
  count: number;
  /** The batch whose seal covers them. */
  batch: number;
}

/** A successful verification of a whole log. */
export interface AuditSuccess {
  /** Always true: tells a success from an `AuditFailure`. */
  ok: true;
  /** Entries checked: the sealed ones and the unsealed tail. */
  entries: number;
  /** Sealed batches checked. */
  batches: number;
  /** Hash of the last entry: compare it with a checkpoint to detect tail truncation. */
  head: string;
  /**
   * Entries after the last seal: durable and chained to the sealed head, but signed by nobody
   * (a crash between seals leaves them; the next writer seals them on open). Anyone with write
   * access to the store could have written them.
   */
  unsealed: number;
  /** Ranges sealed on recovery rather than when written (see {@link RECOVERED_KIND}). */
  recovered: RecoveredRange[];
}

/** A saved state of the log: it must still hold a sealed entry `entries - 1` with hash `head`. */
export interface LogCheckpoint {
  /** Entries in the log when it was saved. */
  entries: number;
  /** Hash of its last entry then. */
  head: string;
}

/** Options of {@link verifyAuditLog}. */
export interface VerifyOptions {
  /** The log must hold at least this many entries (detects cut-off whole batches). */
  expectedEntries?: number;
  /** Saved states of the log (a `run --checkpoint` file, a finished run's record): each must hold. */
  checkpoints?: readonly LogCheckpoint[];
  /** The log must hold a sealed entry with this hash (the head a run printed at its end). */
  expectHead?: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const ENTRY_KEYS = 11;
const UNSEALED_KEYS = 8;
const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = ['ml-dsa-65', 'ml-dsa-65+ed25519'];

function isEntryShape(e: AuditEntry): boolean {
  if (!e || typeof e !== 'object' || Object.keys(e).length !== ENTRY_KEYS || e.v !== 1) return false;
  const ints = [e.seq, e.batch, e.index].every((n) => Number.isSafeInteger(n) && n >= 0);
  const strings = typeof e.kind === 'string' && typeof e.actor === 'string' && Number.isFinite(e.ts);
  const hashes =
    HEX64.test(e.prev) &&
    HEX64.test(e.hash) &&
    Array.isArray(e.proof) &&
    e.proof.every((p) => typeof p === 'string' && HEX64.test(p));
  if (!ints || !strings || !hashes) return false;
  try {
    canonicalJson(e.data);
    return true;
  } catch {
    return false;
  }
}

/** The shape of an entry written before its seal: the sealed shape without batch, index and proof. */
function isUnsealedShape(e: StoredEntry): boolean {
  if (!e || typeof e !== 'object' || Object.keys(e).length !== UNSEALED_KEYS || e.v !== 1) return false;
  const fields =
    Number.isSafeInteger(e.seq) &&
    e.seq >= 0 &&
    typeof e.kind === 'string' &&
    typeof e.actor === 'string' &&
    Number.isFinite(e.ts) &&
    HEX64.test(e.prev) &&
    HEX64.test(e.hash);
  if (!fields) return false;
  try {
    canonicalJson(e.data);
    return true;
  } catch {
    return false;
  }
}

function isSealShape(s: BatchSeal): boolean {
  return (
    !!s &&
    typeof s === 'object' &&
    Object.keys(s).length === 11 &&
    s.v === 1 &&
    [s.batch, s.firstSeq, s.count].every((n) => Number.isSafeInteger(n) && n >= 0) &&
    s.count > 0 &&
    Number.isSafeInteger(s.ts) &&
    typeof s.keyId === 'string' &&
    typeof s.signature === 'string' &&
    SIGNATURE_ALGORITHMS.includes(s.algorithm) &&
    [s.root, s.head, s.prevSeal].every((h) => HEX64.test(h))
  );
}

/** Checks a seal's key and signature; returns a failure description or undefined. */
function checkSeal(
  seal: BatchSeal,
  ring: KeyRing,
): { reason: AuditFailureReason; detail: string } | undefined {
  let key;
  try {
    key = ring.require(seal.keyId, seal.ts, [seal.algorithm]);
  } catch (error) {
    const unknown = error instanceof UnknownKeyError;
    return {
      reason: unknown ? 'unknown-key' : 'expired-key',
      detail: `batch ${seal.batch}: ${(error as Error).message}`,
    };
  }
  let signature: Uint8Array;
  try {
    signature = fromBase64(seal.signature, 'seal.signature');
  } catch {
    return { reason: 'malformed', detail: `batch ${seal.batch}: signature is not base64` };
  }
  if (!verify(seal.algorithm, key.publicKey, signature, sealMessage(seal), SEAL_CONTEXT)) {
    return { reason: 'altered', detail: `batch ${seal.batch}: seal signature does not verify` };
  }
  return undefined;
}

/** Verifies one entry on its own against its batch seal and a trusted key ring. */
export function verifyAuditEntry(
  entry: AuditEntry,
  seal: BatchSeal,
  ring: KeyRing,
): { ok: true } | Omit<AuditFailure, 'verifiedEntries'> {
  const position = entry?.seq ?? -1;
  const fail = (reason: AuditFailureReason, detail: string) => ({
    ok: false as const,
    reason,
    position,
    batch: seal?.batch,
    detail,
  });
  if (!isEntryShape(entry)) return fail('malformed', 'entry does not have the audit entry shape');
  if (!isSealShape(seal)) return fail('malformed', 'seal does not have the batch seal shape');
  const hash = entryHash(entry);
  if (toHex(hash) !== entry.hash) return fail('altered', 'entry content does not match its hash');
  if (entry.batch !== seal.batch || entry.seq !== seal.firstSeq + entry.index) {
    return fail(
      'altered',
      `entry claims batch ${entry.batch} index ${entry.index}, seal covers batch ${seal.batch} from seq ${seal.firstSeq}`,
    );
  }
  const root = rootFromProof(leafHash(hash), entry.index, seal.count, entry.proof.map(hashBytes));
  if (!root || toHex(root) !== seal.root)
    return fail('altered', 'inclusion proof does not lead to the signed batch root');
  const bad = checkSeal(seal, ring);
  return bad ? fail(bad.reason, bad.detail) : { ok: true };
}

/** Bytes of a hash string already checked against HEX64 (so no validation here). */
function hashBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const PAGE = 4096;

/** Finds whether an entry with `seq` is stored at or after position `from`. */
async function storedLater(store: AuditStore, from: number, total: number, seq: number): Promise<boolean> {
  for (let start = from; start < total; start += PAGE) {
    const page = await store.entries(start, Math.min(total, start + PAGE));
    if (page.some((e) => e?.seq === seq)) return true;
  }
  return false;
}

/**
 * Walks the whole log and reports the first bad entry: altered (content, hash, proof, seal),
 * reordered, deleted, inserted (duplicates, forgeries), truncated, or sealed by an unknown or
 * expired key; then the entries after the last seal, which must chain from it and are reported
 * as `unsealed`. An empty log fails (it proves nothing). Whole batches cut from the end are only
 * detectable against a saved state: pass `checkpoints`, `expectHead` or `expectedEntries`.
 */
export async function verifyAuditLog(
  store: AuditStore,
  ring: KeyRing,
  options: VerifyOptions = {},
): Promise<AuditSuccess | AuditFailure> {
  const size = await store.size();
  let position = 0;
  let head = GENESIS_HASH;
  let prevSeal = GENESIS_HASH;
  const failure = (reason: AuditFailureReason, at: number, detail: string, batch?: number): AuditFailure => ({
    ok: false,
    reason,
    position: at,
    batch,
    detail,
    verifiedEntries: at,
  });
  if (size.entries === 0 && size.seals === 0)
    return failure('truncated', 0, 'the log is empty: no entry and no seal, nothing to verify');
  const checkpoints = new Map<number, string>();
  for (const [i, c] of (options.checkpoints ?? []).entries()) {
    if (!Number.isSafeInteger(c?.entries) || c.entries < 1 || typeof c.head !== 'string')
      throw new ArgumentError(`options.checkpoints[${i}]`, 'expected { entries >= 1, head }');
    if ((checkpoints.get(c.entries - 1) ?? c.head) !== c.head)
      return failure(
        'altered',
        c.entries - 1,
        `two checkpoints name different heads for entry ${c.entries - 1}`,
      );
    checkpoints.set(c.entries - 1, c.head);
  }
  let headSeen = options.expectHead === undefined;
  const recovered: RecoveredRange[] = [];

  for (let sealStart = 0; sealStart < size.seals; sealStart += PAGE) {
    const seals = await store.seals(sealStart, Math.min(size.seals, sealStart + PAGE));
    for (let k = 0; k < seals.length; k++) {
      const b = sealStart + k;
      const seal = seals[k];
      if (!isSealShape(seal))
        return failure('malformed', position, `seal ${b} does not have the batch seal shape`, b);
      if (seal.batch > b)
        return failure('deleted', position, `seal of batch ${b} is missing (found batch ${seal.batch})`, b);
      if (seal.batch < b) return failure('inserted', position, `a second seal for batch ${seal.batch}`, b);
      if (seal.firstSeq !== position || seal.prevSeal !== prevSeal) {
        return failure('altered', position, `seal ${b} does not continue the previous seal`, b);
      }
      // Entries are checked against the root before the (costlier) signature over the root.
      const entries = (await store.entries(position, position + seal.count)) as AuditEntry[];
      if (!fastBatch(entries, seal, head)) {
        const slow = await slowBatch(store, size.entries, entries, seal, position, head);
        return failure(slow.reason, slow.position, slow.detail, b);
      }
      const sealProblem = checkSeal(seal, ring);
      if (sealProblem) return failure(sealProblem.reason, position, sealProblem.detail, b);
      for (const e of entries) {
        const saved = checkpoints.get(e.seq);
        if (saved !== undefined && saved !== e.hash)
          return failure(
            'altered',
            e.seq,
            `entry ${e.seq} hashes to ${e.hash}, the checkpoint says ${saved}: the log was rewritten after it`,
            b,
          );
        if (e.hash === options.expectHead) headSeen = true;
        if (e.kind === RECOVERED_KIND) recovered.push(recoveredRange(e));
      }
      position += seal.count;
      head = seal.head;
      prevSeal = sealHash(seal);
    }
  }
  const sealedEntries = position;
  for (const [at, saved] of checkpoints) {
    if (at >= sealedEntries)
      return failure(
        'truncated',
        sealedEntries,
        `the checkpoint says entry ${at} has hash ${saved}; the log holds ${sealedEntries} sealed entries`,
      );
  }
  if (!headSeen)
    return failure(
      'truncated',
      sealedEntries,
      `no sealed entry has the expected head ${options.expectHead} (${sealedEntries} sealed entries)`,
    );
  if (options.expectedEntries !== undefined && sealedEntries < options.expectedEntries) {
    return failure(
      'truncated',
      sealedEntries,
      `log holds ${sealedEntries} sealed entries, checkpoint says ${options.expectedEntries}`,
    );
  }
  for (let start = position; start < size.entries; start += PAGE) {
    const page = await store.entries(start, Math.min(size.entries, start + PAGE));
    for (let i = 0; i < Math.min(size.entries, start + PAGE) - start; i++) {
      const problem = tailProblem(page[i], position, head, size.seals);
      if (problem)
        return failure(problem.reason, position, `entry at position ${position} ${problem.detail}`);
      head = page[i].hash;
      position++;
    }
  }
  return {
    ok: true,
    entries: position,
    batches: size.seals,
    head,
    unsealed: position - sealedEntries,
    recovered,
  };
}

/** Why an entry after the last seal is not a proper unsealed tail entry, if it is not. */
function tailProblem(
  e: StoredEntry | undefined,
  position: number,
  head: string,
  seals: number,
): { reason: AuditFailureReason; detail: string } | undefined {
  if (!e) return { reason: 'deleted', detail: 'is missing' };
  if (isSealedEntry(e))
    return e.batch < seals
      ? { reason: 'inserted', detail: `claims batch ${e.batch}, whose seal does not cover it` }
      : { reason: 'deleted', detail: `claims batch ${e.batch}, whose seal is missing` };
  if (!isUnsealedShape(e)) return { reason: 'malformed', detail: 'does not have the audit entry shape' };
  if (toHex(entryHash(e)) !== e.hash) return { reason: 'altered', detail: 'content does not match its hash' };
  if (e.seq < position) return { reason: 'inserted', detail: `seq ${e.seq} appears a second time` };
  if (e.seq > position)
    return { reason: 'deleted', detail: `holds seq ${e.seq}; entries before it are missing` };
  if (e.prev !== head) return { reason: 'altered', detail: 'does not chain to the entry before it' };
  return undefined;
}

/** The range a {@link RECOVERED_KIND} entry names (its data was signed with it). */
function recoveredRange(e: AuditEntry): RecoveredRange {
  const data = (e.data ?? {}) as Partial<RecoveredRange>;
  return { first: Number(data.first), count: Number(data.count), batch: Number(data.batch) };
}

/** True when the batch matches its seal exactly; any doubt returns false for the slow path. */
function fastBatch(entries: AuditEntry[], seal: BatchSeal, head: string): boolean {
  if (entries.length !== seal.count) return false;
  const leaves: Uint8Array[] = [];
  try {
    for (const e of entries) {
      if (Object.keys(e).length !== ENTRY_KEYS) return false;
      const hash = entryHash(e);
      if (toHex(hash) !== e.hash) return false;
      leaves.push(leafHash(hash));
    }
  } catch {
    return false;
  }
  const levels = merkleLevels(leaves);
  const hexLevels = levels.map((level) => level.map(toHex));
  if (hexLevels[hexLevels.length - 1][0] !== seal.root || entries[entries.length - 1].hash !== seal.head)
    return false;
  let prev = head;
  for (let index = 0; index < entries.length; index++) {
    const e = entries[index];
    if (
      e.v !== 1 ||
      e.seq !== seal.firstSeq + index ||
      e.prev !== prev ||
      e.batch !== seal.batch ||
      e.index !== index
    )
      return false;
    if (!Array.isArray(e.proof)) return false;
    let used = 0;
    for (let depth = 0, i = index; depth < hexLevels.length - 1; depth++, i >>= 1) {
      const sibling = i % 2 === 1 ? i - 1 : i + 1;
      if (sibling < hexLevels[depth].length && e.proof[used++] !== hexLevels[depth][sibling]) return false;
    }
    if (used !== e.proof.length) return false;
    prev = e.hash;
  }
  return true;
}

/** Ordered per-entry checks that name the first bad entry of a batch that failed the fast path. */
async function slowBatch(
  store: AuditStore,
  total: number,
  entries: AuditEntry[],
  seal: BatchSeal,
  firstPosition: number,
  head: string,
): Promise<{ reason: AuditFailureReason; position: number; detail: string }> {
  let prev = head;
  for (let index = 0; index < entries.length; index++) {
    const position = firstPosition + index;
    const e = entries[index];
    const at = (reason: AuditFailureReason, detail: string) => ({
      reason,
      position,
      detail: `entry at position ${position}: ${detail}`,
    });
    if (!isEntryShape(e)) return at('malformed', 'does not have the audit entry shape');
    const hash = entryHash(e);
    if (toHex(hash) !== e.hash) return at('altered', 'content does not match its hash');
    if (e.seq < position) return at('inserted', `seq ${e.seq} appears a second time`);
    if (e.seq > position) {
      return (await storedLater(store, position + 1, total, position))
        ? at('reordered', `holds seq ${e.seq}; seq ${position} is stored later`)
        : at('deleted', `holds seq ${e.seq}; entries ${position}..${e.seq - 1} are missing`);
    }
    if (e.batch !== seal.batch || e.index !== index)
      return at('altered', `claims batch ${e.batch} index ${e.index}`);
    const root = rootFromProof(leafHash(hash), index, seal.count, e.proof.map(hashBytes));
    if (!root || toHex(root) !== seal.root) {
      const next = entries[index + 1] ?? (await store.entries(position + 1, position + 2))[0];
      return next?.seq === position
        ? at('inserted', 'is not covered by the signed batch and the genuine entry follows it')
        : at('altered', 'is not covered by the signed batch root');
    }
    if (e.prev !== prev) return at('altered', 'does not chain to the previous entry');
    prev = e.hash;
  }
  const end = firstPosition + entries.length;
  if (entries.length === seal.count)
    return {
      reason: 'altered',
      position: end - 1,
      detail: `batch ${seal.batch} does not match its seal's head`,
    };
  return {
    reason: 'truncated',
    position: end,
    detail: `batch ${seal.batch} is sealed with ${seal.count} entries, ${entries.length} are stored`,
  };
}
