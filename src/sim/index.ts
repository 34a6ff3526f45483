/**
 * src/sim owns the deterministic mesh simulator the engine is measured against: seeded
 * topologies (geometric, scale-free, grid; 5..10,000 nodes) with radio links, shortest-path
 * traffic toward gateways, eight per-node metrics per tick as columnar typed arrays, fault
 * injection with ground truth, remediation actions that heal only what they address, and seeded
 * fault schedules; for a messier world, faults arriving at random (overlapping, setting off
 * cascades), planned changes, imperfect telemetry (lost, late, duplicated, skewed, silent
 * agents), and a change of which action heals which fault midway through a run. One tick is one
 * simulated second. Fault kinds, actions (their durations, costs and failure chances) and
 * targets come from the domain vocabulary (src/domain); nothing here depends on a stage.
 *
 * Start with `new MeshSimulator({ seed, topology: { kind: 'geometric', nodes: 50 } })`, inject
 * `scheduleFaults({ seed, topology: sim.topology })`, call `tick()` for frames, `apply()` for
 * actions (`{ kind: 'restart-service', target: { node: 'n3' } }`), and `truthAt()` / `isFaulty()`
 * to score an engine. A node that is down reports nothing: its `reporting` flag is 0 and its
 * metrics are NaN for that tick.
 */
export { MeshSimulator, type SimOptions } from './simulator.ts';
export {
  Topology,
  buildTopology,
  MIN_NODES,
  MAX_NODES,
  type TopologyKind,
  type TopologyOptions,
} from './topology.ts';
export { METRIC_NAMES, copyFrame, type MetricName, type TickFrame } from './frame.ts';
export {
  FAULT_VARIANTS,
  SIM_FAULT_KINDS,
  type FaultRecord,
  type FaultSpec,
  type FaultVariant,
  type SimFaultKind,
} from './faults.ts';
export {
  ACTION_EFFECTS,
  type ActionEffect,
  type ActionStatus,
  type ActionTicket,
  type SimAction,
} from './actions.ts';
export { maxFaultsPerKind, scheduleFaults, type ScheduleOptions } from './schedule.ts';
export { checkWorldChange, type WorldChange } from './world-change.ts';
export {
  DEFAULT_FAULT_RATE,
  scheduleArrivals,
  type ArrivalOptions,
  type ArrivalSchedule,
} from './arrivals.ts';
export {
  PLANNED_CHANGE_KINDS,
  type PlannedChangeKind,
  type PlannedChangeRecord,
  type PlannedChangeSpec,
} from './changes.ts';
export {
  TelemetryChannel,
  type Silence,
  type TelemetryOptions,
  type TelemetryStats,
} from './telemetry.ts';
export type { TruthSnapshot } from './truth.ts';
export type { RouteTable } from './routing.ts';
export { Rng } from '../random.ts';
