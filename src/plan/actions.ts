/**
 * The action catalogue the planner chooses from: what each action costs, how risky it is, how
 * long it takes and what kind of target it takes, on the planner's 0..1 scales. The default is
 * derived from the domain's actions (src/domain), which the simulator implements; an executor
 * with a catalogue of its own passes that to the planner instead.
 */
import { ACTION_KINDS, ACTIONS, type ActionScope } from '../domain/actions.ts';
import type { TargetScope } from '../domain/targets.ts';

/** A remediation the executor can carry out, as the planner weighs it. */
export interface ActionSpec {
  /** The action's name, as executors and runbooks spell it. */
  name: string;
  /** Whether the action takes a node, a link, or either (reroute around a node or a link). */
  scope: ActionScope;
  /** Cost, 0..1 (operator time, spend, disruption). */
  cost: number;
  /** Risk, 0..1: the chance it fails, plus a share for a hold it leaves behind. */
  risk: number;
  /** Ticks until the action takes effect; slower remedies leave the fault in place longer. */
  duration: number;
  /**
   * Target type on which the action only moves traffic away from the fault instead of repairing
   * it (rerouting around a node leaves the node broken): a stopgap, planned only when no remedy
   * is left for that target.
   */
  stopgapOn?: TargetScope;
  /**
   * Ticks after it completes until its effect lapses by itself (a quarantine's or a rate limit's
   * hold), if it does: the target then returns to its old state, which is no new fault.
   */
  lapsesAfter?: number;
  /** Moves traffic onto other paths (a reroute): no use across a partition's cut, where no other path is left. */
  detours?: boolean;
  /** Takes its target out of service (a quarantine): the target's own telemetry stays off its normal, so recovery is judged around it. */
  isolates?: boolean;
  /** Leaves nothing lasting to undo (a restart, a failover): the loop does not roll it back when it did not heal. */
  irreversible?: boolean;
}

/** A lasting side effect (a hold that must lapse or be undone) counts as this much extra risk. */
const HOLD_RISK = 0.1;

/**
 * The domain's actions in the planner's terms: cost scaled from 1..10 units to 0..1, risk = the
 * chance it fails plus a share for a hold it leaves behind, duration and hold in ticks.
 */
export const DEFAULT_ACTIONS: readonly ActionSpec[] = ACTION_KINDS.map((name) => {
  const a = ACTIONS[name];
  return {
    name,
    scope: a.scope,
    cost: a.cost / 10,
    risk: a.failureProbability + (a.holdTicks > 0 ? HOLD_RISK : 0),
    duration: a.duration,
    ...(a.holdTicks > 0 ? { lapsesAfter: a.holdTicks } : {}),
    ...(a.stopgapOn ? { stopgapOn: a.stopgapOn } : {}),
    ...(a.detours ? { detours: true } : {}),
    ...(a.isolates ? { isolates: true } : {}),
    ...(a.irreversible ? { irreversible: true } : {}),
  };
});
