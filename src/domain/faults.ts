/**
 * The fault kinds the engine knows: what runbooks are written about, what a diagnosis names, and
 * (a subset, see src/sim) what the simulator injects. Each kind lives on a node or on a link,
 * which tells the planner what its remedies must target.
 */
import type { TargetScope } from './targets.ts';

/** Every fault kind, the nine the simulator injects first. */
export const FAULT_KINDS = [
  'node-crash',
  'link-degradation',
  'congestion',
  'cpu-exhaustion',
  'memory-leak',
  'partition',
  'misbehaving-node',
  'flapping-link',
  'bad-config',
  'disk-full',
  'dns-failure',
  'cert-expiry',
  'clock-skew',
  'mtu-mismatch',
  'routing-loop',
  'thread-pool-exhaustion',
  'gc-pause',
  'connection-leak',
  'dependency-timeout',
  'ddos',
] as const;

/** One of FAULT_KINDS. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Whether a kind's root cause is a node or a link. A partition is a link fault: it is cut at a
 * trunk link, and every link between the region cut off and the rest goes down with it.
 */
export const FAULT_SCOPE: Readonly<Record<FaultKind, TargetScope>> = {
  'node-crash': 'node',
  'link-degradation': 'link',
  congestion: 'node',
  'cpu-exhaustion': 'node',
  'memory-leak': 'node',
  partition: 'link',
  'misbehaving-node': 'node',
  'flapping-link': 'link',
  'bad-config': 'node',
  'disk-full': 'node',
  'dns-failure': 'node',
  'cert-expiry': 'node',
  'clock-skew': 'node',
  'mtu-mismatch': 'link',
  'routing-loop': 'node',
  'thread-pool-exhaustion': 'node',
  'gc-pause': 'node',
  'connection-leak': 'node',
  'dependency-timeout': 'node',
  ddos: 'node',
};

/** Whether `name` is one of FAULT_KINDS. */
export function isFaultKind(name: unknown): name is FaultKind {
  return typeof name === 'string' && Object.hasOwn(FAULT_SCOPE, name);
}
