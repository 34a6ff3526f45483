/**
 * What an action or a fault lands on: a node, or the undirected link between two nodes. Targets
 * are typed so that nothing has to guess a target's kind from its spelling (a node may well be
 * called `edge-1`); the printed form `a-b` of a link is for people, logs and map keys.
 */
import { ArgumentError } from '../errors.ts';

/** Whether something lives on (or acts on) a node or a link. */
export type TargetScope = 'node' | 'link';

/** A node, by id. */
export interface NodeTarget {
  /** The node's id. */
  readonly node: string;
  /** Never set on a node target: it tells the two kinds apart. */
  readonly link?: undefined;
}

/** The undirected link between two nodes, by their ids (in either order). */
export interface LinkTarget {
  /** The ids of the link's two ends, in either order. */
  readonly link: readonly [string, string];
  /** Never set on a link target: it tells the two kinds apart. */
  readonly node?: undefined;
}

/** A node or a link. */
export type Target = NodeTarget | LinkTarget;

/** The node `id` as a target. */
export function nodeTarget(id: string): NodeTarget {
  return { node: id };
}

/** The link between nodes `a` and `b` as a target. */
export function linkTarget(a: string, b: string): LinkTarget {
  return { link: [a, b] };
}

/** Whether the target is a node or a link. */
export function targetScope(target: Target): TargetScope {
  return target.node !== undefined ? 'node' : 'link';
}

/** The node ids a target touches: the node, or both ends of the link. */
export function targetNodes(target: Target): readonly string[] {
  return target.node !== undefined ? [target.node] : target.link;
}

/**
 * The target's printed form: the node id, or `a-b` for a link. Equal targets print equally only
 * when their link ends are given in the same order; compare targets with {@link sameTarget}.
 */
export function printTarget(target: Target): string {
  return target.node !== undefined ? target.node : `${target.link[0]}-${target.link[1]}`;
}

/**
 * Reads a printed target back, resolving it against the known node ids: `text` names a node, or
 * splits at one `-` into two known nodes (a link). Throws ArgumentError naming `argument` when it
 * names neither, or more than one reading fits (nodes `a`, `a-b` and `b-c` make `a-b-c` ambiguous).
 */
export function parseTarget(text: string, isNode: (id: string) => boolean, argument = 'target'): Target {
  if (typeof text !== 'string' || text === '')
    throw new ArgumentError(argument, `expected a node id or a link "a-b", got ${JSON.stringify(text)}`);
  const readings: Target[] = isNode(text) ? [nodeTarget(text)] : [];
  for (let at = text.indexOf('-'); at > 0; at = text.indexOf('-', at + 1)) {
    const a = text.slice(0, at);
    const b = text.slice(at + 1);
    if (isNode(a) && isNode(b)) readings.push(linkTarget(a, b));
  }
  if (readings.length === 1) return readings[0];
  throw new ArgumentError(
    argument,
    readings.length === 0
      ? `${JSON.stringify(text)} is neither a known node nor a link "a-b" between two known nodes`
      : `${JSON.stringify(text)} is ambiguous: it reads as ${readings.map(describeTarget).join(' or as ')}`,
  );
}

/** Whether two targets are the same node, or the same link (ends in either order). */
export function sameTarget(a: Target, b: Target): boolean {
  if (a.node !== undefined || b.node !== undefined) return a.node === b.node;
  const [p, q] = a.link;
  const [r, s] = b.link;
  return (p === r && q === s) || (p === s && q === r);
}

/**
 * A key for maps and sets: equal for the same target (a link's ends in either order), distinct
 * for different ones, whatever the ids contain (unlike the printed form, where the node `a-b`
 * and the link between `a` and `b` look alike).
 */
export function targetKey(target: Target): string {
  if (target.node !== undefined) return JSON.stringify(target.node);
  const [a, b] = target.link;
  return JSON.stringify(a < b ? [a, b] : [b, a]);
}

/**
 * Checks that `value` is a well-formed target (`{ node: id }` or `{ link: [a, b] }` with two
 * distinct non-empty ids) and returns it; throws ArgumentError naming `argument` otherwise.
 */
export function checkTarget(value: unknown, argument = 'target'): Target {
  const t = value as { node?: unknown; link?: unknown } | null;
  if (t === null || typeof t !== 'object')
    throw new ArgumentError(argument, 'expected { node: id } or { link: [a, b] }');
  if (t.node !== undefined && t.link !== undefined)
    throw new ArgumentError(argument, 'give either node or link, not both');
  if (t.node !== undefined) {
    if (typeof t.node !== 'string' || t.node === '')
      throw new ArgumentError(`${argument}.node`, `expected a non-empty id, got ${JSON.stringify(t.node)}`);
    return value as NodeTarget;
  }
  const ends = t.link;
  if (!Array.isArray(ends) || ends.length !== 2 || !ends.every((id) => typeof id === 'string' && id !== ''))
    throw new ArgumentError(`${argument}.link`, 'expected two non-empty node ids [a, b]');
  if (ends[0] === ends[1])
    throw new ArgumentError(`${argument}.link`, `a link joins two nodes, got ${ends[0]} twice`);
  return value as LinkTarget;
}

function describeTarget(target: Target): string {
  return target.node !== undefined ? `node ${target.node}` : `link ${target.link[0]} to ${target.link[1]}`;
}
