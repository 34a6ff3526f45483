/**
 * The remediation actions: the nine the engine carries out by itself (what each takes, costs and
 * risks, and what it does to traffic), and the hand work runbooks also recommend for kinds no
 * automated action fixes. The simulator implements the engine's actions with exactly these
 * durations, costs and failure chances, and the planner's default catalogue is derived from them.
 */
import type { TargetScope } from './targets.ts';

/** What an action may target: a node, a link, or either (reroute around a node or a link). */
export type ActionScope = TargetScope | 'any';

/** One action the engine can carry out. */
export interface ActionDefinition {
  /** What it may target: a node, a link, or either. */
  readonly scope: ActionScope;
  /** Ticks (seconds) from issue to completion; its effects land at completion. */
  readonly duration: number;
  /** Abstract cost units, 1..10 (operator time, spend, risk of disruption). */
  readonly cost: number;
  /** Chance that it completes without effect. */
  readonly failureProbability: number;
  /** Ticks its effect holds before it lapses by itself (a reroute, quarantine, rate limit); 0 if lasting. */
  readonly holdTicks: number;
  /** Moves traffic onto other paths: no use across a partition's cut, where no other path is left. */
  readonly detours?: true;
  /** Takes its target out of service (a quarantine): the target's own telemetry then stays off its normal. */
  readonly isolates?: true;
  /** Target type on which it only moves traffic away from the fault (rerouting around a node leaves it broken). */
  readonly stopgapOn?: TargetScope;
  /** Leaves nothing lasting to undo (a restart, a cleared cache, a failover, a config rollback): it cannot be rolled back. */
  readonly irreversible?: true;
}

/** The engine's action names, in catalogue order. */
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

/** One of the engine's actions. */
export type ActionKind = (typeof ACTION_KINDS)[number];

/** What each of the engine's actions takes, costs and does. */
export const ACTIONS: Readonly<Record<ActionKind, ActionDefinition>> = {
  // Rerouting around a node only moves its traffic; around a link it takes the link out of
  // service, which ends a link fault if no traffic still has to cross it.
  reroute: {
    scope: 'any',
    duration: 2,
    cost: 1,
    failureProbability: 0.02,
    holdTicks: 1800,
    detours: true,
    stopgapOn: 'node',
  },
  'restart-service': {
    scope: 'node',
    duration: 15,
    cost: 5,
    failureProbability: 0.05,
    holdTicks: 0,
    irreversible: true,
  },
  'clear-cache': {
    scope: 'node',
    duration: 1,
    cost: 1,
    failureProbability: 0.02,
    holdTicks: 0,
    irreversible: true,
  },
  'scale-up': { scope: 'node', duration: 30, cost: 8, failureProbability: 0.05, holdTicks: 0 },
  'scale-down': { scope: 'node', duration: 10, cost: 2, failureProbability: 0.03, holdTicks: 0 },
  'quarantine-node': {
    scope: 'node',
    duration: 3,
    cost: 6,
    failureProbability: 0.02,
    holdTicks: 1800,
    isolates: true,
  },
  // A standby node takes over a node's role; a backup link replaces a failed one.
  failover: {
    scope: 'any',
    duration: 5,
    cost: 10,
    failureProbability: 0.05,
    holdTicks: 0,
    irreversible: true,
  },
  'rate-limit': { scope: 'node', duration: 1, cost: 2, failureProbability: 0.02, holdTicks: 900 },
  'rollback-config': {
    scope: 'node',
    duration: 10,
    cost: 3,
    failureProbability: 0.05,
    holdTicks: 0,
    irreversible: true,
  },
};

/** Hand work some fault kinds need and runbooks recommend; no executor carries it out. */
export const OPERATOR_ACTION_KINDS = [
  'renew-certificate',
  'resync-clock',
  'flush-dns',
  'expand-disk',
  'fix-mtu',
] as const;

/** One of OPERATOR_ACTION_KINDS. */
export type OperatorActionKind = (typeof OPERATOR_ACTION_KINDS)[number];

/** What each operator action targets. */
export const OPERATOR_ACTIONS: Readonly<Record<OperatorActionKind, TargetScope>> = {
  'renew-certificate': 'node',
  'resync-clock': 'node',
  'flush-dns': 'node',
  'expand-disk': 'node',
  'fix-mtu': 'link',
};

/** Every action name a runbook may recommend: the engine's actions, then the operator's. */
export type ActionName = ActionKind | OperatorActionKind;

/** Every action name a runbook may recommend. */
export const ACTION_NAMES: readonly ActionName[] = [...ACTION_KINDS, ...OPERATOR_ACTION_KINDS];

/** Whether `name` is one of the engine's actions. */
export function isActionKind(name: unknown): name is ActionKind {
  return typeof name === 'string' && Object.hasOwn(ACTIONS, name);
}

/** Whether `name` is one of ACTION_NAMES. */
export function isActionName(name: unknown): name is ActionName {
  return isActionKind(name) || (typeof name === 'string' && Object.hasOwn(OPERATOR_ACTIONS, name));
}

/** What an action named `name` targets. */
export function actionScope(name: ActionName): ActionScope {
  return isActionKind(name) ? ACTIONS[name].scope : OPERATOR_ACTIONS[name];
}
