/** Start of the host-managed region: the first 16-byte aligned address after static data. */
// @ts-ignore: decorator
@inline
export function alignedHeapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}
