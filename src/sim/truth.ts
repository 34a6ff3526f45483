/**
 * Ground truth at one tick, in the shape an evaluator needs: which nodes and links are the root
 * cause of an active fault, and which nodes a fault perturbs. An alarm on a node that is neither
 * is a false alarm; an action on a target that is not a root cause acts on a healthy target.
 */
import type { Fault, FaultRecord } from './faults.ts';
import type { Topology } from './topology.ts';

/** What was wrong at one tick. */
export interface TruthSnapshot {
  /** The tick described. */
  readonly tick: number;
  /** Faults active at the tick. */
  readonly active: readonly FaultRecord[];
  /** 1 where the node is the root cause of an active fault. */
  readonly faultyNodes: Uint8Array;
  /** 1 where the link is the root cause of an active fault (every link of a partition's cut). */
  readonly faultyLinks: Uint8Array;
  /** 1 where an active fault perturbs the node's metrics (causes included). */
  readonly affectedNodes: Uint8Array;
}

/** Builds the snapshot for `tick` from the simulator's faults. */
export function truthAt(faults: readonly Fault[], tick: number, topology: Topology): TruthSnapshot {
  const faultyNodes = new Uint8Array(topology.nodeCount);
  const faultyLinks = new Uint8Array(topology.linkCount);
  const affectedNodes = new Uint8Array(topology.nodeCount);
  const active: FaultRecord[] = [];
  for (const fault of faults) {
    if (!fault.activeAt(tick)) continue;
    active.push(fault.record());
    if (fault.target.node !== undefined) {
      faultyNodes[fault.index] = 1;
      affectedNodes[fault.index] = 1;
    } else {
      faultyLinks[fault.index] = 1;
      for (const l of fault.cutLinks) faultyLinks[l] = 1;
    }
    for (const i of fault.affected) affectedNodes[i] = 1;
  }
  return { tick, active, faultyNodes, faultyLinks, affectedNodes };
}
