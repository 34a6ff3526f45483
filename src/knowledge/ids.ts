/**
 * Identities that stay unique across runs and engines sharing a store. A run id is a ULID (48
 * bits of wall-clock ms, then 80 random bits, in Crockford base32: 26 characters that sort by
 * time); the incidents and actions of a run are `<runId>-inc-<n>` and `<runId>-act-<n>`, so they
 * never collide with another run's, sort by run, and still read in order within one.
 */
import { ArgumentError } from '../errors.ts';
import { secureRandom, type RandomSource } from '../security/bytes.ts';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RUN_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const MAX_TIME = 2 ** 48 - 1;

/**
 * A new run id: a ULID of `now` (ms since the epoch) and 80 bits from `random`. Two engines
 * starting in the same millisecond collide with probability 2^-80.
 */
export function newRunId(now: number = Date.now(), random: RandomSource = secureRandom): string {
  if (!Number.isSafeInteger(now) || now < 0 || now > MAX_TIME)
    throw new ArgumentError('now', 'expected integer ms since the epoch within 48 bits');
  let time = '';
  for (let t = now, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  const bytes = random(10);
  let bits = 0;
  let value = 0;
  let rest = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      rest += CROCKFORD[(value >> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  return time + rest;
}

/** True when `id` has the form of a run id (a ULID). */
export function isRunId(id: unknown): id is string {
  return typeof id === 'string' && RUN_ID.test(id);
}

/** The ids one run makes: `<runId>-inc-<n>` and `<runId>-act-<n>`, each counting from 1. */
export class IdSource {
  /** The run whose ids this source makes. */
  readonly runId: string;
  #incidents = 0;
  #actions = 0;

  /** Makes ids under `runId` (default: a fresh {@link newRunId}). */
  constructor(runId: string = newRunId()) {
    if (!isRunId(runId)) throw new ArgumentError('runId', 'expected a ULID (26 Crockford base32 characters)');
    this.runId = runId;
  }

  /** The next incident id. */
  incident(): string {
    return `${this.runId}-inc-${++this.#incidents}`;
  }

  /** The next action id. */
  action(): string {
    return `${this.runId}-act-${++this.#actions}`;
  }
}
