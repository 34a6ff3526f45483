/**
 * The small service the engine tests share: three nodes in a chain (the first calls through the
 * second to the gateway at the end), two metrics, one-second ticks and no lateness, so that every
 * submitted second is a tick as soon as the next one arrives.
 */
import { parseEngineConfig } from '../src/serve/config.ts';
import { parseTopology, type Topology } from '../src/serve/topology.ts';

/** The telemetry's first second (Unix time). */
export const T0 = 1_700_000_000;

/** `nodes` linked in a chain, the last one the gateway. */
export function chainTopology(nodes: readonly string[]): Topology {
  return parseTopology({
    nodes: nodes.map((id) => ({ id })),
    links: nodes.slice(1).map((id, i) => [nodes[i], id]),
    gateways: [nodes[nodes.length - 1]],
  });
}

/** An error rate (a local fault's metric) and a p95 latency, ticking every second. */
export const CHAIN_CONFIG = parseEngineConfig({
  tickSeconds: 1,
  latenessSeconds: 0,
  metrics: [
    { name: 'errorRate', min: 0, max: 1, harmful: 'up', roles: ['local'] },
    { name: 'latencyP95', min: 0, harmful: 'up' },
  ],
});
