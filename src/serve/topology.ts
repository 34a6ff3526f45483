/**
 * The operator's topology file: the nodes the engine watches, the mesh's undirected links, the
 * services' directed calls, the gateways and, optionally, each node's next hop. `parseTopology`
 * checks a parsed JSON value against schema/topology.schema.json and then for what a schema cannot
 * say (duplicate ids, names of unknown nodes, self-links, a next hop that is no neighbour),
 * reporting every problem at its JSON path; `topologyGraph` turns a topology into the MeshGraph
 * Analyze ranks root causes on. Node ids are kept exactly as written: they may hold `:`, `/`,
 * `@` and spaces.
 */
import schema from '../../schema/topology.schema.json' with { type: 'json' };
import { MeshGraph } from '../analyze/graph.ts';
import { ConfigError, type ConfigProblem } from '../errors.ts';
import { compileSchema, isRecord, pointer } from './json-schema.ts';

/** A node of the topology. */
export interface TopologyNode {
  /** The node's id, as its samples name it. */
  id: string;
  /** What the node is (router, database...), for people; the engine does not interpret it. */
  role?: string;
  /** Horizontal coordinate, for drawings. */
  x?: number;
  /** Vertical coordinate, for drawings. */
  y?: number;
}

/** The systems the engine watches, as `parseTopology` returns them (absent lists empty). */
export interface Topology {
  /** Every node, in the file's order (a node's index in the graph). */
  nodes: TopologyNode[];
  /** Undirected links between two nodes. */
  links: [string, string][];
  /** Directed dependencies `[caller, callee]`: a callee's fault shows at its callers. */
  calls: [caller: string, callee: string][];
  /** Nodes where traffic leaves the mesh. */
  gateways: string[];
  /** Each listed node's next hop (a neighbour); nodes not listed have no route. */
  routes?: Record<string, string>;
}

const check = compileSchema(schema);

/**
 * Reads a topology from a parsed JSON value; throws a ConfigError listing every problem, each at
 * its JSON path (schema faults, duplicate node ids, links, calls, gateways or routes naming an
 * unknown node, links or calls from a node to itself, duplicates, a next hop that is not a neighbour).
 * @param value the parsed file
 * @param file how the file is named in the error (default `topology`)
 */
export function parseTopology(value: unknown, file = 'topology'): Topology {
  const problems = [...check(value), ...semanticProblems(value)];
  if (problems.length) throw new ConfigError(file, problems);
  const t = value as Topology;
  const pairs = (list: readonly (readonly [string, string])[] | undefined) =>
    (list ?? []).map(([a, b]) => [a, b] as [string, string]);
  return {
    nodes: t.nodes.map(({ id, role, x, y }) => ({
      id,
      ...(role !== undefined ? { role } : {}),
      ...(x !== undefined ? { x } : {}),
      ...(y !== undefined ? { y } : {}),
    })),
    links: pairs(t.links),
    calls: pairs(t.calls),
    gateways: [...(t.gateways ?? [])],
    ...(t.routes ? { routes: Object.fromEntries(Object.entries(t.routes)) } : {}),
  };
}

/**
 * The MeshGraph of a topology: its nodes in order, links, gateways and calls, with its routing
 * table when the topology gives routes. Throws an ArgumentError for a topology that names an
 * unknown node (one from `parseTopology` never does).
 */
export function topologyGraph(topology: Topology): MeshGraph {
  const ids = topology.nodes.map((n) => n.id);
  const graph = new MeshGraph(ids, topology.links, topology.gateways, topology.calls);
  const routes = topology.routes;
  if (routes) {
    graph.setRoutes(
      ids.map((id) => (Object.hasOwn(routes, id) ? graph.indexOf(routes[id], `routes/${id}`) : -1)),
    );
  }
  return graph;
}

/** What the schema cannot check, on whatever parts of `value` have the right shape. */
function semanticProblems(value: unknown): ConfigProblem[] {
  if (!isRecord(value)) return [];
  const problems: ConfigProblem[] = [];
  const known = new Map<string, number>();
  listOf(value.nodes).forEach((node, i) => {
    if (!isRecord(node) || !isId(node.id)) return;
    const first = known.get(node.id);
    if (first === undefined) known.set(node.id, i);
    else
      problems.push({
        path: pointer('/nodes', i, 'id'),
        message: `duplicate node id ${JSON.stringify(node.id)} (first at ${pointer('/nodes', first)})`,
      });
  });
  const unknown = (id: string) => `unknown node ${JSON.stringify(id)}`;
  const neighbours = new Set<string>();
  for (const field of ['links', 'calls'] as const) {
    const seen = new Map<string, number>();
    listOf(value[field]).forEach((pair, i) => {
      if (!Array.isArray(pair)) return;
      pair.slice(0, 2).forEach((id, end) => {
        if (isId(id) && !known.has(id))
          problems.push({ path: pointer(`/${field}`, i, end), message: unknown(id) });
      });
      if (!isPair(pair)) return;
      const [a, b] = pair;
      if (a === b) {
        const what = field === 'links' ? 'links a node to itself' : 'a node calling itself';
        problems.push({ path: pointer(`/${field}`, i), message: `${what} (${JSON.stringify(a)})` });
        return;
      }
      // Links are undirected (a-b is b-a); calls are not.
      const key = JSON.stringify(field === 'links' && b < a ? [b, a] : [a, b]);
      const first = seen.get(key);
      if (first !== undefined)
        problems.push({
          path: pointer(`/${field}`, i),
          message: `duplicate of ${pointer(`/${field}`, first)}`,
        });
      else seen.set(key, i);
      if (field === 'links') neighbours.add(JSON.stringify([a, b])).add(JSON.stringify([b, a]));
    });
  }
  const gateways = new Map<string, number>();
  listOf(value.gateways).forEach((id, i) => {
    if (!isId(id)) return;
    if (!known.has(id)) problems.push({ path: pointer('/gateways', i), message: unknown(id) });
    const first = gateways.get(id);
    if (first !== undefined)
      problems.push({
        path: pointer('/gateways', i),
        message: `duplicate of ${pointer('/gateways', first)}`,
      });
    else gateways.set(id, i);
  });
  if (isRecord(value.routes)) {
    for (const [node, hop] of Object.entries(value.routes)) {
      const path = pointer('/routes', node);
      if (isId(node) && !known.has(node)) problems.push({ path, message: unknown(node) });
      if (!isId(hop)) continue;
      if (!known.has(hop)) problems.push({ path, message: `next hop: ${unknown(hop)}` });
      else if (hop === node) problems.push({ path, message: 'routes a node through itself' });
      else if (known.has(node) && !neighbours.has(JSON.stringify([node, hop])))
        problems.push({
          path,
          message: `next hop ${JSON.stringify(hop)} is not a neighbour of ${JSON.stringify(node)} (no link between them)`,
        });
    }
  }
  return problems;
}

function listOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A node id as the schema allows it (the schema reports any other value). */
function isId(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function isPair(value: unknown): value is [string, string] {
  return Array.isArray(value) && value.length === 2 && value.every(isId);
}
