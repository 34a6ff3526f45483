/**
 * The per-tick output of the simulator: one Float64Array per metric, indexed by node, plus a
 * reporting flag. Columnar so that an engine can hand whole columns to wasm kernels without
 * copying; reused across ticks so that stepping allocates nothing.
 */

/** The eight per-node metrics, in column order. */
export const METRIC_NAMES = [
  'cpu',
  'memory',
  'packetLoss',
  'latencyP95',
  'throughput',
  'errorRate',
  'queueDepth',
  'linkQuality',
] as const;

/** One of METRIC_NAMES. */
export type MetricName = (typeof METRIC_NAMES)[number];

/**
 * Metrics of every node at one tick. Units: cpu and memory in percent (0..100); packetLoss and
 * errorRate as fractions (0..1); latencyP95 in milliseconds; throughput in Mbit/s; queueDepth in
 * packets; linkQuality in 0..1. A node that is down (crashed or restarting) sends no telemetry:
 * its `reporting` flag is 0 and its metrics are NaN for that tick.
 *
 * The simulator overwrites the same frame on every tick: copy what you keep (see `copyFrame`).
 */
export interface TickFrame {
  /** The simulated second this frame describes. */
  tick: number;
  /** Node ids, index-aligned with every column. */
  readonly nodeIds: readonly string[];
  /** One column per metric, one value per node (NaN where the node did not report). */
  readonly metrics: Readonly<Record<MetricName, Float64Array>>;
  /** 1 where the node reported this tick. */
  readonly reporting: Uint8Array;
}

/** A frame with zeroed columns for `nodeIds`. */
export function allocateFrame(nodeIds: readonly string[]): TickFrame {
  const n = nodeIds.length;
  const metrics = Object.fromEntries(METRIC_NAMES.map((name) => [name, new Float64Array(n)])) as Record<
    MetricName,
    Float64Array
  >;
  return { tick: -1, nodeIds, metrics, reporting: new Uint8Array(n) };
}

/** A deep copy of a frame, for keeping it past the next tick. */
export function copyFrame(frame: TickFrame): TickFrame {
  const metrics = Object.fromEntries(
    METRIC_NAMES.map((name) => [name, frame.metrics[name].slice()]),
  ) as Record<MetricName, Float64Array>;
  return { tick: frame.tick, nodeIds: frame.nodeIds, metrics, reporting: frame.reporting.slice() };
}
