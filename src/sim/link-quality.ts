/**
 * Per-node link quality: the mean usable quality of a node's links, where a link's quality
 * comes from its SNR and delivery, and is 0 when it or either end is down. Only links with fault
 * overlays or a dead end differ from nominal, so each tick copies nominal per-node sums and
 * re-sums just the nodes at those links: O(nodes + touched links), not O(links).
 */
import type { MeshState } from './state.ts';
import type { Topology } from './topology.ts';

/** Link quality from SNR: 0 at 5 dB (unusable), 1 at 30 dB and above. */
function snrQuality(snr: number): number {
  return Math.min(1, Math.max(0, (snr - 5) / 25));
}

/** Incremental per-node link quality for one topology. */
export class LinkQuality {
  private readonly nominalQuality: Float64Array;
  private readonly nominalSum: Float64Array;
  private readonly qualitySum: Float64Array;
  private readonly patchedQuality: Float64Array;
  private readonly dead: Uint8Array;
  /** Links patched and nodes to re-sum this tick carry the current stamp. */
  private readonly linkStamp: Uint32Array;
  private readonly nodeStamp: Uint32Array;
  private readonly dirtyNodes: number[] = [];
  private stamp = 0;

  constructor(private readonly topology: Topology) {
    const nodes = topology.nodeCount;
    const links = topology.linkCount;
    this.nominalQuality = new Float64Array(links);
    this.nominalSum = new Float64Array(nodes);
    for (let l = 0; l < links; l++) {
      const quality = snrQuality(topology.snr[l]);
      this.nominalQuality[l] = quality;
      this.nominalSum[topology.linkFrom[l]] += quality;
      this.nominalSum[topology.linkTo[l]] += quality;
    }
    this.qualitySum = new Float64Array(nodes);
    this.patchedQuality = new Float64Array(links);
    this.dead = new Uint8Array(nodes);
    this.linkStamp = new Uint32Array(links);
    this.nodeStamp = new Uint32Array(nodes);
  }

  /** Mean link quality of node i as of the last `measure`; 0 for a node without links. */
  mean(i: number): number {
    const degree = this.topology.adjStart[i + 1] - this.topology.adjStart[i];
    return degree > 0 ? this.qualitySum[i] / degree : 0;
  }

  /** Recomputes every node's link-quality sum for `tick` from the state's overlays. */
  measure(state: MeshState, tick: number): void {
    const { topology } = this;
    const n = this.dead.length;
    this.qualitySum.set(this.nominalSum);
    this.stamp += 1;
    this.dirtyNodes.length = 0;
    for (let i = 0; i < n; i++) this.dead[i] = state.down[i] || state.quarantineUntil[i] > tick ? 1 : 0;
    for (const l of state.touchedLinks) this.patchLink(state, l);
    for (let i = 0; i < n; i++) {
      if (!this.dead[i]) continue;
      for (let k = topology.adjStart[i]; k < topology.adjStart[i + 1]; k++)
        this.patchLink(state, topology.adjLink[k]);
    }
    for (const i of this.dirtyNodes) {
      let sum = 0;
      for (let k = topology.adjStart[i]; k < topology.adjStart[i + 1]; k++) {
        const l = topology.adjLink[k];
        sum += this.linkStamp[l] === this.stamp ? this.patchedQuality[l] : this.nominalQuality[l];
      }
      this.qualitySum[i] = sum;
    }
  }

  private patchLink(state: MeshState, l: number): void {
    if (this.linkStamp[l] === this.stamp) return;
    this.linkStamp[l] = this.stamp;
    const { topology } = this;
    const a = topology.linkFrom[l];
    const b = topology.linkTo[l];
    let quality = 0;
    if (!state.linkDown[l] && !this.dead[a] && !this.dead[b]) {
      quality = snrQuality(topology.snr[l] - state.linkSnrDrop[l]) * (1 - state.linkExtraLoss[l]);
    }
    this.patchedQuality[l] = quality;
    this.markDirty(a);
    this.markDirty(b);
  }

  private markDirty(i: number): void {
    if (this.nodeStamp[i] === this.stamp) return;
    this.nodeStamp[i] = this.stamp;
    this.dirtyNodes.push(i);
  }
}
