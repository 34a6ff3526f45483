/**
 * Starts one worker on any runtime and reports its death. Browsers, Deno and Bun get a module
 * `Worker`; Node 20 gets `worker_threads`, with a bootstrap that registers tsx when the entry is
 * still TypeScript (tests run from src/; dist/ is plain JavaScript and needs nothing).
 * The worker must post READY after `Comlink.expose` (see expose.ts): module workers that finish a
 * top-level await drop messages sent earlier (TOOLCHAIN gotcha 2), so the host waits for it.
 */
import type { Endpoint } from 'comlink';
import { WorkerCrashedError } from '../errors.ts';
import { nodeBuiltin } from './detect.ts';
import { nodeEndpoint, type NodePort } from './node-endpoint.ts';

/** The message a worker posts once its API is exposed. */
export const READY = 'x0tta6bl4:worker-ready';

/** The message a web worker posts just before it closes itself (see expose.ts). */
export const CLOSING = 'x0tta6bl4:worker-closing';

/** How to create one worker. */
export interface WorkerSource {
  /** The worker module (a .ts entry is run through tsx on Node). */
  url: URL;
  /**
   * Makes a web `Worker` in place of `new Worker(url, { type: 'module' })`: lets the caller write
   * the literal `new Worker(new URL('./w.ts', import.meta.url), { type: 'module' })` that bundlers
   * such as Vite recognise and bundle. Ignored on Node.
   */
  create?: () => Worker;
}

/** A worker being started. */
export interface SpawnedWorker {
  /** Resolves with the worker's endpoint once it posted READY. */
  readonly ready: Promise<Endpoint>;
  /** Stops the worker (its death is then not reported); a start still under way rejects. */
  terminate(): Promise<void>;
}

/**
 * Starts a worker. `ready` rejects with a WorkerCrashedError if the worker dies or stays silent
 * for `startTimeout` ms before READY; after READY, `onDeath` is called (at most once) if the
 * worker dies: an uncaught error, an exit, or a message that could not be read.
 */
export function spawnWorker(
  source: WorkerSource,
  startTimeout: number,
  onDeath: (error: WorkerCrashedError) => void,
): SpawnedWorker {
  const name = source.url.pathname.split('/').pop();
  let state: 'starting' | 'ready' | 'ended' = 'starting';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let fail: (error: Error) => void = () => {};
  const die: Die = (reason, cause) => {
    if (state === 'ended') return;
    const wasReady = state === 'ready';
    state = 'ended';
    clearTimeout(timer);
    void raw?.terminate();
    const error = new WorkerCrashedError(`worker ${name} ${reason}`, { cause });
    if (wasReady) onDeath(error);
    else fail(error);
  };
  let raw: RawWorker | undefined;
  const ready = new Promise<Endpoint>((resolve, reject) => {
    fail = reject;
    raw = hasWebWorkers() ? webWorker(source, die) : nodeWorker(source.url, die);
    const { endpoint } = raw;
    timer = setTimeout(() => die(`did not start within ${startTimeout} ms`), startTimeout);
    const watch = (event: MessageEvent): void => {
      if (event.data === CLOSING) die('closed itself');
      if (event.data !== READY || state !== 'starting') return;
      clearTimeout(timer);
      state = 'ready';
      resolve(endpoint);
    };
    endpoint.addEventListener('message', watch as EventListener);
    endpoint.start?.();
  }).catch((cause: unknown) => {
    // Creating the worker itself can throw (bad URL, missing tsx): report it like a failed start.
    if (cause instanceof WorkerCrashedError) throw cause;
    state = 'ended';
    clearTimeout(timer);
    throw new WorkerCrashedError(`worker ${name} could not be created: ${(cause as Error).message}`, {
      cause,
    });
  });
  return {
    ready,
    terminate: async () => {
      if (state === 'starting')
        fail(new WorkerCrashedError(`worker ${name} was terminated before it started`));
      state = 'ended';
      clearTimeout(timer);
      await raw?.terminate();
    },
  };
}

interface RawWorker {
  endpoint: Endpoint;
  terminate(): Promise<void> | void;
}

type Die = (reason: string, cause?: unknown) => void;

/**
 * Whether the global `Worker` is the web's. Emscripten builds (onnxruntime-web's among them)
 * set `global.Worker` to node:worker_threads' Worker when they start on Node or Bun, which has
 * no addEventListener: that one is driven as a Node worker.
 */
function hasWebWorkers(): boolean {
  return typeof Worker === 'function' && typeof Worker.prototype?.addEventListener === 'function';
}

function webWorker(source: WorkerSource, die: Die): RawWorker {
  const worker = source.create?.() ?? new Worker(source.url, { type: 'module' });
  worker.addEventListener('error', (event: ErrorEvent) => {
    // Deno rethrows a worker's uncaught error in the host unless the event is cancelled.
    event.preventDefault();
    die(`failed: ${event.message || 'uncaught error'}`, event.error);
  });
  worker.addEventListener('messageerror', () => die('sent a message that could not be read'));
  // Bun reports a worker that exited (process.exit, self.close) with a 'close' event.
  worker.addEventListener('close', (event: Event) =>
    die(`exited (code ${(event as CloseEvent).code ?? '?'})`),
  );
  return { endpoint: worker as unknown as Endpoint, terminate: () => worker.terminate() };
}

interface NodeWorker extends NodePort {
  terminate(): Promise<number>;
}

interface WorkerThreads {
  Worker: new (filename: string | URL, options?: { eval?: boolean; workerData?: unknown }) => NodeWorker;
}

// Registers tsx inside the worker, then imports the TypeScript entry (TOOLCHAIN gotcha 4).
const TSX_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.tsx).then((tsx) => tsx.register()).then(() => import(workerData.entry));
`;

function nodeWorker(url: URL, die: Die): RawWorker {
  const { Worker: NodeWorker } = nodeBuiltin<WorkerThreads>('node:worker_threads');
  const worker = url.pathname.endsWith('.ts')
    ? new NodeWorker(TSX_BOOTSTRAP, { eval: true, workerData: { tsx: resolveTsx(), entry: url.href } })
    : new NodeWorker(url);
  worker.on('error', (error: Error) => die(`failed: ${error.message}`, error));
  worker.on('exit', (code: number) => die(`exited (code ${code})`));
  worker.on('messageerror', (error: Error) => die('sent a message that could not be read', error));
  return { endpoint: nodeEndpoint(worker), terminate: async () => void (await worker.terminate()) };
}

function resolveTsx(): string {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch (cause) {
    throw new WorkerCrashedError('a TypeScript worker entry on Node needs the tsx package', { cause });
  }
}

/**
 * The worker entry to load: `entry` as written (`new URL('../../workers/x.ts', import.meta.url)`)
 * while the importer runs from TypeScript sources, or its compiled .js twin once the importer
 * itself is compiled JavaScript (dist/), where no .ts file exists.
 */
export function workerEntry(entry: URL, importer: string): URL {
  if (!importer.endsWith('.js') || !entry.pathname.endsWith('.ts')) return entry;
  const compiled = new URL(entry.href);
  compiled.pathname = `${entry.pathname.slice(0, -3)}.js`;
  return compiled;
}
