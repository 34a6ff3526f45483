// Similarity kernel, part: the bounded top-k heaps every scan offers its rows to.
// Slot of an empty heap entry, worse than any real one.
export const SENTINEL: u32 = 0xffffffff;

// Bounded heaps: a min-heap of `k` entries whose root is the worst kept result, so a new row
// costs one comparison against the root unless it belongs in the top k.

export function resetHeaps(keys: usize, slots: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    store<f32>(keys + (<usize>i << 2), -Infinity);
    store<u32>(slots + (<usize>i << 2), SENTINEL);
  }
}

// True when entry (ka, sa) ranks below entry (kb, sb).
// @ts-ignore: decorator
@inline
function worse(ids: usize, ka: f32, sa: u32, kb: f32, sb: u32): bool {
  if (sa == SENTINEL) return sb != SENTINEL;
  if (sb == SENTINEL) return false;
  if (ka != kb) return ka < kb;
  return load<u32>(ids + (<usize>sa << 2)) > load<u32>(ids + (<usize>sb << 2));
}

// Moves entry (key, slot) down from the root of a heap of `size` entries.
function siftDown(ids: usize, keys: usize, slots: usize, size: i32, key: f32, slot: u32): void {
  let i = 0;
  while (true) {
    let c = 2 * i + 1;
    if (c >= size) break;
    let ck = load<f32>(keys + (<usize>c << 2)), cs = load<u32>(slots + (<usize>c << 2));
    if (c + 1 < size) {
      const rk = load<f32>(keys + (<usize>(c + 1) << 2)), rs = load<u32>(slots + (<usize>(c + 1) << 2));
      if (worse(ids, rk, rs, ck, cs)) {
        c++;
        ck = rk;
        cs = rs;
      }
    }
    if (!worse(ids, ck, cs, key, slot)) break;
    store<f32>(keys + (<usize>i << 2), ck);
    store<u32>(slots + (<usize>i << 2), cs);
    i = c;
  }
  store<f32>(keys + (<usize>i << 2), key);
  store<u32>(slots + (<usize>i << 2), slot);
}

// Offers a scored row to one query's heap. NaN keys count as -Infinity.
// @ts-ignore: decorator
@inline
export function offer(ids: usize, keys: usize, slots: usize, k: i32, key: f32, slot: u32): void {
  if (key != key) key = -Infinity;
  const root = load<f32>(keys);
  if (key >= root && worse(ids, root, load<u32>(slots), key, slot)) siftDown(ids, keys, slots, k, key, slot);
}

// The root keys (worst kept entries) of four heaps `heapBytes` apart, as one vector.
// @ts-ignore: decorator
@inline
export function heapRoots4(hk: usize, heapBytes: usize): v128 {
  return f32x4(load<f32>(hk), load<f32>(hk + heapBytes), load<f32>(hk + 2 * heapBytes), load<f32>(hk + 3 * heapBytes));
}

// Heapsort in place: the worst entry goes last each round, leaving the heap best-first.
export function sortHeap(ids: usize, keys: usize, slots: usize, k: i32): void {
  for (let end = k - 1; end > 0; end--) {
    const p = <usize>end << 2;
    const key = load<f32>(keys + p), slot = load<u32>(slots + p);
    store<f32>(keys + p, load<f32>(keys));
    store<u32>(slots + p, load<u32>(slots));
    siftDown(ids, keys, slots, end, key, slot);
  }
}
