/**
 * The action catalogue the planner chooses from: what each action costs, how risky it is, and
 * what kind of target it takes. Costs and risks are on a 0..1 scale relative to each other.
 */

/** A remediation the executor can carry out. */
export interface ActionSpec {
  name: string;
  /** Whether the action takes a node, a link, or either (reroute around a node or a link). */
  target: 'node' | 'link' | 'any';
  cost: number;
  risk: number;
  /** Ticks until the action takes effect; slower remedies leave the fault in place longer. */
  duration: number;
  /**
   * Target type on which the action only moves traffic away from the fault instead of repairing
   * it (rerouting around a node leaves the node broken): a stopgap, planned only when no remedy
   * is left for that target.
   */
  stopgapOn?: 'node' | 'link';
  /**
   * Ticks after it completes until its effect lapses by itself (a quarantine's or a rate limit's
   * hold), if it does: the target then returns to its old state, which is no new fault.
   */
  lapsesAfter?: number;
  /** Moves traffic onto other paths (a reroute): no use across a partition's cut, where no other path is left. */
  detours?: boolean;
  /** Takes its target out of service (a quarantine): the target's own telemetry stays off its normal, so recovery is judged around it. */
  isolates?: boolean;
}

/**
 * The engine's action set with typical durations in seconds (the simulator implements every one
 * of them; an executor with its own catalogue passes it to the planner instead).
 */
export const DEFAULT_ACTIONS: readonly ActionSpec[] = [
  { name: 'restart-service', target: 'node', cost: 0.2, risk: 0.15, duration: 15 },
  { name: 'clear-cache', target: 'node', cost: 0.05, risk: 0.05, duration: 1 },
  { name: 'scale-up', target: 'node', cost: 0.3, risk: 0.05, duration: 30 },
  { name: 'scale-down', target: 'node', cost: 0.1, risk: 0.2, duration: 10 },
  { name: 'rate-limit', target: 'node', cost: 0.15, risk: 0.1, duration: 1 },
  { name: 'rollback-config', target: 'node', cost: 0.2, risk: 0.1, duration: 5 },
  { name: 'quarantine-node', target: 'node', cost: 0.35, risk: 0.3, duration: 3, isolates: true },
  { name: 'failover', target: 'any', cost: 0.3, risk: 0.2, duration: 5 },
  { name: 'reroute', target: 'any', cost: 0.1, risk: 0.1, duration: 2, stopgapOn: 'node', detours: true },
];
