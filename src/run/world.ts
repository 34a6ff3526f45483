/**
 * The messy world a run can be measured in (issue 17): faults arriving at random so that they
 * overlap and set off cascades, planned changes announced to the engine, and imperfect telemetry.
 * MeshLoop builds it from `WorldOptions`; without them a run keeps the isolated-fault schedule.
 */
import type { MapeKLoop } from '../loop/loop.ts';
import {
  DEFAULT_FAULT_RATE,
  type MeshSimulator,
  type PlannedChangeRecord,
  scheduleArrivals,
  type TelemetryOptions,
} from '../sim/index.ts';

/** How messy the simulated world is. */
export interface WorldOptions {
  /**
   * Faults arrive at random at `faultRate` and may overlap, in time and in place; crashes and
   * leaks set off cascades. Without it, faults keep to their own time slots.
   */
  readonly overlap?: boolean;
  /** Faults per node per hour with `overlap` (default DEFAULT_FAULT_RATE). */
  readonly faultRate?: number;
  /** Planned changes per hour with `overlap` (default 0), each announced to the loop. */
  readonly changesPerHour?: number;
  /** How the telemetry reaching the engine is degraded (default: delivered whole and on time). */
  readonly telemetry?: TelemetryOptions;
}

/**
 * The telemetry imperfections that go with a loss rate, for a one-number setting (`run
 * --telemetry-loss`): `loss` of the samples lost, a quarter as many late (up to 5 ticks) and as
 * many duplicated, node clocks up to half a second apart, and an agent falling silent for 5 to 30
 * minutes about once a day per node.
 */
export function telemetryWithLoss(loss: number): TelemetryOptions {
  return { loss, late: loss / 4, duplicate: loss / 4, skew: 0.5, silenceRate: 1 / 24 };
}

/**
 * Injects the random fault arrivals of `hours` from `startTick` into `sim` and plans its changes,
 * seeded by `seed`; returns the changes, to announce to the loop (`announceChanges`).
 */
export function scheduleWorld(
  sim: MeshSimulator,
  world: WorldOptions,
  options: { seed: number; hours: number; startTick: number },
): PlannedChangeRecord[] {
  const schedule = scheduleArrivals({
    seed: options.seed,
    topology: sim.topology,
    hours: options.hours,
    rate: world.faultRate ?? DEFAULT_FAULT_RATE,
    changesPerHour: world.changesPerHour ?? 0,
  });
  for (const spec of schedule.faults) sim.inject({ ...spec, start: (spec.start ?? 0) + options.startTick });
  return schedule.changes.map((spec) => sim.plan({ ...spec, start: spec.start + options.startTick }));
}

/** Tells the loop of every planned change, so that it takes no action against them. */
export function announceChanges(loop: MapeKLoop, changes: readonly PlannedChangeRecord[]): void {
  for (const change of changes)
    loop.announceChange({
      id: `${change.kind}-${change.id}`,
      nodes: change.nodes,
      from: change.start,
      until: change.end,
    });
}
