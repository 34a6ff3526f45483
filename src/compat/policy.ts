/**
 * The Python system's `Policy` and `PolicyRanker`: a policy names one remedy the caller can run;
 * the ranker holds the registered ones. Ranking itself is the engine's (see `DecisionEngine` in
 * ./decision.ts): success rates are learned from outcomes, not declared.
 */
import { ArgumentError } from '../errors.ts';
import { checkFinite } from '../validate.ts';
import { PolicyPriority } from '../plan/policy.ts';

/**
 * The engine's priorities. Use the names: the numbers run the other way from the Python enum
 * (here CRITICAL = 4 is the highest; in Python CRITICAL was 1).
 */
export { PolicyPriority };

/** What a policy's action costs and risks (on the engine's 0..1 scale), how long it takes, and free-form tags. */
export interface PolicyOptions {
  /** Default 0.1. */
  cost?: number;
  /** Default 0.1. */
  risk?: number;
  /** Ticks (seconds) until the action takes effect; slower remedies score lower. Default 0. */
  duration?: number;
  /** Free-form labels. Default none. */
  tags?: readonly string[];
}

/** A remedy the decision engine can choose (Python's `Policy(id, name, description, priority)`). */
export class Policy {
  /** Cost, 0..1. */
  readonly cost: number;
  /** Risk, 0..1. */
  readonly risk: number;
  /** Ticks until it takes effect. */
  readonly duration: number;
  /** Free-form labels. */
  readonly tags: readonly string[];

  /**
   * A frozen policy; throws an `ArgumentError` for an empty id, an unknown priority or cost, risk or duration
   * out of range.
   * @param id the policy's id, which decisions name
   * @param name a name for people (default the id)
   * @param description what it does
   * @param priority how strongly it is preferred
   * @param options cost, risk, duration and tags
   */
  constructor(
    readonly id: string,
    readonly name: string = id,
    readonly description: string = '',
    readonly priority: PolicyPriority = PolicyPriority.MEDIUM,
    options: PolicyOptions = {},
  ) {
    if (typeof id !== 'string' || id === '') throw new ArgumentError('id', 'a policy needs a non-empty id');
    if (!(priority in PolicyPriority))
      throw new ArgumentError('priority', `unknown priority ${String(priority)}`);
    this.cost = unit('options.cost', options.cost ?? 0.1);
    this.risk = unit('options.risk', options.risk ?? 0.1);
    this.duration = checkFinite('options.duration', options.duration ?? 0);
    if (this.duration < 0) throw new ArgumentError('options.duration', `expected >= 0, got ${this.duration}`);
    this.tags = Object.freeze([...(options.tags ?? [])]);
    Object.freeze(this);
  }
}

/** The registered policies, by id (Python's `engine.ranker`). */
export class PolicyRanker {
  readonly #policies = new Map<string, Policy>();

  /** Registers a policy, replacing one with the same id. */
  registerPolicy(policy: Policy): void {
    if (!(policy instanceof Policy))
      throw new ArgumentError('policy', 'expected a Policy (new Policy(id, name, description, priority))');
    this.#policies.set(policy.id, policy);
  }

  /** Removes a policy; returns whether it was registered. */
  unregisterPolicy(id: string): boolean {
    return this.#policies.delete(id);
  }

  /** Registered policies by id (Python's `ranker.policies` dict). */
  get policies(): ReadonlyMap<string, Policy> {
    return this.#policies;
  }
}

function unit(argument: string, value: unknown): number {
  const x = checkFinite(argument, value);
  if (x < 0 || x > 1) throw new ArgumentError(argument, `expected a number in [0, 1], got ${x}`);
  return x;
}
