/**
 * The loop's audit trail written to the signed audit log: {@link AuditLogSink} turns each
 * AuditRecord (plan, action, result, rollback, escalation, resolution) into an AuditLog entry,
 * in the order the loop records them, and seals a partial batch after `sealAfterMs` so a quiet
 * engine's decisions do not wait for 255 more before they are signed and stored.
 */
import { ArgumentError } from '../errors.ts';
import type { AuditLog } from '../security/audit-log.ts';
import type { JsonValue } from '../security/canonical.ts';
import { SecurityError } from '../security/errors.ts';
import type { AuditRecord, AuditSink } from './contracts.ts';

/** Options of {@link AuditLogSink}. */
export interface AuditLogSinkOptions {
  /** The entries' actor (default 'engine'). */
  actor?: string;
  /** Seal pending entries this long after the first of them was appended (default 1000 ms). */
  sealAfterMs?: number;
}

/** Counts kept by the sink. */
export interface AuditSinkStats {
  /** Records appended to the log. */
  appended: number;
  /** Appends and seals that failed (a bad record, a failed store write, a closed sink). */
  failures: number;
  /** The message of the last failure. */
  lastError?: string;
}

/** An AuditSink over an AuditLog; call `close()` at shutdown so the last batch is sealed. */
export class AuditLogSink implements AuditSink {
  /** Running counts, updated as records go through. */
  readonly stats: AuditSinkStats = { appended: 0, failures: 0 };
  readonly #log: AuditLog;
  readonly #actor: string;
  readonly #sealAfterMs: number;
  readonly #inFlight = new Set<Promise<unknown>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #firstFailure: unknown;
  #closed = false;

  /** Writes to `log`, which the caller opened with the engine's keys and store. */
  constructor(log: AuditLog, options: AuditLogSinkOptions = {}) {
    if (!log || typeof log.append !== 'function') throw new ArgumentError('log', 'expected an AuditLog');
    const actor = options.actor ?? 'engine';
    if (typeof actor !== 'string' || actor === '')
      throw new ArgumentError('options.actor', 'expected a non-empty string');
    const sealAfterMs = options.sealAfterMs ?? 1000;
    if (!Number.isFinite(sealAfterMs) || sealAfterMs < 0)
      throw new ArgumentError('options.sealAfterMs', 'expected a number >= 0');
    this.#log = log;
    this.#actor = actor;
    this.#sealAfterMs = sealAfterMs;
  }

  /**
   * Appends `entry` as the next log entry. The returned promise rejects if it could not be
   * appended (the loop reports that as a store fault); the rejection is also counted here, so
   * a caller that drops the promise causes no unhandled rejection.
   */
  record(entry: AuditRecord): Promise<void> {
    // AuditLog.append takes its place in the chain synchronously, so calling it right away
    // keeps entries in the order the loop recorded them, whatever the write latency.
    let appended: Promise<unknown>;
    try {
      if (this.#closed) throw new SecurityError('audit sink is closed');
      appended = this.#log.append({ kind: entry.type, actor: this.#actor, data: toData(entry) });
    } catch (error) {
      appended = Promise.reject(error);
    }
    const done = appended.then(() => {
      this.stats.appended++;
    });
    const tracked = done.catch((error) => this.#fail(error));
    this.#inFlight.add(tracked);
    void tracked.finally(() => this.#inFlight.delete(tracked));
    this.#scheduleSeal();
    return done;
  }

  /** Seals and stores every entry recorded so far; rejects if any append or seal has failed. */
  async flush(): Promise<void> {
    this.#clearTimer();
    await Promise.all(this.#inFlight);
    try {
      await this.#log.flush();
    } catch (error) {
      this.#fail(error);
    }
    if (this.stats.failures > 0) {
      throw new SecurityError(`${this.stats.failures} audit appends or seals failed`, {
        cause: this.#firstFailure,
      });
    }
  }

  /** Flushes and refuses further records (each is then counted as a failure). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #fail(error: unknown): void {
    this.stats.failures++;
    this.stats.lastError = (error as Error)?.message ?? String(error);
    this.#firstFailure ??= error;
  }

  #scheduleSeal(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // A failure here is counted in stats and surfaces from the next flush() or close().
      this.#log.flush().catch((error) => this.#fail(error));
    }, this.#sealAfterMs);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * The record's details as JSON, with the loop tick and incident id beside them. Goes through
 * JSON.stringify so optional fields left undefined are dropped rather than refused.
 */
function toData(entry: AuditRecord): JsonValue {
  return JSON.parse(
    JSON.stringify({ tick: entry.ts, incidentId: entry.incidentId, ...entry.detail }),
  ) as JsonValue;
}
