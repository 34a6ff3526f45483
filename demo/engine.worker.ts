/**
 * The playground's worker: the engine and its kernels run here, never on the page's thread. It
 * exposes a PlaygroundEngine through comlink and then posts READY (TOOLCHAIN gotcha 2), which
 * the page waits for before it calls.
 */
import { exposeWorker } from '../src/runtime/expose.ts';
import { PlaygroundEngine } from './engine.ts';

exposeWorker(new PlaygroundEngine());
