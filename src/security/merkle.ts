/**
 * Merkle trees over audit entry hashes (RFC 6962 domain separation: 0x00 before a leaf, 0x01
 * before an inner node). An unpaired node is promoted unchanged rather than duplicated, so no
 * two different leaf lists share a root (the duplication flaw of CVE-2012-2459).
 */
import { sha256 } from './pq.ts';

const leafInput = new Uint8Array(33);
const nodeInput = new Uint8Array(65);
nodeInput[0] = 1;

/** Hash of a leaf holding a 32-byte entry hash. */
export function leafHash(entryHash: Uint8Array): Uint8Array {
  leafInput.set(entryHash, 1);
  return sha256(leafInput);
}

/** Hash of an inner node. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return sha256(nodeInput);
}

/** Every level of the tree, leaves first and the one-element root level last. */
export function merkleLevels(leaves: Uint8Array[]): Uint8Array[][] {
  if (leaves.length === 0) throw new RangeError('a Merkle tree needs at least one leaf');
  const levels = [leaves];
  for (let level = leaves; level.length > 1; ) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? nodeHash(level[i], level[i + 1]) : level[i]);
    }
    levels.push(next);
    level = next;
  }
  return levels;
}

/** The sibling hashes from leaf `index` up to the root (promoted levels contribute nothing). */
export function merkleProof(levels: Uint8Array[][], index: number): Uint8Array[] {
  const proof: Uint8Array[] = [];
  for (let depth = 0, i = index; depth < levels.length - 1; depth++, i >>= 1) {
    const level = levels[depth];
    const sibling = i % 2 === 1 ? i - 1 : i + 1;
    if (sibling < level.length) proof.push(level[sibling]);
  }
  return proof;
}

/** Recomputes the root from a leaf and its proof; undefined when the proof has the wrong shape. */
export function rootFromProof(
  leaf: Uint8Array,
  index: number,
  count: number,
  proof: Uint8Array[],
): Uint8Array | undefined {
  if (!Number.isInteger(index) || !Number.isInteger(count) || index < 0 || index >= count) return undefined;
  let node = leaf;
  let used = 0;
  for (let i = index, size = count; size > 1; i >>= 1, size = Math.ceil(size / 2)) {
    if (i % 2 === 1) node = nodeHash(proof[used++] ?? new Uint8Array(32), node);
    else if (i + 1 < size) node = nodeHash(node, proof[used++] ?? new Uint8Array(32));
  }
  return used === proof.length ? node : undefined;
}
