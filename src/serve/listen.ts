/**
 * The transport: one FetchHandler served by the runtime's own server, Node's http/https, `Deno.serve`
 * or `Bun.serve` (chosen as src/runtime/detect.ts names the runtime), with the same behaviour on
 * each: a request is handed over with a streaming body and what the transport knows of its sender
 * (Peer), slow clients time out, and `close` shuts down gracefully (below).
 *
 * TLS is TLS 1.3 only on Node and Bun; `Deno.serve` has no setting for the protocol version and
 * also negotiates TLS 1.2. Mutual TLS (`tls.clientCa`) needs a server that both requires a client
 * certificate and shows it to the handler, so the sender's identity can be taken from it: Node's
 * https server does (`requestCert`, `rejectUnauthorized`, the verified peer certificate per
 * connection, read into a PeerIdentity by identity.ts). `Deno.serve` cannot ask for client
 * certificates and `Bun.serve` asks but never shows them to the handler, so on Deno and Bun
 * `listen` refuses `clientCa` with a MutualTlsUnsupportedError naming the runtime rather than
 * serve without the identities the handler relies on.
 *
 * Slow clients: the handler bounds a body's arrival itself (408). Headers must arrive within
 * `headersTimeoutMs` on Node; Bun's server closes a connection whose headers stall after some 10 s
 * of its own (its idle timeout, set from `headersTimeoutMs`, bounds idle connections), and
 * `Deno.serve` has no header timeout at all: on Deno, put a proxy with one in front.
 * Node's requests are undici Requests whose `signal` is made only when a handler asks for it
 * (following a signal costs such a Request more than the rest of it), and answers made with
 * `textResponse` are written as their text, not read back out of the Response's stream: at
 * thousands of telemetry requests a second, the transport's own cost per request adds up.
 *
 * Graceful close: the server stops accepting connections; a request arriving on an open
 * connection from then on is answered 503 without reaching the handler; event streams
 * (`text/event-stream`) are ended, since they last as long as their client wants; requests already
 * in the handler and responses being written are awaited, up to `closeTimeoutMs`; then every
 * connection is closed.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ArgumentError, X0ttaError } from '../errors.ts';
import { type RuntimeName, runtimeName } from '../runtime/detect.ts';
import { identityOfCertificate } from './identity.ts';
import type { FetchHandler, Peer, PeerIdentity } from './peer.ts';

/** The server's certificate and key, and for mutual TLS the CA its clients' certificates chain to (all PEM text). */
export interface TlsOptions {
  /** The server's certificate chain, PEM. */
  cert: string;
  /** The server's private key, PEM. */
  key: string;
  /** Require client certificates issued by this CA (PEM), and take each sender's identity from its certificate. */
  clientCa?: string;
}

/** Options of {@link listen}. */
export interface ListenOptions {
  /** The TCP port; 0 picks a free one (the Listener says which). */
  port: number;
  /** The address to bind (default 127.0.0.1). */
  hostname?: string;
  /** Serve HTTPS with these; without them, plain HTTP. */
  tls?: TlsOptions;
  /** Milliseconds a client has to send its request headers (default 10,000). */
  headersTimeoutMs?: number;
  /** Milliseconds a whole request may take to arrive before the server itself gives up on it (default 60,000). */
  requestTimeoutMs?: number;
  /** The most milliseconds a graceful close waits for requests in flight (default 10,000). */
  closeTimeoutMs?: number;
}

/** A listening server. */
export interface Listener {
  /** Its base URL, e.g. `https://127.0.0.1:9470`. */
  readonly url: string;
  /** The port it listens on (the one picked, when asked for 0). */
  readonly port: number;
  /** The runtime whose server it is. */
  readonly runtime: RuntimeName;
  /**
   * Stops it. Graceful (the default): stop accepting, end event streams, wait for requests in
   * flight (at most `closeTimeoutMs`), then close every connection. Not graceful: close every
   * connection at once. Resolves once the server is closed.
   */
  close(graceful?: boolean): Promise<void>;
}

/** `tls.clientCa` was given on a runtime whose server cannot require client certificates and show them to the handler. */
export class MutualTlsUnsupportedError extends ArgumentError {
  /**
   * An error naming the runtime and why its server cannot serve mutual TLS.
   * @param runtime the runtime that cannot serve mutual TLS
   * @param argument what asked for it (`tls.clientCa`, or the command line's `--client-ca`)
   */
  constructor(
    readonly runtime: RuntimeName,
    argument = 'tls.clientCa',
  ) {
    super(
      argument,
      `mutual TLS is not available on ${RUNTIME_TITLES[runtime]}: ${MTLS_LIMITS[runtime] ?? 'its server does not show client certificates to the handler'}; serve mutual TLS with Node`,
    );
  }
}

/** The server could not start listening (the port is taken, the address is not this host's, the certificate is unreadable). */
export class ListenError extends X0ttaError {}

const RUNTIME_TITLES: Record<RuntimeName, string> = {
  node: 'Node',
  deno: 'Deno',
  bun: 'Bun',
  browser: 'a browser',
};

/** Why each runtime but Node cannot serve mutual TLS. */
const MTLS_LIMITS: Partial<Record<RuntimeName, string>> = {
  deno: 'Deno.serve cannot ask for client certificates',
  bun: 'Bun.serve can require a client certificate but does not show it to the request handler, so no identity can be taken from it',
  browser: 'a browser cannot run a server',
};

/** Whether `runtime`'s server can require client certificates and show them to the handler (only Node's). */
export function mutualTlsSupported(runtime: RuntimeName = runtimeName()): boolean {
  return runtime === 'node';
}

const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/**
 * Serves `handler` on this runtime's server (see the module's comment). Throws an ArgumentError
 * for bad options, a MutualTlsUnsupportedError for `tls.clientCa` off Node, and a ListenError
 * when the server cannot start.
 */
export async function listen(handler: FetchHandler, options: ListenOptions): Promise<Listener> {
  if (typeof handler !== 'function') throw new ArgumentError('handler', 'expected a fetch handler');
  const settings = checkOptions(options);
  const runtime = runtimeName();
  if (settings.tls?.clientCa !== undefined && !mutualTlsSupported(runtime))
    throw new MutualTlsUnsupportedError(runtime);
  try {
    switch (runtime) {
      case 'node':
        return await listenNode(handler, settings);
      case 'deno':
        return await listenDeno(handler, settings);
      case 'bun':
        return await listenBun(handler, settings);
      default:
        throw new ArgumentError('runtime', `${RUNTIME_TITLES[runtime]} cannot run a server`);
    }
  } catch (error) {
    if (error instanceof X0ttaError) throw error;
    const at = `${settings.hostname}:${settings.port}`;
    throw new ListenError(`cannot listen on ${at}: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    });
  }
}

interface Settings {
  port: number;
  hostname: string;
  tls: TlsOptions | undefined;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  closeTimeoutMs: number;
}

function checkOptions(options: ListenOptions): Settings {
  if (!options || typeof options !== 'object') throw new ArgumentError('options', 'expected listen options');
  const { port, tls } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ArgumentError('options.port', `expected an integer from 0 to 65535, got ${String(port)}`);
  const hostname = options.hostname ?? '127.0.0.1';
  if (typeof hostname !== 'string' || hostname === '')
    throw new ArgumentError('options.hostname', 'expected a host name or address');
  if (tls !== undefined) {
    for (const field of ['cert', 'key'] as const)
      if (typeof tls?.[field] !== 'string' || !tls[field].includes('-----BEGIN'))
        throw new ArgumentError(`options.tls.${field}`, 'expected PEM text');
    if (
      tls.clientCa !== undefined &&
      (typeof tls.clientCa !== 'string' || !tls.clientCa.includes('-----BEGIN'))
    )
      throw new ArgumentError('options.tls.clientCa', 'expected PEM text');
  }
  const millis = (name: keyof ListenOptions, fallback: number): number => {
    const value = options[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
      throw new ArgumentError(`options.${name}`, `expected milliseconds >= 1, got ${String(value)}`);
    return value;
  };
  const requestTimeoutMs = millis('requestTimeoutMs', DEFAULT_REQUEST_TIMEOUT_MS);
  return {
    port,
    hostname,
    tls,
    headersTimeoutMs: Math.min(millis('headersTimeoutMs', DEFAULT_HEADERS_TIMEOUT_MS), requestTimeoutMs),
    requestTimeoutMs,
    closeTimeoutMs: millis('closeTimeoutMs', DEFAULT_CLOSE_TIMEOUT_MS),
  };
}

function baseUrl(tls: boolean, hostname: string, port: number): string {
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  return `${tls ? 'https' : 'http'}://${host}:${port}`;
}

const EVENT_STREAM = /^text\/event-stream\b/i;

/** The text of each Response made by {@link textResponse}, for a transport to write as it is. */
const knownText = new WeakMap<Response, string>();

/**
 * A Response whose body is `text`; Node's transport writes the text itself instead of reading it
 * back out of the Response (the other runtimes' servers take the Response as any).
 */
export function textResponse(text: string, init: ResponseInit): Response {
  const response = new Response(text, init);
  knownText.set(response, text);
  return response;
}

/**
 * The Listener of a started server. Its `close` marks the server closing (a request arriving
 * from then on is answered 503) and runs the runtime's `stop` once, however often it is called.
 */
function startedListener(
  where: Pick<Listener, 'url' | 'port' | 'runtime'>,
  inFlight: InFlight,
  stop: (graceful: boolean) => Promise<void>,
): Listener {
  let closing: Promise<void> | undefined;
  return {
    ...where,
    close(graceful = true) {
      if (!closing) {
        inFlight.closing = true;
        closing = stop(graceful);
      }
      return closing;
    },
  };
}

/** The answer to a request that arrives while the server is closing. */
function closingResponse(): Response {
  return new Response(JSON.stringify({ error: 'shutting-down', detail: 'the server is shutting down' }), {
    status: 503,
    headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': '5', connection: 'close' },
  });
}

/** The answer when the handler breaks its promise and throws (it should answer 500 itself). */
function failureResponse(error: unknown): Response {
  const detail = (error as Error)?.message ?? String(error);
  return new Response(JSON.stringify({ error: 'internal-error', detail }), {
    status: 500,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

/**
 * What is in flight: requests in the handler or writing their response (awaited by a graceful
 * close) and event streams (ended by it).
 */
class InFlight {
  #active = 0;
  #idle: Array<() => void> = [];
  readonly #streams = new Set<() => void>();
  /** Set once a close has begun: new requests are answered 503. */
  closing = false;

  /** Counts a request in; the returned function counts it out (once, however often it is called). */
  begin(): () => void {
    this.#active++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.#active === 0) for (const wake of this.#idle.splice(0)) wake();
    };
  }

  /** Registers an event stream's ending; the returned function unregisters it. */
  stream(end: () => void): () => void {
    this.#streams.add(end);
    return () => {
      this.#streams.delete(end);
    };
  }

  /** Ends every event stream, then waits until nothing is in flight or `boundMs` passed. */
  async settle(boundMs: number): Promise<void> {
    for (const end of [...this.#streams]) end();
    this.#streams.clear();
    if (this.#active === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#idle.push(resolve)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, boundMs);
      }),
    ]);
    clearTimeout(timer);
  }
}

/**
 * Calls the handler for a web-style server (Deno, Bun): answers 503 while closing, and wraps the
 * response's body so the request stays in flight until its body is written (an event stream is
 * registered to be ended instead). `onEventStream` lets the server lift its idle timeout.
 */
async function serveWebRequest(
  handler: FetchHandler,
  inFlight: InFlight,
  request: Request,
  peer: Peer,
  onEventStream?: () => void,
): Promise<Response> {
  if (inFlight.closing) {
    await request.body?.cancel().catch(() => undefined);
    return closingResponse();
  }
  const end = inFlight.begin();
  let response: Response;
  try {
    response = await handler(request, peer);
  } catch (error) {
    response = failureResponse(error);
  }
  if (!response.body) {
    end();
    return response;
  }
  if (EVENT_STREAM.test(response.headers.get('content-type') ?? '')) {
    end();
    onEventStream?.();
    return new Response(endableStream(response.body, inFlight), response);
  }
  return new Response(trackedStream(response.body, end), response);
}

/** `body`, passed through, calling `end` once it is written, fails or is cancelled. */
function trackedStream(body: ReadableStream<Uint8Array>, end: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          end();
        } else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
        end();
      }
    },
    cancel(reason) {
      end();
      return reader.cancel(reason);
    },
  });
}

/** An event stream's body, passed through, that a graceful close can end. */
function endableStream(body: ReadableStream<Uint8Array>, inFlight: InFlight): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let unregister: () => void = () => {};
  let finished = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      unregister = inFlight.stream(() => {
        if (finished) return;
        finished = true;
        void reader.cancel('the server is closing').catch(() => undefined);
        controller.close();
      });
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (finished) return;
        if (done) {
          finished = true;
          unregister();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        if (finished) return;
        finished = true;
        unregister();
        controller.error(error);
      }
    },
    cancel(reason) {
      finished = true;
      unregister();
      return reader.cancel(reason);
    },
  });
}

// ---- Node -------------------------------------------------------------------------------------

async function listenNode(handler: FetchHandler, settings: Settings): Promise<Listener> {
  const { tls } = settings;
  const serverOptions = {
    headersTimeout: settings.headersTimeoutMs,
    // A backstop behind the handler's own body timeout (whose answer says more).
    requestTimeout: settings.requestTimeoutMs + 1000,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(settings.headersTimeoutMs / 4))),
  };
  let server: Server;
  if (tls) {
    const https = await import('node:https');
    server = https.createServer({
      ...serverOptions,
      cert: tls.cert,
      key: tls.key,
      minVersion: 'TLSv1.3',
      handshakeTimeout: settings.headersTimeoutMs,
      ...(tls.clientCa !== undefined
        ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }
        : {}),
    });
  } else {
    const http = await import('node:http');
    server = http.createServer(serverOptions);
  }
  const inFlight = new InFlight();
  const mutual = tls?.clientCa !== undefined;
  /** One identity per connection: its certificate does not change between its requests. */
  const identities = new WeakMap<object, PeerIdentity | undefined>();
  const peerOf = (req: IncomingMessage): Peer => {
    const socket = req.socket;
    const peer: Peer = socket.remoteAddress ? { address: socket.remoteAddress } : {};
    if (!mutual) return peer;
    if (!identities.has(socket)) {
      const tlsSocket = socket as TLSSocket;
      const certificate = tlsSocket.authorized ? tlsSocket.getPeerX509Certificate() : undefined;
      identities.set(socket, certificate ? identityOfCertificate(certificate) : undefined);
    }
    const identity = identities.get(socket);
    return identity ? { ...peer, identity } : peer;
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.hostname, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const origin = baseUrl(tls !== undefined, settings.hostname, port);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    // Nothing a request does may throw out of the server: what escapes ends that response alone.
    serveNodeRequest(handler, inFlight, origin, req, res, peerOf).catch(() => res.destroy());
  });

  return startedListener({ url: origin, port, runtime: 'node' }, inFlight, async (graceful) => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    if (graceful) {
      server.closeIdleConnections();
      await inFlight.settle(settings.closeTimeoutMs);
    }
    server.closeAllConnections();
    await closed;
  });
}

async function serveNodeRequest(
  handler: FetchHandler,
  inFlight: InFlight,
  origin: string,
  req: IncomingMessage,
  res: ServerResponse,
  peerOf: (req: IncomingMessage) => Peer,
): Promise<void> {
  if (inFlight.closing) {
    req.resume();
    await writeNodeResponse(closingResponse(), res);
    return;
  }
  const end = inFlight.begin();
  const gone = new ClientGone();
  res.once('close', () => {
    end();
    if (!res.writableFinished) gone.abort();
  });
  let response: Response;
  try {
    const request = nodeRequest(origin, req, gone);
    if (!request) {
      req.resume();
      response = new Response(
        JSON.stringify({ error: 'bad-request', detail: 'unreadable request line or headers' }),
        {
          status: 400,
          headers: { 'content-type': 'application/json; charset=utf-8' },
        },
      );
    } else {
      try {
        response = await handler(request, peerOf(req));
      } catch (error) {
        response = failureResponse(error);
      }
    }
  } catch (error) {
    response = failureResponse(error);
  }
  if (EVENT_STREAM.test(response.headers.get('content-type') ?? '')) {
    // An event stream lasts as long as its client wants: a graceful close ends it, not awaits it.
    end();
    const unregister = inFlight.stream(() => {
      void response.body?.cancel('the server is closing').catch(() => undefined);
      res.end();
    });
    res.once('close', unregister);
  }
  await writeNodeResponse(response, res);
}

/** Whether a request's client went away before its answer was written, as an AbortSignal made only when asked for. */
class ClientGone {
  #gone = false;
  #controller: AbortController | undefined;

  /** Its signal: aborted once the client has gone. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#gone) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  /** Marks the client gone, aborting the signal if it was made. */
  abort(): void {
    this.#gone = true;
    this.#controller?.abort();
  }
}

/** A Request whose `signal` is its client's ClientGone, made only when asked for. */
class NodeRequest extends Request {
  constructor(url: string, init: RequestInit, gone: ClientGone) {
    super(url, init);
    Object.defineProperty(this, 'signal', { get: () => gone.signal });
  }
}

/** A web Request for a Node request, its body streamed; undefined when its URL or headers cannot be one. */
function nodeRequest(origin: string, req: IncomingMessage, gone: ClientGone): Request | undefined {
  const target = req.url ?? '/';
  let url: string;
  if (target.startsWith('/')) url = origin + target;
  else {
    // The absolute form a proxy sends: only its path and query matter here.
    const parsed = URL.canParse(target) ? new URL(target) : undefined;
    url = origin + (parsed ? parsed.pathname + parsed.search : '/');
  }
  const headers = new Headers();
  const raw = req.rawHeaders;
  try {
    for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
    const method = req.method ?? 'GET';
    const body = method === 'GET' || method === 'HEAD' ? undefined : nodeBodyStream(req);
    return new NodeRequest(
      url,
      { method, headers, ...(body ? { body, duplex: 'half' } : {}) } as RequestInit,
      gone,
    );
  } catch {
    return undefined;
  }
}

/** The request body as a web stream, read as the handler pulls it (back-pressure pauses the socket). */
function nodeBodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  // Once cancelled or ended, later socket events must not touch the controller (it throws).
  let open = true;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.on('data', (chunk: Buffer) => {
          if (!open) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.once('end', () => {
          if (open) controller.close();
          open = false;
        });
        const fail = (error: Error) => {
          if (open) controller.error(error);
          open = false;
        };
        req.once('error', fail);
        req.once('aborted', () => fail(new Error('the client went away before sending its whole body')));
      },
      pull() {
        req.resume();
      },
      cancel() {
        // The rest is read and dropped (within the request timeout): a sender still writing then
        // reads the answer (a 413, say) instead of a broken pipe.
        open = false;
        req.resume();
      },
    },
    { highWaterMark: 1 << 20, size: (chunk) => chunk.byteLength },
  );
}

async function writeNodeResponse(response: Response, res: ServerResponse): Promise<void> {
  if (res.destroyed) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  res.statusCode = response.status;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  if (!response.body) {
    res.end();
    return;
  }
  const text = knownText.get(response);
  if (text !== undefined && !response.bodyUsed) {
    res.setHeader('content-length', Buffer.byteLength(text));
    res.end(text);
    return;
  }
  if (!EVENT_STREAM.test(response.headers.get('content-type') ?? '')) {
    // The handler's answers are small JSON or text: one write with its length, not chunks.
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch {
      res.destroy();
      return;
    }
    if (!res.destroyed) {
      res.setHeader('content-length', bytes.byteLength);
      res.end(bytes);
    }
    return;
  }
  const reader = response.body.getReader();
  const gone = new Promise<void>((resolve) => res.once('close', resolve));
  res.once('close', () => void reader.cancel().catch(() => undefined));
  res.flushHeaders();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed || res.writableEnded) break;
      if (!res.write(value)) await Promise.race([new Promise((resolve) => res.once('drain', resolve)), gone]);
    }
  } catch {
    // The stream failed midway: the client sees the connection end.
    res.destroy();
    return;
  }
  if (!res.writableEnded) res.end();
}

// ---- Deno -------------------------------------------------------------------------------------

/** The part of `Deno.serve` used here. */
interface DenoServe {
  serve(options: {
    port: number;
    hostname: string;
    cert?: string;
    key?: string;
    onListen?: (address: { port: number }) => void;
    onError?: (error: unknown) => Response;
    handler: (
      request: Request,
      info: { remoteAddr: { hostname: string }; completed: Promise<void> },
    ) => Promise<Response>;
  }): { addr: { port: number }; shutdown(): Promise<void>; finished: Promise<void> };
}

async function listenDeno(handler: FetchHandler, settings: Settings): Promise<Listener> {
  const deno = (globalThis as unknown as { Deno: DenoServe }).Deno;
  const inFlight = new InFlight();
  const { tls } = settings;
  const server = deno.serve({
    port: settings.port,
    hostname: settings.hostname,
    ...(tls ? { cert: tls.cert, key: tls.key } : {}),
    // Deno prints where it listens unless told otherwise; the caller says it.
    onListen: () => {},
    onError: failureResponse,
    handler: (request, info) => {
      // Deno's own request.signal also aborts when a response succeeds (and warns once that it
      // does); the handler gets a signal that aborts only when the client goes away.
      const gone = new AbortController();
      info.completed.catch(() => gone.abort());
      const forwarded = new Request(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: gone.signal,
        duplex: 'half',
      } as RequestInit);
      return serveWebRequest(handler, inFlight, forwarded, { address: info.remoteAddr.hostname });
    },
  });
  const port = server.addr.port;
  const url = baseUrl(tls !== undefined, settings.hostname, port);
  return startedListener({ url, port, runtime: 'deno' }, inFlight, async (graceful) => {
    const stopped = server.shutdown();
    await inFlight.settle(graceful ? settings.closeTimeoutMs : 0);
    // Deno has no forced close: past the bound, what is left is abandoned with the process.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      stopped,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceful ? settings.closeTimeoutMs : 0);
      }),
    ]);
    clearTimeout(timer);
  });
}

// ---- Bun --------------------------------------------------------------------------------------

interface BunServer {
  port: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
  requestIP(request: Request): { address: string } | null;
  timeout(request: Request, seconds: number): void;
}

/** The part of `Bun.serve` used here. */
interface BunServe {
  serve(options: {
    port: number;
    hostname: string;
    tls?: { cert: string; key: string; secureOptions: number };
    idleTimeout: number;
    error?: (error: unknown) => Response;
    fetch: (request: Request, server: BunServer) => Promise<Response>;
  }): BunServer;
}

/** OpenSSL's SSL_OP_NO_TLSv1, SSL_OP_NO_TLSv1_1 and SSL_OP_NO_TLSv1_2 (BoringSSL's too): TLS 1.3 only. */
const TLS_1_3_ONLY = 0x04000000 | 0x10000000 | 0x08000000;

async function listenBun(handler: FetchHandler, settings: Settings): Promise<Listener> {
  const bun = (globalThis as unknown as { Bun: BunServe }).Bun;
  const inFlight = new InFlight();
  const { tls } = settings;
  const server = bun.serve({
    port: settings.port,
    hostname: settings.hostname,
    ...(tls ? { tls: { cert: tls.cert, key: tls.key, secureOptions: TLS_1_3_ONLY } } : {}),
    // Bun's one timeout: a connection idle this long (headers not coming) is closed. Whole seconds, at most 255.
    idleTimeout: Math.min(255, Math.max(1, Math.ceil(settings.headersTimeoutMs / 1000))),
    error: failureResponse,
    fetch: (request, bunServer) => {
      const ip = bunServer.requestIP(request);
      return serveWebRequest(handler, inFlight, request, ip ? { address: ip.address } : {}, () =>
        // An event stream is idle between events; its heartbeats keep it open, not the idle timeout.
        bunServer.timeout(request, 0),
      );
    },
  });
  const url = baseUrl(tls !== undefined, settings.hostname, server.port);
  return startedListener({ url, port: server.port, runtime: 'bun' }, inFlight, async (graceful) => {
    if (graceful) {
      void server.stop(false);
      await inFlight.settle(settings.closeTimeoutMs);
    }
    await server.stop(true);
  });
}
