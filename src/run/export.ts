/**
 * A simulated run in the operator's formats (`x0tta6bl4 run --export <dir>`), so that `replay`
 * and `rca` can be checked against a run whose faults are known:
 * - telemetry: one sample per reporting node, metric and tick, as NDJSON
 *   `{"ts","node","metric","value"}` or long CSV `ts,node,metric,value` (ts = the tick, in
 *   seconds; a node that is down sends nothing, as on a real mesh);
 * - the topology (nodes with coordinates, links, gateways and the routes at the first tick);
 * - route changes: the simulator reroutes while faults come and go, and root-cause ranking
 *   follows routes, so every change of a node's next hop is one NDJSON line
 *   `{"ts","node","nextHop"}` (nextHop null for none), the way a mesh agent reports its routing
 *   table; `replay --routes` applies a tick's changes before that tick, as the live run did;
 * - the ground truth: each fault's kind, target, start and end, the nodes it perturbed and a
 *   partition's cut, which `replay --truth` scores against with the live run's evaluator.
 * Nothing here touches a file system: text goes to the caller's `write` as it is produced.
 */
import type { LinkTarget, Target } from '../domain/targets.ts';
import type { FaultRecord, RouteTable, TickFrame, Topology } from '../sim/index.ts';
import { METRIC_NAMES } from '../sim/index.ts';

/** The telemetry formats an export can write. */
export type TelemetryFormat = 'ndjson' | 'csv';

/** A mesh as the topology file describes it (schema/topology.schema.json). */
export interface TopologyFile {
  /** Every node, with its coordinates. */
  nodes: Array<{ id: string; x: number; y: number }>;
  /** Undirected radio links, as pairs of node ids. */
  links: Array<[string, string]>;
  /** Directed service calls (none in a radio mesh). */
  calls: Array<[string, string]>;
  /** Where traffic leaves the mesh. */
  gateways: string[];
  /** Each routed node's next hop at the first tick (gateways have none). */
  routes: Record<string, string>;
}

/** One fault of a run as truth.json records it. */
export interface TruthFault {
  /** The simulator's fault id. */
  id: number;
  /** Its kind, e.g. `node-crash`. */
  kind: string;
  /** The node or link it struck. */
  target: Target;
  /** First tick of the fault. */
  start: number;
  /** First tick without it (its natural end or the tick an action healed it); null if it never ended. */
  end: number | null;
  /** How hard it hit, 0..1. */
  severity: number;
  /** Its variant, for kinds that have one. */
  variant?: string;
  /** The nodes whose metrics it perturbed. */
  affectedNodes: string[];
  /** A partition's cut (each of its links counts as the root cause); empty for other kinds. */
  cut: LinkTarget[];
  /** The kind of the live run's action that ended it, if one did. */
  healedBy?: string;
}

/** What truth.json holds: the run's parameters and its faults. */
export interface TruthFile {
  /** The run's seed. */
  seed: number;
  /** Mesh size. */
  nodes: number;
  /** Ticks simulated (one a second). */
  ticks: number;
  /** Seconds per tick of the telemetry. */
  tickSeconds: number;
  /** Every fault injected. */
  faults: TruthFault[];
}

/** Writes a run's telemetry and route changes as its frames come (see the module comment). */
export class RunExport {
  readonly #format: TelemetryFormat;
  readonly #telemetry: (text: string) => void;
  readonly #routeChanges: (text: string) => void;
  #routes?: Int32Array;
  #initialRoutes?: Int32Array;
  #header: boolean;

  /**
   * An export writing its telemetry in `format`.
   * @param format the telemetry's format
   * @param telemetry receives the telemetry text, a tick at a time
   * @param routeChanges receives the route-change lines, a tick at a time
   */
  constructor(
    format: TelemetryFormat,
    telemetry: (text: string) => void,
    routeChanges: (text: string) => void,
  ) {
    this.#format = format;
    this.#telemetry = telemetry;
    this.#routeChanges = routeChanges;
    this.#header = format === 'csv';
  }

  /** Takes one frame and the routes in force at it (a MeshLoopOptions.onFrame). */
  frame(frame: TickFrame, routes: RouteTable): void {
    const { nodeIds, reporting, tick } = frame;
    const lines: string[] = [];
    if (this.#header) {
      lines.push('ts,node,metric,value');
      this.#header = false;
    }
    const csv = this.#format === 'csv';
    for (let i = 0; i < nodeIds.length; i++) {
      if (!reporting[i]) continue;
      const node = csv ? csvField(nodeIds[i]) : JSON.stringify(nodeIds[i]);
      for (const metric of METRIC_NAMES) {
        const value = frame.metrics[metric][i];
        lines.push(
          csv
            ? `${tick},${node},${metric},${value}`
            : `{"ts":${tick},"node":${node},"metric":"${metric}","value":${JSON.stringify(value)}}`,
        );
      }
    }
    if (lines.length) this.#telemetry(`${lines.join('\n')}\n`);
    this.#noteRoutes(tick, nodeIds, routes.nextHop);
  }

  #noteRoutes(tick: number, nodeIds: readonly string[], nextHop: Int32Array): void {
    if (!this.#routes) {
      this.#routes = nextHop.slice();
      this.#initialRoutes = nextHop.slice();
      return;
    }
    const lines: string[] = [];
    for (let i = 0; i < nextHop.length; i++) {
      if (nextHop[i] === this.#routes[i]) continue;
      const hop = nextHop[i] < 0 ? null : nodeIds[nextHop[i]];
      lines.push(JSON.stringify({ ts: tick, node: nodeIds[i], nextHop: hop }));
      this.#routes[i] = nextHop[i];
    }
    if (lines.length) this.#routeChanges(`${lines.join('\n')}\n`);
  }

  /** The topology file of the mesh, with the routes of the first frame. */
  topology(topology: Topology): TopologyFile {
    const ids = topology.nodeIds;
    const routes: Record<string, string> = {};
    this.#initialRoutes?.forEach((hop, i) => {
      if (hop >= 0) routes[ids[i]] = ids[hop];
    });
    return {
      nodes: ids.map((id, i) => ({ id, x: topology.x[i], y: topology.y[i] })),
      links: Array.from(topology.linkFrom, (from, l) => [ids[from], ids[topology.linkTo[l]]]),
      calls: [],
      gateways: ids.filter((_, i) => topology.isGateway[i]),
      routes,
    };
  }
}

/** The ground truth of a run, as truth.json records it. */
export function truthFile(options: {
  seed: number;
  ticks: number;
  nodes: number;
  faults: readonly FaultRecord[];
  /** The kind of the action that ended a fault, by fault id (the run report's `faults[].healedBy`). */
  healedBy?: (faultId: number) => string | undefined;
}): TruthFile {
  return {
    seed: options.seed,
    nodes: options.nodes,
    ticks: options.ticks,
    tickSeconds: 1,
    faults: options.faults.map((f) => {
      const healer = options.healedBy?.(f.id);
      return {
        id: f.id,
        kind: f.kind,
        target: f.target,
        start: f.start,
        end: Number.isFinite(f.end) ? f.end : null,
        severity: f.severity,
        ...(f.variant !== undefined ? { variant: f.variant } : {}),
        affectedNodes: [...f.affectedNodes],
        cut: [...f.cut],
        ...(healer !== undefined ? { healedBy: healer } : {}),
      };
    }),
  };
}

/** A CSV field, quoted (RFC 4180) when it holds a comma, a quote, a line break or edge spaces. */
export function csvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
