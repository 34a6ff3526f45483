/**
 * A run's ground truth read back from truth.json (written by `run --export`, see export.ts), as
 * a GroundTruthSource: `replay --truth` scores the replayed loop with the live run's Evaluator,
 * so both figures mean the same. The replay acts on nothing, so it has no healing tickets; the
 * faults keep the ends the live run's healing gave them, since the recorded telemetry shows those.
 */
import type { MeshGraph } from '../analyze/graph.ts';
import type { LinkTarget, Target } from '../domain/targets.ts';
import { ConfigError, type ConfigProblem } from '../errors.ts';
import { type FaultRecord, SIM_FAULT_KINDS, type SimFaultKind } from '../sim/index.ts';
import type { GroundTruthSource } from './evaluate.ts';

/** A run's recorded faults on the replay's graph, times in the replay's ticks. */
export class RecordedTruth implements GroundTruthSource {
  /** The mesh the faults struck, as the Evaluator indexes it. */
  readonly topology: GroundTruthSource['topology'];
  /** Ticks the recorded run lasted. */
  readonly now: number;
  readonly #faults: readonly FaultRecord[];
  readonly #graph: MeshGraph;

  private constructor(graph: MeshGraph, faults: readonly FaultRecord[], ticks: number) {
    this.#graph = graph;
    this.#faults = faults;
    this.now = ticks;
    this.topology = {
      nodeCount: graph.size,
      nodeIndex: (id) => graph.indexOf(id),
      linkIndex: ([a, b]) => graph.linkBetween(graph.indexOf(a), graph.indexOf(b)),
    };
  }

  /**
   * Reads a parsed truth.json against the replay's graph. Times are divided by `tickSeconds`,
   * the replay's seconds per tick. Throws a ConfigError listing every problem at its JSON path
   * (a missing field, an unknown fault kind, a node or link the topology does not have).
   */
  static parse(value: unknown, graph: MeshGraph, tickSeconds = 1, file = 'truth'): RecordedTruth {
    const problems: ConfigProblem[] = [];
    const record = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!record(value) || !Array.isArray(value.faults)) {
      throw new ConfigError(file, [{ path: '/faults', message: 'expected an object with a faults array' }]);
    }
    const ticks = typeof value.ticks === 'number' && Number.isFinite(value.ticks) ? value.ticks : undefined;
    if (ticks === undefined) problems.push({ path: '/ticks', message: 'expected a number of ticks' });
    const known = new Set(graph.nodeIds);
    const faults: FaultRecord[] = [];
    value.faults.forEach((f: unknown, i) => {
      const at = `/faults/${i}`;
      const before = problems.length;
      const problem = (field: string, message: string) => problems.push({ path: `${at}/${field}`, message });
      if (!record(f)) {
        problems.push({ path: at, message: 'expected a fault object' });
        return;
      }
      if (!SIM_FAULT_KINDS.includes(f.kind as SimFaultKind))
        problem('kind', `expected one of ${SIM_FAULT_KINDS.join(', ')}`);
      const target = readTarget(f.target, graph, known);
      if (typeof target === 'string') problem('target', target);
      if (typeof f.start !== 'number' || !Number.isFinite(f.start)) problem('start', 'expected a tick');
      if (f.end !== null && (typeof f.end !== 'number' || !Number.isFinite(f.end)))
        problem('end', 'expected a tick, or null for a fault that never ended');
      const affected = Array.isArray(f.affectedNodes) ? f.affectedNodes : undefined;
      if (!affected?.every((n) => typeof n === 'string' && known.has(n)))
        problem('affectedNodes', 'expected the ids of nodes of the topology');
      const cut = Array.isArray(f.cut) ? f.cut.map((c) => readTarget(c, graph, known)) : ['expected a list'];
      if (cut.some((c) => typeof c === 'string')) problem('cut', 'expected links of the topology');
      if (problems.length > before) return;
      faults.push({
        id: typeof f.id === 'number' ? f.id : i,
        kind: f.kind as SimFaultKind,
        target: target as Target,
        start: (f.start as number) / tickSeconds,
        end: f.end === null ? Number.POSITIVE_INFINITY : (f.end as number) / tickSeconds,
        severity: typeof f.severity === 'number' ? f.severity : 1,
        affectedNodes: affected as string[],
        cut: cut as LinkTarget[],
      });
    });
    if (problems.length) throw new ConfigError(file, problems);
    return new RecordedTruth(graph, faults, (ticks as number) / tickSeconds);
  }

  /** The recorded faults. */
  groundTruth(): FaultRecord[] {
    return [...this.#faults];
  }

  /** None: a replay heals nothing. */
  actions(): ReadonlyArray<{ readonly completes: number; readonly action: { readonly kind: string } }> {
    return [];
  }

  /** The nodes and links that were the root cause of a fault active at `tick`. */
  truthAt(tick: number): { faultyNodes: Uint8Array; faultyLinks: Uint8Array } {
    const graph = this.#graph;
    const faultyNodes = new Uint8Array(graph.size);
    const faultyLinks = new Uint8Array(graph.links.length);
    for (const f of this.#faults) {
      if (tick < f.start || tick >= f.end) continue;
      for (const target of f.cut.length ? f.cut : [f.target]) {
        if (target.node !== undefined) faultyNodes[graph.indexOf(target.node)] = 1;
        else faultyLinks[this.topology.linkIndex(target.link)] = 1;
      }
    }
    return { faultyNodes, faultyLinks };
  }
}

/** A `{node}` or `{link: [a, b]}` target of the graph, or what is wrong with it. */
function readTarget(value: unknown, graph: MeshGraph, known: ReadonlySet<string>): Target | string {
  const t = value as { node?: unknown; link?: unknown } | null;
  if (typeof t?.node === 'string')
    return known.has(t.node) ? { node: t.node } : `unknown node ${JSON.stringify(t.node)}`;
  if (Array.isArray(t?.link) && t.link.length === 2 && t.link.every((n) => typeof n === 'string')) {
    const [a, b] = t.link as [string, string];
    if (!known.has(a) || !known.has(b) || graph.linkBetween(graph.indexOf(a), graph.indexOf(b)) < 0)
      return `no link ${JSON.stringify(a)}-${JSON.stringify(b)} in the topology`;
    return { link: [a, b] };
  }
  return 'expected {"node": id} or {"link": [id, id]}';
}
