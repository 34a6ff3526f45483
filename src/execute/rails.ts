/**
 * Safety rails between a plan and the world. Time is whatever clock the caller uses (ticks in
 * the simulator, seconds in production): the rails only compare numbers, so they are
 * deterministic and testable.
 */
import { type Target, targetKey } from '../domain/targets.ts';
import { ArgumentError } from '../errors.ts';
import { checkFinite, checkInt } from '../validate.ts';

/** Limits of the safety rails, in the caller's time unit. */
export interface RailOptions {
  /** Actions allowed per `rateWindow` (default 10). */
  rateLimit?: number;
  /** Length of the rate window (default 60). */
  rateWindow?: number;
  /** Consecutive failures that open the circuit breaker (default 5). */
  breakerThreshold?: number;
  /** How long the breaker stays open (default 60). */
  breakerOpenFor?: number;
  /** Quiet time after an action on the same target (default 30). */
  cooldown?: number;
  /** First retry delay of an incident after a failure; doubles per failure (default 5). */
  backoffBase?: number;
  /** Cap on the back-off delay (default 300). */
  backoffMax?: number;
  /** Minimum fraction of healthy nodes for automatic action (default 0.51). */
  quorum?: number;
}

/** Why the rails refused an action. `quorum` means: escalate to a human instead. */
export type RailVerdict =
  | { allowed: true }
  | {
      allowed: false;
      reason: 'rate-limit' | 'circuit-open' | 'cooldown' | 'backoff' | 'busy' | 'quorum';
      until?: number;
    };

/** What the rails remember, as plain JSON ({@link SafetyRails.save}); a breaker never opened is null. */
export interface RailsState {
  /** When the actions of the rate window started. */
  starts: number[];
  /** Target key and the end of its cooldown. */
  targetFreeAt: Array<[string, number]>;
  /** Incident and when it may be retried. */
  incidentRetryAt: Array<[string, number]>;
  /** Incident and its failed actions in a row. */
  incidentFailures: Array<[string, number]>;
  /** Incidents with an action under way. */
  busyIncidents: string[];
  /** Failed actions in a row (toward the breaker). */
  consecutiveFailures: number;
  /** When the breaker closes again. */
  breakerOpenUntil: number | null;
}

/** Rate limit, circuit breaker, per-target cooldown, per-incident back-off, one action per incident, quorum. */
export class SafetyRails {
  /** The limits in force, defaults filled in. */
  readonly options: Required<RailOptions>;
  readonly #starts: number[] = [];
  /** Cooldown ends by target key. */
  readonly #targetFreeAt = new Map<string, number>();
  readonly #incidentRetryAt = new Map<string, number>();
  readonly #incidentFailures = new Map<string, number>();
  readonly #busyIncidents = new Set<string>();
  #consecutiveFailures = 0;
  #breakerOpenUntil = -Infinity;

  /** Rails with no history; throws an `ArgumentError` naming a limit out of range. */
  constructor(options: RailOptions = {}) {
    this.options = {
      rateLimit: 10,
      rateWindow: 60,
      breakerThreshold: 5,
      breakerOpenFor: 60,
      cooldown: 30,
      backoffBase: 5,
      backoffMax: 300,
      quorum: 0.51,
      ...options,
    };
    for (const [name, value] of Object.entries(this.options)) {
      if (!Number.isFinite(value) || value < 0)
        throw new ArgumentError(name, `expected a finite number >= 0, got ${value}`);
    }
  }

  /** Whether an action on `target` for `incident` may start at time `now`. */
  check(incident: string, target: Target, now: number, healthyFraction: number): RailVerdict {
    const o = this.options;
    if (healthyFraction < o.quorum) return { allowed: false, reason: 'quorum' };
    if (this.#busyIncidents.has(incident)) return { allowed: false, reason: 'busy' };
    if (now < this.#breakerOpenUntil)
      return { allowed: false, reason: 'circuit-open', until: this.#breakerOpenUntil };
    const retryAt = this.#incidentRetryAt.get(incident) ?? -Infinity;
    if (now < retryAt) return { allowed: false, reason: 'backoff', until: retryAt };
    const freeAt = this.#targetFreeAt.get(targetKey(target)) ?? -Infinity;
    if (now < freeAt) return { allowed: false, reason: 'cooldown', until: freeAt };
    this.#expire(now);
    if (this.#starts.length >= o.rateLimit) {
      return { allowed: false, reason: 'rate-limit', until: this.#starts[0] + o.rateWindow };
    }
    return { allowed: true };
  }

  /** Records that an action started (call only after `check` allowed it). */
  started(incident: string, target: Target, now: number): void {
    this.#starts.push(now);
    this.#busyIncidents.add(incident);
    this.#targetFreeAt.set(targetKey(target), now + this.options.cooldown);
  }

  /** Records how an action ended; failures feed the breaker and the incident's back-off. */
  finished(incident: string, now: number, success: boolean): void {
    this.#busyIncidents.delete(incident);
    if (success) {
      this.#consecutiveFailures = 0;
      this.#incidentFailures.delete(incident);
      this.#incidentRetryAt.delete(incident);
      return;
    }
    const o = this.options;
    if (++this.#consecutiveFailures >= o.breakerThreshold) {
      this.#breakerOpenUntil = now + o.breakerOpenFor;
      this.#consecutiveFailures = 0;
    }
    const failures = (this.#incidentFailures.get(incident) ?? 0) + 1;
    this.#incidentFailures.set(incident, failures);
    this.#incidentRetryAt.set(incident, now + Math.min(o.backoffMax, o.backoffBase * 2 ** (failures - 1)));
  }

  /** Forgets an incident's back-off state once it is closed. */
  forget(incident: string): void {
    this.#busyIncidents.delete(incident);
    this.#incidentFailures.delete(incident);
    this.#incidentRetryAt.delete(incident);
  }

  /** Whether the circuit breaker is open at `now`. */
  breakerOpen(now: number): boolean {
    return now < this.#breakerOpenUntil;
  }

  /** What the rails remember, as plain JSON, for another SafetyRails to go on with ({@link restore}). */
  save(): RailsState {
    return {
      starts: [...this.#starts],
      targetFreeAt: [...this.#targetFreeAt],
      incidentRetryAt: [...this.#incidentRetryAt],
      incidentFailures: [...this.#incidentFailures],
      busyIncidents: [...this.#busyIncidents],
      consecutiveFailures: this.#consecutiveFailures,
      breakerOpenUntil: Number.isFinite(this.#breakerOpenUntil) ? this.#breakerOpenUntil : null,
    };
  }

  /**
   * Goes on from what other rails saved ({@link save}), replacing what these remember; throws an
   * ArgumentError naming the first field that does not fit, changing nothing.
   */
  restore(state: RailsState): void {
    if (!state || typeof state !== 'object') throw new ArgumentError('state', 'expected an object');
    const pairs = (key: 'targetFreeAt' | 'incidentRetryAt' | 'incidentFailures'): Array<[string, number]> => {
      const entries = state[key];
      if (!Array.isArray(entries)) throw new ArgumentError(`state.${key}`, 'expected [key, number] pairs');
      return entries.map((entry, i) => {
        if (!Array.isArray(entry) || typeof entry[0] !== 'string')
          throw new ArgumentError(`state.${key}[${i}]`, 'expected [key, number]');
        return [entry[0], checkFinite(`state.${key}[${i}][1]`, entry[1])];
      });
    };
    if (!Array.isArray(state.starts)) throw new ArgumentError('state.starts', 'expected an array of times');
    const starts = state.starts.map((t, i) => checkFinite(`state.starts[${i}]`, t));
    const targetFreeAt = pairs('targetFreeAt');
    const incidentRetryAt = pairs('incidentRetryAt');
    const incidentFailures = pairs('incidentFailures');
    if (!Array.isArray(state.busyIncidents) || !state.busyIncidents.every((id) => typeof id === 'string'))
      throw new ArgumentError('state.busyIncidents', 'expected an array of incident ids');
    const failures = checkInt('state.consecutiveFailures', state.consecutiveFailures, 0);
    const breaker =
      state.breakerOpenUntil === null
        ? -Infinity
        : checkFinite('state.breakerOpenUntil', state.breakerOpenUntil);
    this.#starts.splice(0, this.#starts.length, ...starts);
    for (const [map, entries] of [
      [this.#targetFreeAt, targetFreeAt],
      [this.#incidentRetryAt, incidentRetryAt],
      [this.#incidentFailures, incidentFailures],
    ] as const) {
      map.clear();
      for (const [key, value] of entries) map.set(key, value);
    }
    this.#busyIncidents.clear();
    for (const id of state.busyIncidents) this.#busyIncidents.add(id);
    this.#consecutiveFailures = failures;
    this.#breakerOpenUntil = breaker;
  }

  #expire(now: number): void {
    while (this.#starts.length > 0 && this.#starts[0] <= now - this.options.rateWindow) this.#starts.shift();
  }
}
