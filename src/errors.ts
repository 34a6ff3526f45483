/**
 * Typed errors shared by every stage. Each names the argument or input that was wrong, so a
 * caller can tell what to fix without reading the source.
 */

/** Base class: every error the engine throws on purpose extends it. */
export class X0ttaError extends Error {
  /** Names the error after its class, so `name` tells which one was thrown. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An argument has the wrong type, range or shape. */
export class ArgumentError extends X0ttaError {
  /**
   * An error about one argument; the message starts with its name.
   * @param argument the argument (or input field) that was wrong, e.g. `options.window`
   * @param message what was wrong with it
   */
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(`${argument}: ${message}`);
  }
}

/** Vector or matrix sizes do not agree. */
export class DimensionError extends ArgumentError {}

/** A typed array whose buffer was transferred away (detached) was passed in. */
export class DetachedBufferError extends ArgumentError {
  /**
   * An error about a detached buffer.
   * @param argument the argument whose typed array was transferred away
   */
  constructor(argument: string) {
    super(argument, 'buffer is detached (it was transferred to another thread)');
  }
}

/** A WebAssembly kernel could not be compiled or instantiated. */
export class KernelLoadError extends X0ttaError {}

/** A worker died or was terminated while a call to it was in flight. */
export class WorkerCrashedError extends X0ttaError {}

/** The pool was shut down; no more calls are accepted. */
export class PoolClosedError extends X0ttaError {}

/** The loop was closed (`MapeKLoop.close`); it takes no more ticks. */
export class LoopClosedError extends X0ttaError {}

/** One fault of a configuration file: where it is (a JSON pointer) and what is wrong there. */
export interface ConfigProblem {
  /** JSON pointer (RFC 6901) to the offending value, e.g. `/metrics/2/max`; `` for the whole file. */
  path: string;
  /** What is wrong with it. */
  message: string;
}

/**
 * A configuration file (a topology, an engine config) that cannot be used. It lists every problem
 * found, not just the first, so an operator fixes the file in one pass.
 */
export class ConfigError extends X0ttaError {
  /**
   * An error listing `problems`, one per line of the message, each after its JSON path.
   * @param file what was being read, e.g. `topology` or a file name
   * @param problems every fault found, each with its JSON pointer
   */
  constructor(
    readonly file: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    const noun = problems.length === 1 ? 'problem' : 'problems';
    super(
      `${file}: ${problems.length} ${noun}\n${problems.map((p) => `  ${p.path || '(root)'}: ${p.message}`).join('\n')}`,
    );
  }
}
