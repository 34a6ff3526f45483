/**
 * The `actions` argument of `MLEnhancedMAPEK.autonomicLoopIteration`: remedy names, `Policy`
 * objects, or objects that also carry the functions that carry the remedy out.
 */
import { ArgumentError } from '../errors.ts';
import type { ActionHandlers } from './handler-executor.ts';
import { Policy, PolicyPriority } from './policy.ts';

/** A remedy with its handlers and, optionally, its priority, cost, risk and duration (defaults as `Policy`). */
export interface LoopActionSpec extends ActionHandlers {
  /** The action's name, and the id of its policy. */
  name: string;
  /** The policy's priority. */
  priority?: PolicyPriority;
  /** Cost, 0..1. */
  cost?: number;
  /** Risk, 0..1. */
  risk?: number;
  /** Ticks until it takes effect. */
  duration?: number;
}

/**
 * One available remedy: a name (it can be chosen, but without a handler applying it fails), a
 * `Policy` (the same, with its priority, cost and risk), or a `LoopActionSpec` with handlers.
 * Handlers given once stay until a later spec of the same name replaces them.
 */
export type LoopAction = string | Policy | LoopActionSpec;

/** A validated action: the policy the planner ranks and the handlers the executor calls. */
export interface NormalizedAction {
  policy: Policy;
  handlers?: ActionHandlers;
}

/** Validates `actions` (non-empty, unique names) and normalizes each entry. */
export function normalizeActions(actions: readonly LoopAction[]): NormalizedAction[] {
  if (!Array.isArray(actions) || actions.length === 0) {
    throw new ArgumentError(
      'actions',
      'expected a non-empty array of action names, Policy objects or { name, apply }',
    );
  }
  const seen = new Set<string>();
  return actions.map((action, i) => {
    const normalized = normalize(action, `actions[${i}]`);
    if (seen.has(normalized.policy.id))
      throw new ArgumentError(`actions[${i}]`, `duplicate action "${normalized.policy.id}"`);
    seen.add(normalized.policy.id);
    return normalized;
  });
}

function normalize(action: LoopAction, argument: string): NormalizedAction {
  if (action instanceof Policy) return { policy: action };
  if (typeof action === 'string') {
    if (action === '') throw new ArgumentError(argument, 'an action name must not be empty');
    return { policy: new Policy(action) };
  }
  if (
    action === null ||
    typeof action !== 'object' ||
    typeof action.name !== 'string' ||
    action.name === ''
  ) {
    throw new ArgumentError(argument, 'expected an action name, a Policy or { name, apply?, rollback? }');
  }
  for (const step of ['apply', 'rollback'] as const) {
    if (action[step] !== undefined && typeof action[step] !== 'function') {
      throw new ArgumentError(`${argument}.${step}`, 'expected a function');
    }
  }
  const policy = new Policy(action.name, action.name, '', action.priority ?? PolicyPriority.MEDIUM, {
    cost: action.cost,
    risk: action.risk,
    duration: action.duration,
  });
  return { policy, handlers: { apply: action.apply, rollback: action.rollback } };
}
