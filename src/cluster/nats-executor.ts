/**
 * Actions over NATS request-reply: the engine's Executor when whoever carries actions out (the
 * simulator of `sim --publish`, or node agents) listens on ACTIONS_SUBJECT and answers each
 * request with an ExecutionResult once the action completed.
 *
 * One owner per incident: when a fault shows in two regions (a crossing link, a node on the
 * border, a partition), both regions' loops may want to act on the same target. Before acting,
 * an engine takes the lease `incident.<target>` in the lease bucket (create-if-absent); the
 * holder acts and writes the outcome into the lease, and any other loop wanting that target
 * waits for that outcome instead of acting twice. The holder refreshes the lease while the action
 * runs; if it dies, the lease lapses and a waiting engine takes it and acts: the incident is
 * finished by another engine.
 */
import type { NatsConnection } from '@nats-io/nats-core';
import { targetKey } from '../domain/targets.ts';
import type { ActionRequest, ExecutionResult, Executor } from '../execute/executor.ts';
import type { Leases } from './leases.ts';
import { ACTIONS_SUBJECT, type ActionMessage, decode, encode, keySegment } from './subjects.ts';

/** Options of {@link NatsExecutor}. */
export interface NatsExecutorOptions {
  /** The connection requests go out on. */
  connection: NatsConnection;
  /** This engine's leases (incident ownership is taken there). */
  leases: Leases;
  /** Milliseconds an action may take before it counts as failed (default 120,000). */
  actionTimeoutMs?: number;
  /** Milliseconds between looks at another engine's lease while waiting for its outcome (default 200). */
  pollMs?: number;
}

/** The lease key of the incident acting on `target`. */
export function incidentKey(request: ActionRequest): string {
  return `incident.${keySegment(targetKey(request.target))}`;
}

/** An Executor over NATS request-reply with one owner per target (see the module's comment). */
export class NatsExecutor implements Executor {
  readonly #nc: NatsConnection;
  readonly #leases: Leases;
  readonly #timeoutMs: number;
  readonly #pollMs: number;
  /** Actions this engine waited on another engine for, instead of acting twice. */
  deferred = 0;

  /** An executor sending requests on `options.connection`. */
  constructor(options: NatsExecutorOptions) {
    this.#nc = options.connection;
    this.#leases = options.leases;
    this.#timeoutMs = options.actionTimeoutMs ?? 120_000;
    this.#pollMs = options.pollMs ?? 200;
  }

  dryRun(request: ActionRequest): Promise<ExecutionResult> {
    return this.#request({ op: 'dryRun', engine: this.#leases.engine, request: plain(request) }, 10_000);
  }

  async apply(request: ActionRequest): Promise<ExecutionResult> {
    const key = incidentKey(request);
    const deadline = Date.now() + this.#timeoutMs;
    for (;;) {
      let owner = false;
      try {
        // Another region of this engine holding it counts as another owner: wait for its outcome.
        owner =
          !this.#leases.holds(key) &&
          (await this.#leases.claim(key, { action: request.id, incident: request.incidentId }));
      } catch (error) {
        return { ok: false, reason: `lease ${key}: ${(error as Error).message}` };
      }
      if (owner) {
        const result = await this.#request(
          { op: 'apply', engine: this.#leases.engine, request: plain(request) },
          this.#timeoutMs,
        );
        // The outcome stays readable until the lease lapses, for the loops waiting on it.
        await this.#leases.amend(key, { result }).catch(() => false);
        this.#leases.forget(key);
        return result;
      }
      // Another engine heals this target: its outcome is this loop's too.
      this.deferred++;
      for (;;) {
        if (Date.now() > deadline) return { ok: false, reason: `no outcome for ${key} in time` };
        await new Promise((resolve) => setTimeout(resolve, this.#pollMs));
        const value = await this.#leases.read(key).catch(() => null);
        if (value === null) continue;
        if (value === undefined) break; // lapsed: its owner died; take it
        const result = value.result as ExecutionResult | undefined;
        if (result) return result;
      }
    }
  }

  rollback(request: ActionRequest): Promise<ExecutionResult> {
    return this.#request(
      { op: 'rollback', engine: this.#leases.engine, request: plain(request) },
      this.#timeoutMs,
    );
  }

  async reachable(node: string): Promise<boolean> {
    const result = await this.#request({ op: 'reachable', engine: this.#leases.engine, node }, 10_000);
    return result.ok;
  }

  async #request(message: ActionMessage, timeout: number): Promise<ExecutionResult> {
    try {
      const reply = await this.#nc.request(ACTIONS_SUBJECT, encode(message), { timeout });
      return decode<ExecutionResult>(reply.data, 'action reply');
    } catch (error) {
      return { ok: false, reason: `${ACTIONS_SUBJECT}: ${(error as Error).message}` };
    }
  }
}

/** The request's own fields (the loop may hand a richer object). */
function plain(request: ActionRequest): Extract<ActionMessage, { request: unknown }>['request'] {
  return {
    id: request.id,
    incidentId: request.incidentId,
    action: request.action,
    target:
      request.target.node !== undefined ? { node: request.target.node } : { link: [...request.target.link] },
  };
}
