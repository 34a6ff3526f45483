/**
 * What the domain's remediation actions (src/domain: durations, costs, failure chances, holds)
 * really do in the simulated mesh. The healing table is deliberately strict (a restart does not
 * fix a bad link, a reroute does not fix a crashed node) so that an engine is scored on choosing
 * the right remedy, not any remedy.
 */
import { ACTION_KINDS, ACTIONS, type ActionKind } from '../domain/actions.ts';
import { checkTarget, type Target, type TargetScope, targetScope } from '../domain/targets.ts';
import { ArgumentError } from '../errors.ts';
import { type Fault, resolveTarget, type SimFaultKind } from './faults.ts';
import type { Topology } from './topology.ts';

/** How an action works in the simulator, beyond what the domain says of it. */
export interface ActionEffect {
  /** Runs on the target node itself, so it fails while that node is down (crashed or restarting). */
  readonly inBand: boolean;
  /** Fault kinds it heals, per target type (the types of its domain scope). */
  readonly heals: { readonly node?: readonly SimFaultKind[]; readonly link?: readonly SimFaultKind[] };
}

/** What each action heals, and whether it needs its node up. */
export const ACTION_EFFECTS: Readonly<Record<ActionKind, ActionEffect>> = {
  // Restart, failover and quarantine work out of band (power control, standby, neighbours'
  // filters); rerouting is configured at the neighbours. Rerouting around a node only moves
  // traffic (mitigation); around a link it takes the link out of service, which ends a link
  // fault if no traffic still has to cross it.
  reroute: { inBand: false, heals: { node: [], link: ['link-degradation', 'flapping-link'] } },
  'restart-service': { inBand: false, heals: { node: ['node-crash', 'cpu-exhaustion', 'memory-leak'] } },
  // Only a leak that lives in the cache (variant 'cache') is healed by clearing it.
  'clear-cache': { inBand: true, heals: { node: ['memory-leak'] } },
  'scale-up': { inBand: true, heals: { node: ['congestion'] } },
  'scale-down': { inBand: true, heals: { node: [] } },
  'quarantine-node': { inBand: false, heals: { node: ['misbehaving-node'] } },
  // A standby node takes over a node's role; a backup link replaces a failed one.
  failover: {
    inBand: false,
    heals: {
      node: ['node-crash', 'cpu-exhaustion', 'memory-leak'],
      link: ['partition', 'link-degradation', 'flapping-link'],
    },
  },
  'rate-limit': { inBand: true, heals: { node: ['congestion'] } },
  'rollback-config': { inBand: true, heals: { node: ['bad-config'] } },
};

/** An action to apply to the simulated mesh. */
export interface SimAction {
  /** The action, from the domain's catalogue. */
  readonly kind: ActionKind;
  /** The node or link it acts on. */
  readonly target: Target;
}

/** Lifecycle of an action: running until `completes`, then succeeded or failed. */
export type ActionStatus = 'running' | 'succeeded' | 'failed' | 'rejected';

/** Receipt for an applied action, updated in place as the simulation advances. */
export interface ActionTicket {
  /** The ticket's id, in issue order from 0. */
  readonly id: number;
  /** The action applied. */
  readonly action: SimAction;
  /** Tick at which it was issued (the next frame's tick). */
  readonly issued: number;
  /** Tick at which its effects land. */
  readonly completes: number;
  /** The action's cost in the domain's units (1..10). */
  readonly cost: number;
  /** Where it is in its lifecycle. */
  status: ActionStatus;
  /** Why it failed or was rejected. */
  reason?: string;
  /** Ids of the faults it healed. */
  healed: number[];
}

/** Validates an action; returns its target's type and index or throws ArgumentError naming the field. */
export function resolveAction(action: SimAction, topology: Topology): { type: TargetScope; index: number } {
  if (action === null || typeof action !== 'object') throw new ArgumentError('action', 'must be an object');
  if (!(ACTION_KINDS as readonly string[]).includes(action.kind)) {
    throw new ArgumentError(
      'action.kind',
      `must be one of ${ACTION_KINDS.join(', ')}, got ${JSON.stringify(action.kind)}`,
    );
  }
  const type = targetScope(checkTarget(action.target, 'action.target'));
  const scope = ACTIONS[action.kind].scope;
  if (scope !== 'any' && scope !== type)
    throw new ArgumentError('action.target', `${action.kind} acts on a ${scope}, not a ${type}`);
  return { type, index: resolveTarget(action.target, type, topology, 'action.target', action.kind) };
}

/** Whether target (type, index) is `fault`'s root cause (any link of a partition's cut). */
export function isRootCause(type: TargetScope, index: number, fault: Fault): boolean {
  const cause = fault.kind === 'partition' ? fault.cutLinks.includes(index) : fault.index === index;
  return targetScope(fault.target) === type && cause;
}

/** Whether an action of `kind` on target (type, index) heals `fault`, ignoring routing. */
export function addresses(kind: ActionKind, type: TargetScope, index: number, fault: Fault): boolean {
  if (!isRootCause(type, index, fault)) return false;
  if (!ACTION_EFFECTS[kind].heals[type]?.includes(fault.kind)) return false;
  return kind !== 'clear-cache' || fault.variant === 'cache';
}
