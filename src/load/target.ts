/**
 * What a load test calls. A target is any function of a CallContext; it may return a value, a
 * promise, or throw. Sync targets are timed without waiting for a microtask, so a busy target
 * is measured for exactly as long as it blocks the thread.
 */

/** Per-call information handed to a target. */
export interface CallContext {
  /** 0-based iteration number within the run. */
  readonly iteration: number;
  /** Units of work this call stands for (samples per ingest batch); 1 unless the scenario says. */
  readonly batchSize: number;
  /** Aborted when the call times out; created on first access so targets that ignore it pay nothing. */
  readonly signal: AbortSignal;
}

/** Any sync or async operation under test. Its rejection's `kind` (or `name`) is its error kind. */
export type LoadTarget = (context: CallContext) => unknown;

/** Error a target throws to be counted under a specific kind (e.g. `http_503`). */
export class LoadCallError extends Error {
  /**
   * An error counted under `kind`.
   * @param kind the error kind it counts under, e.g. `http_503`
   * @param message what happened
   */
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
    this.name = 'LoadCallError';
  }
}

/** The error kind counted for a failed call: its `kind`, else its `name`, else 'error'. */
export function errorKind(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const { kind, name } = error as { kind?: unknown; name?: unknown };
    if (typeof kind === 'string' && kind !== '') return kind;
    if (typeof name === 'string' && name !== '' && name !== 'Error') return name;
  }
  return 'error';
}

/** The CallContext implementation; the runner owns it and aborts it on timeout. */
export class IterationContext implements CallContext {
  private controller: AbortController | undefined;

  constructor(
    readonly iteration: number,
    readonly batchSize: number,
  ) {}

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  /** Aborts the signal if the target ever asked for it. */
  abort(reason: string): void {
    this.controller?.abort(new LoadCallError('timeout', reason));
  }
}
