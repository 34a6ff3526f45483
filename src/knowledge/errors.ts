/**
 * Typed refusals of the knowledge store, portable (no node:* imports) so that every runtime's
 * stores can throw them: a path that is not a store or lacks a part asked for, a store
 * another process is writing, and a database server out of reach.
 */
import { ArgumentError, X0ttaError } from '../errors.ts';

/** A path given as a store that is none (missing, a plain folder, a file, or a store without its audit log). */
export class NotAStoreError extends ArgumentError {}

/** Who holds a store's writer lock: the content of its lock file. */
export interface LockHolder {
  /** The holder's process id. */
  pid: number;
  /** The holder's host name. */
  host: string;
  /** When the lock was taken (ISO 8601). */
  since: string;
  /** The holder's process start time as the kernel reports it (Linux), to tell a reused pid. */
  processStart?: string;
}

/** Another live process (or one this host cannot check) holds the store's writer lock. */
export class StoreLockedError extends X0ttaError {
  /**
   * An error naming the store, its holder, and what to do instead.
   * @param path the store directory
   * @param holder the lock file's content
   * @param advice what the caller can do, e.g. open the store read-only
   */
  constructor(
    readonly path: string,
    readonly holder: LockHolder,
    advice: string,
  ) {
    super(
      `${path} is in use by process ${holder.pid} on host ${holder.host} since ${holder.since}; ${advice}`,
    );
  }
}

/** A store's database server could not be reached (refused, timed out, or cut off). */
export class StoreUnreachableError extends X0ttaError {}
