/**
 * Versioned configuration records in the knowledge store, so a deployment can roll back its
 * configuration: the history is kept under `versions/config` (a JSON array, oldest first), every
 * record carrying the SHA-256 of its value's canonical JSON so a corrupted record is not
 * mistaken for a usable one. Models are versioned in the model registry (src/mlops), which the
 * rollback check reads beside this history.
 */
import { ArgumentError } from '../errors.ts';
import type { KnowledgeStore } from '../knowledge/store.ts';
import { toHex, utf8 } from '../security/bytes.ts';
import { canonicalJson } from '../security/canonical.ts';
import { sha256 } from '../security/pq.ts';

/** What is versioned here (models live in the model registry). */
export type VersionKind = 'config';

/** One recorded version. */
export interface VersionRecord {
  /** 1, 2, 3... in order of recording. */
  version: number;
  /** ms since the epoch. */
  createdAt: number;
  /** SHA-256 (hex) of canonicalJson(value). */
  digest: string;
  /** The versioned value (for `config`, an `EngineConfig`). */
  value: unknown;
}

const key = (kind: VersionKind) => `versions/${kind}`;

/** SHA-256 (hex) of a value's canonical JSON. */
export function digestOf(value: unknown): string {
  return toHex(sha256(utf8(canonicalJson(value))));
}

/** Appends `value` as the next version of `kind` and returns its record. */
export async function recordVersion(
  store: KnowledgeStore,
  kind: VersionKind,
  value: unknown,
  now: number,
): Promise<VersionRecord> {
  if (kind !== 'config')
    throw new ArgumentError(
      'kind',
      `expected 'config' (models are versioned in src/mlops), got ${String(kind)}`,
    );
  const history = await versionHistory(store, kind);
  const record: VersionRecord = {
    version: (history.at(-1)?.version ?? 0) + 1,
    createdAt: now,
    digest: digestOf(value),
    value,
  };
  await store.putValue(key(kind), [...history, record]);
  return record;
}

/** The recorded versions of `kind`, oldest first (empty when none). */
export async function versionHistory(store: KnowledgeStore, kind: VersionKind): Promise<VersionRecord[]> {
  const history = await store.getValue<VersionRecord[]>(key(kind));
  if (history === undefined) return [];
  if (!Array.isArray(history)) throw new ArgumentError(key(kind), 'expected an array of version records');
  return history;
}

/** True when a record's digest matches its value. */
export function isIntact(record: VersionRecord): boolean {
  try {
    return typeof record.digest === 'string' && record.digest === digestOf(record.value);
  } catch {
    return false;
  }
}

/** The version a rollback would restore: the newest intact one before the current. */
export function rollbackTarget(history: readonly VersionRecord[]): VersionRecord | undefined {
  return history.slice(0, -1).reverse().find(isIntact);
}
