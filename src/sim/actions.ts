/**
 * Remediation actions the simulator accepts: what each costs, how long it takes, how often it
 * fails, and which faults it really heals. The healing table is deliberately strict (a restart
 * does not fix a bad link, a reroute does not fix a crashed node) so that an engine is scored
 * on choosing the right remedy, not any remedy.
 */
import { ArgumentError } from '../errors.ts';
import { resolveTarget, type Fault, type FaultKind, type Target } from './faults.ts';
import type { Topology } from './topology.ts';

/** Every action kind. */
export const ACTION_KINDS = [
  'reroute',
  'restart-service',
  'clear-cache',
  'scale-up',
  'scale-down',
  'quarantine-node',
  'failover',
  'rate-limit',
  'rollback-config',
] as const;

/** One of ACTION_KINDS. */
export type ActionKind = (typeof ACTION_KINDS)[number];

/** Cost model and healing power of an action kind. */
export interface ActionProfile {
  /** Abstract cost units (operator time, spend, risk of disruption). */
  readonly cost: number;
  /** Ticks from issue to completion; effects land at completion. */
  readonly duration: number;
  /** Chance that it completes without effect. */
  readonly failureProbability: number;
  /** Runs on the target node itself, so it fails while that node is down (crashed or restarting). */
  readonly inBand: boolean;
  /** Ticks its lasting side effect holds (reroute penalty, quarantine, rate limit); 0 if none. */
  readonly holdTicks: number;
  /** Fault kinds it heals, per target type; absent type means it cannot target that type. */
  readonly heals: { readonly node?: readonly FaultKind[]; readonly link?: readonly FaultKind[] };
}

/** The action catalog. */
export const ACTIONS: Readonly<Record<ActionKind, ActionProfile>> = {
  // Restart, failover and quarantine work out of band (power control, standby, neighbours'
  // filters); rerouting is configured at the neighbours. Rerouting around a node only moves
  // traffic (mitigation); around a link it takes the link out
  // of service, which ends a link fault if no traffic still has to cross it.
  reroute: {
    inBand: false,
    cost: 1,
    duration: 2,
    failureProbability: 0.02,
    holdTicks: 1800,
    heals: { node: [], link: ['link-degradation', 'flapping-link'] },
  },
  'restart-service': {
    inBand: false,
    cost: 5,
    duration: 15,
    failureProbability: 0.05,
    holdTicks: 0,
    heals: { node: ['node-crash', 'cpu-exhaustion', 'memory-leak'] },
  },
  // Only a leak that lives in the cache (variant 'cache') is healed by clearing it.
  'clear-cache': {
    inBand: true,
    cost: 1,
    duration: 1,
    failureProbability: 0.02,
    holdTicks: 0,
    heals: { node: ['memory-leak'] },
  },
  'scale-up': {
    inBand: true,
    cost: 8,
    duration: 30,
    failureProbability: 0.05,
    holdTicks: 0,
    heals: { node: ['congestion'] },
  },
  'scale-down': {
    inBand: true,
    cost: 2,
    duration: 10,
    failureProbability: 0.03,
    holdTicks: 0,
    heals: { node: [] },
  },
  'quarantine-node': {
    inBand: false,
    cost: 6,
    duration: 3,
    failureProbability: 0.02,
    holdTicks: 1800,
    heals: { node: ['misbehaving-node'] },
  },
  // A standby node takes over a node's role; a backup link replaces a failed one.
  failover: {
    inBand: false,
    cost: 10,
    duration: 5,
    failureProbability: 0.05,
    holdTicks: 0,
    heals: {
      node: ['node-crash', 'cpu-exhaustion', 'memory-leak'],
      link: ['partition', 'link-degradation', 'flapping-link'],
    },
  },
  'rate-limit': {
    inBand: true,
    cost: 2,
    duration: 1,
    failureProbability: 0.02,
    holdTicks: 900,
    heals: { node: ['congestion'] },
  },
  'rollback-config': {
    inBand: true,
    cost: 3,
    duration: 10,
    failureProbability: 0.05,
    holdTicks: 0,
    heals: { node: ['bad-config'] },
  },
};

/** An action to apply. */
export interface ActionSpec {
  readonly kind: ActionKind;
  readonly target: Target;
}

/** Lifecycle of an action: running until `completes`, then succeeded or failed. */
export type ActionStatus = 'running' | 'succeeded' | 'failed' | 'rejected';

/** Receipt for an applied action, updated in place as the simulation advances. */
export interface ActionTicket {
  readonly id: number;
  readonly action: ActionSpec;
  /** Tick at which it was issued (the next frame's tick). */
  readonly issued: number;
  /** Tick at which its effects land. */
  readonly completes: number;
  readonly cost: number;
  status: ActionStatus;
  /** Why it failed or was rejected. */
  reason?: string;
  /** Ids of the faults it healed. */
  healed: number[];
}

/** Validates an action spec; returns the target's index or throws ArgumentError naming the field. */
export function resolveAction(
  spec: ActionSpec,
  topology: Topology,
): { type: 'node' | 'link'; index: number } {
  if (spec === null || typeof spec !== 'object') throw new ArgumentError('action', 'must be an object');
  if (!(ACTION_KINDS as readonly string[]).includes(spec.kind)) {
    throw new ArgumentError(
      'action.kind',
      `must be one of ${ACTION_KINDS.join(', ')}, got ${JSON.stringify(spec.kind)}`,
    );
  }
  const heals = ACTIONS[spec.kind].heals;
  const target = spec.target as Target | null;
  const type =
    target !== null && typeof target === 'object' && typeof target.link === 'string' ? 'link' : 'node';
  if (!heals[type])
    throw new ArgumentError(
      'action.target',
      `${spec.kind} acts on a ${type === 'node' ? 'link' : 'node'}, not a ${type}`,
    );
  return { type, index: resolveTarget(spec.target, type, topology, 'action.target', spec.kind) };
}

/** Whether an action of `kind` on target (type, index) heals `fault`, ignoring routing. */
export function addresses(kind: ActionKind, type: 'node' | 'link', index: number, fault: Fault): boolean {
  const targetType = fault.target.node !== undefined ? 'node' : 'link';
  const cause = fault.kind === 'partition' ? fault.cutLinks.includes(index) : fault.index === index;
  if (targetType !== type || !cause) return false;
  if (!ACTIONS[kind].heals[type]?.includes(fault.kind)) return false;
  return kind !== 'clear-cache' || fault.variant === 'cache';
}
