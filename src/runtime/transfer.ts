/**
 * Moving typed arrays to and from workers without copying: transfer lists that skip what cannot
 * or need not be transferred, and shared buffers where the runtime allows them.
 */
import { checkInt } from '../validate.ts';
import { sharedMemoryAvailable } from './detect.ts';

/**
 * The buffers of `views` to pass as a transfer list: each distinct buffer once (a repeated one
 * makes postMessage throw), and no SharedArrayBuffer (shared, not transferred).
 * The views are unusable (detached) in the sender after the message is posted.
 */
export function transferablesOf(...views: ArrayBufferView[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const view of views) {
    if (view.buffer instanceof ArrayBuffer) buffers.add(view.buffer);
  }
  return [...buffers];
}

/**
 * A Float32Array both threads can see without copying: backed by a SharedArrayBuffer when
 * `sharedMemoryAvailable()`, else by an ordinary ArrayBuffer (which postMessage copies or moves).
 */
export function sharedFloat32Array(length: number): Float32Array {
  const bytes = checkInt('length', length, 0, 1 << 28) * Float32Array.BYTES_PER_ELEMENT;
  return new Float32Array(sharedMemoryAvailable() ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
}
