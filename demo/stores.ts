/**
 * The playground's durable side, in one PGlite database (as `x0tta6bl4 run --store` keeps it):
 * the knowledge store (incidents, actions, learnt success rates), the RAG documents (runbooks and
 * the incidents resolved so far) and the signed audit log, with the loop's audit sink over it.
 * In the browser the database lives in IndexedDB (`idb://`), so a reload keeps it.
 *
 * It also plays the attacker: `tamper` rewrites a stored audit entry behind the log's back, as
 * anyone with write access to the database could, so that Verify has something to find.
 */
import type { PGlite } from '@electric-sql/pglite';
import { PGliteAuditStore } from '../src/knowledge/pglite-audit-store.ts';
import { PGliteRagStore } from '../src/knowledge/pglite-rag-store.ts';
import { PGliteStore } from '../src/knowledge/pglite-store.ts';
import type { ActionRecord, IncidentRecord } from '../src/knowledge/records.ts';
import { AuditLogSink } from '../src/loop/audit-sink.ts';
import { ArgumentError } from '../src/errors.ts';
import { isSealedEntry, type StoredEntry } from '../src/security/audit-entry.ts';
import { AuditLog } from '../src/security/audit-log.ts';
import { verifyAuditLog } from '../src/security/audit-verify.ts';
import { NodeKeys } from '../src/security/keys.ts';
import type { AuditRow, AuditState, AuditVerdict } from './protocol.ts';

/** Entries per signed batch: small, so that signing shows within seconds of a decision. */
const BATCH = 16;

/** One open database and what the engine keeps in it. */
export class PlaygroundStores {
  private constructor(
    readonly dataDir: string,
    readonly knowledge: PGliteStore,
    readonly rag: PGliteRagStore,
    readonly audit: PGliteAuditStore,
    readonly log: AuditLog,
    readonly sink: AuditLogSink,
    readonly signer: string,
  ) {}

  /**
   * Opens (creating if needed) the database at `dataDir` (`idb://<name>` or `memory://`), and
   * an audit log on it signed with a key made for this page: its public key is stored with the
   * log, so entries signed by earlier visits still verify.
   */
  static async open(dataDir: string): Promise<PlaygroundStores> {
    const knowledge = await PGliteStore.open(dataDir);
    try {
      const db = knowledge.database;
      const keys = NodeKeys.generate({ owner: 'playground' });
      const audit = await PGliteAuditStore.fromDatabase(db);
      await audit.putKeys(keys.ring());
      const log = await AuditLog.open(audit, keys, { batchSize: BATCH });
      const rag = await PGliteRagStore.fromDatabase(db);
      const signer = keys.signingKey(Date.now()).id;
      return new PlaygroundStores(dataDir, knowledge, rag, audit, log, new AuditLogSink(log), signer);
    } catch (error) {
      await knowledge.close();
      throw error;
    }
  }

  /** The incidents and actions stored so far (every session's, this one's included). */
  async history(): Promise<{ incidents: IncidentRecord[]; actions: ActionRecord[] }> {
    const [incidents, actions] = await Promise.all([
      this.knowledge.listIncidents(),
      this.knowledge.listActions(),
    ]);
    return { incidents, actions };
  }

  /** The log's size and its last `count` entries, newest first. */
  async auditState(count: number): Promise<AuditState> {
    const size = await this.audit.size();
    const entries = await this.audit.entries(Math.max(0, size.entries - count), size.entries);
    return {
      entries: size.entries,
      batches: size.seals,
      signer: this.signer,
      rows: entries.reverse().map(auditRow),
    };
  }

  /** Verifies the whole log against the public keys stored with it; names the first bad entry. */
  async verify(): Promise<AuditVerdict> {
    await this.sink.flush().catch(() => undefined);
    const result = await verifyAuditLog(this.audit, await this.audit.keyRing());
    if (result.ok)
      return {
        ok: true,
        entries: result.entries,
        batches: result.batches,
        unsealed: result.unsealed,
        head: result.head,
      };
    return {
      ok: false,
      reason: result.reason,
      position: result.position,
      detail: result.detail,
      verifiedEntries: result.verifiedEntries,
    };
  }

  /**
   * Edits the sealed entry at `position` in the database, leaving its hash and signature as
   * they were, as an intruder with write access would; returns what was changed.
   */
  async tamper(position: number): Promise<string> {
    const [entry] = await this.audit.entries(position, position + 1);
    if (!entry) throw new ArgumentError('position', `the log holds no entry #${position}`);
    if (!isSealedEntry(entry))
      throw new ArgumentError(
        'position',
        `entry #${position} is not sealed yet: its writer would refuse to seal a changed entry; pick a signed one`,
      );
    const data = { ...(entry.data as Record<string, unknown>) };
    let change: string;
    if (typeof data.outcome === 'string') {
      const was = data.outcome;
      data.outcome = was === 'healed' ? 'failed' : 'healed';
      change = `outcome ${was} -> ${data.outcome}`;
    } else if (typeof data.action === 'string') {
      const was = data.action;
      data.action = was === 'reroute' ? 'scale-up' : 'reroute';
      change = `action ${was} -> ${data.action}`;
    } else {
      const was = data.tick;
      data.tick = typeof was === 'number' ? was + 1 : 0;
      change = `tick ${String(was)} -> ${String(data.tick)}`;
    }
    await (this.knowledge.database as PGlite).query(
      'UPDATE audit_entries SET record = $2 WHERE position = $1',
      [position, JSON.stringify({ ...entry, data })],
    );
    return `entry #${position} (${entry.kind}): ${change}`;
  }

  /** Seals what is pending and closes the database. */
  async close(): Promise<void> {
    await this.sink.close().catch(() => undefined);
    await this.knowledge.close();
  }
}

/** An entry as the audit panel lists it. */
function auditRow(entry: StoredEntry): AuditRow {
  const data = (entry.data ?? {}) as Record<string, unknown>;
  const target = data.target as { node?: string; link?: string[] } | undefined;
  const on = target ? ` on ${target.node ?? target.link?.join('-')}` : '';
  const what =
    typeof data.outcome === 'string'
      ? `${shortId(data.id)} ${data.outcome}${data.rollback ? ` (rollback ${String(data.rollback)})` : ''}`
      : typeof data.action === 'string'
        ? `${data.id ? `${shortId(data.id)} ` : ''}${data.action}${on}`
        : typeof data.reason === 'string'
          ? data.reason
          : typeof data.status === 'string'
            ? `${data.status}${data.healedBy ? ` by ${shortId(data.healedBy)}` : ''}`
            : '';
  return {
    seq: entry.seq,
    kind: entry.kind,
    at: entry.ts,
    ...(typeof data.tick === 'number' ? { tick: data.tick } : {}),
    ...(typeof data.incidentId === 'string' ? { incident: shortId(data.incidentId) } : {}),
    what,
    sealed: isSealedEntry(entry),
  };
}

/** An incident or action id without its run prefix. */
function shortId(id: unknown): string {
  const text = String(id ?? '');
  const at = Math.max(text.lastIndexOf('inc-'), text.lastIndexOf('act-'));
  return at >= 0 ? text.slice(at) : text;
}
