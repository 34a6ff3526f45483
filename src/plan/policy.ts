/**
 * Policies: the operator's rules for which actions may be considered, in what priority, under
 * what constraints. `PolicyPriority` keeps the Python system's name; its `Policy` class (a
 * remedy to rank) is in x0tta6bl4/compat.
 */
import type { Target } from '../domain/targets.ts';
import { ArgumentError } from '../errors.ts';

/** Higher is more important; the value enters the score as a feature. */
export enum PolicyPriority {
  LOW = 1,
  MEDIUM = 2,
  HIGH = 3,
  CRITICAL = 4,
}

/** What a policy can see of an incident to decide whether it applies. */
export interface PolicyContext {
  /** The diagnosed fault kind, if any. */
  kind?: string;
  /** The incident's metrics, strongest anomaly first. */
  metrics: readonly string[];
  /** How bad the incident is, 0..1. */
  severity: number;
  /** The node or link the action would act on. */
  target: Target;
}

/** A rule proposing an action for incidents it matches. */
export interface ActionPolicy {
  /** The policy's unique name. */
  name: string;
  /** The action it proposes. */
  action: string;
  /** How strongly it supports that action. */
  priority: PolicyPriority;
  /** Fault kinds the policy addresses; empty or absent means any. */
  kinds?: readonly string[];
  /** Extra condition; the policy applies when it returns true. */
  when?: (context: PolicyContext) => boolean;
  /** Targets the action must never touch (e.g. gateways for quarantine). */
  forbiddenTargets?: readonly Target[];
}

/** The set of registered policies. */
export class PolicyRegistry {
  readonly #policies = new Map<string, ActionPolicy>();

  /** Registers (or replaces) a policy by name. */
  register(policy: ActionPolicy): void {
    if (!policy?.name) throw new ArgumentError('policy.name', 'a policy needs a name');
    if (!policy.action) throw new ArgumentError('policy.action', `policy "${policy.name}" needs an action`);
    if (!(policy.priority in PolicyPriority)) {
      throw new ArgumentError(
        'policy.priority',
        `policy "${policy.name}": unknown priority ${policy.priority}`,
      );
    }
    this.#policies.set(policy.name, policy);
  }

  /** Removes a policy; returns whether it existed. */
  unregister(name: string): boolean {
    return this.#policies.delete(name);
  }

  /** The registered policies, in registration order. */
  get policies(): ActionPolicy[] {
    return [...this.#policies.values()];
  }

  /** Policies that apply to the context, highest priority first. */
  matching(context: PolicyContext): ActionPolicy[] {
    return this.policies
      .filter((p) => !p.kinds?.length || (context.kind !== undefined && p.kinds.includes(context.kind)))
      .filter((p) => !p.when || p.when(context))
      .sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : 1));
  }
}
