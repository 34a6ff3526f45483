/**
 * The engine as a load target: each call runs one tick of the MAPE-K loop over a simulated
 * mesh with faults injected (ingest, detection, diagnosis, planning, actions). Ticks are
 * sequential by nature, so concurrent calls queue behind each other, and their latency includes
 * the wait, as a caller of a real engine would see it.
 */
import { MeshLoop, type MeshLoopOptions } from '../run/mesh-loop.ts';
import type { LoadTarget } from './target.ts';

/** Builds the engine over a simulated mesh and returns a target that advances it one tick per call. */
export async function engineTickTarget(options: MeshLoopOptions = {}): Promise<LoadTarget> {
  const mesh = await MeshLoop.create(options);
  let previous: Promise<void> = Promise.resolve();
  return () => {
    const tick = previous.then(() => mesh.step());
    previous = tick.catch(() => undefined);
    return tick;
  };
}
