/**
 * The service's one request handler, `(Request, Peer?) => Response`, served alike by Node's
 * server, `Deno.serve` and `Bun.serve` (listen.ts). It owns the HTTP side of the engine: routes,
 * body limits, content types, status codes and the JSON every answer carries; the engine owns the
 * queue and the loop.
 *
 * Ways in (POST): `/v1/samples` (NDJSON or a JSON array), `/v1/batches` (a columnar batch),
 * `/api/v1/write` (Prometheus remote write), `/v1/metrics` (OTLP/HTTP JSON), `/v1/sessions` and
 * `/v1/sealed` (sealed telemetry, see sealed-intake.ts). A partly bad body is accepted line by
 * line: 202 with `{ accepted, refused: [{ line, reason, detail }] }`. A wholly unreadable body is
 * 400 (Prometheus does not retry it), a body past `limits.maxBodyBytes` 413 (judged by its
 * Content-Length and again while reading), a body slower than `limits.requestTimeoutMs` 408, no
 * identity where one is required 401, samples for another node from a non-collector 403, a full
 * queue 429 with Retry-After (Prometheus retries it), a draining engine 503 with Retry-After.
 * Every refusal is counted by reason in the engine's stats; the handler never throws, and
 * anything unexpected is a 500 with a JSON error. What it serves is a ServeEngine, or any
 * TelemetryIntake (the NATS gateway of `serve --publish`, whose submissions settle once JetStream
 * has stored them, and which answers 503 when it could not).
 *
 * Ways out (GET): `/metrics`, `/healthz`, `/readyz`, `/v1/incidents`, `/v1/events` (server-sent
 * events of the loop's events, with a heartbeat comment, ending when the client goes or the loop
 * closes). Probes and reads need no identity; only telemetry does.
 */
import { X0ttaError } from '../errors.ts';
import type { IncidentRecord } from '../knowledge/records.ts';
import type { LoopEvent, LoopEvents } from '../loop/events.ts';
import type { ColumnarBatch, Sample } from '../monitor/ingest.ts';
import { parseSamples } from '../monitor/formats/ndjson.ts';
import { parseOtlpMetrics } from '../monitor/formats/otlp.ts';
import { parseRemoteWrite } from '../monitor/formats/remote-write.ts';
import { type LineRefusal, type ParsedTelemetry, UnreadableBodyError } from '../monitor/formats/telemetry.ts';
import { decodeColumnarBatch } from '../monitor/sealed.ts';
import {
  MalformedMessageError,
  SecurityError,
  UnauthorizedSourceError,
  UnsupportedVersionError,
} from '../security/errors.ts';
import type { EngineConfig } from './config.ts';
import type { EngineHealth, ServeEngine, SubmitResult } from './engine.ts';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.ts';
import { textResponse } from './listen.ts';
import type { FetchHandler, Peer } from './peer.ts';
import { SealedIntake, type SealedIntakeOptions } from './sealed-intake.ts';

/** Options of {@link createHandler}. */
export interface HandlerOptions {
  /** Refuse telemetry (401) from a sender the transport did not identify (mTLS with a client CA). */
  requireIdentity?: boolean;
  /** The engine's keys and trusted nodes for sealed telemetry; without them `/v1/sessions` and `/v1/sealed` answer 404. */
  sealed?: SealedIntakeOptions;
  /** Milliseconds between heartbeat comments on `/v1/events` (default 15,000). */
  heartbeatMs?: number;
}

/** What the handler serves: what a ServeEngine offers it, a submission's answer possibly later. */
export interface TelemetryIntake {
  /** The engine config (limits, the remote write and OTLP node labels). */
  readonly config: EngineConfig;
  /** The nodes, in the index order columnar batches use. */
  readonly nodes: readonly string[];
  /** Takes samples, all or none (see ServeEngine.submit). */
  submit(samples: readonly Sample[], peer?: Peer): SubmitResult | Promise<SubmitResult>;
  /** Takes a columnar batch (see ServeEngine.submitBatch). */
  submitBatch(batch: ColumnarBatch, peer?: Peer): SubmitResult | Promise<SubmitResult>;
  /** Counts samples refused in front of it, by reason. */
  refuse(reason: string, count?: number): void;
  /** What the probes report. */
  health(): EngineHealth;
  /** Incidents open now, their times in seconds. */
  openIncidents(): IncidentRecord[];
  /** The loop events `/v1/events` streams. */
  readonly loop: { readonly events: LoopEvents };
  /** A loop event with its times in the telemetry's seconds. */
  eventInSeconds(event: LoopEvent): LoopEvent;
}

/** Header naming the session of a sealed envelope, and the one the handshake's answer carries. */
export const SESSION_HEADER = 'x-session-id';

const NDJSON_TYPES = new Set(['', 'application/x-ndjson', 'application/json', 'application/jsonl']);
const JSON_TYPES = new Set(['', 'application/json']);
const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** A refusal of the whole request: its status, the counted reason, and what to tell the sender. */
class Refusal extends X0ttaError {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

type Route = (request: Request, peer: Peer | undefined) => Promise<Response>;

/**
 * The handler of `engine` (see the module's comment); another TelemetryIntake brings its own
 * `/metrics` text (`exposition`). Throws what SealedIntake throws for bad `options.sealed`.
 */
export function createHandler(engine: ServeEngine, options?: HandlerOptions): FetchHandler;
/** The handler of another TelemetryIntake (the NATS gateway), with its own `/metrics` text. */
export function createHandler(
  engine: TelemetryIntake,
  options: HandlerOptions & { exposition: () => string },
): FetchHandler;
export function createHandler(
  engine: TelemetryIntake,
  options: HandlerOptions & { exposition?: () => string } = {},
): FetchHandler {
  // The overloads give a ServeEngine whenever no exposition is given.
  const exposition = options.exposition ?? (() => renderMetrics(engine as ServeEngine));
  const limits = engine.config.limits;
  const intake = options.sealed ? new SealedIntake(engine.nodes, options.sealed) : undefined;
  const heartbeatMs = options.heartbeatMs ?? 15_000;

  /** Reads a telemetry body after the identity check, counting and throwing a Refusal for a missing identity, a body too large or too slow. */
  const body = async (request: Request, peer: Peer | undefined): Promise<Uint8Array> => {
    if (options.requireIdentity && !peer?.identity) {
      await request.body?.cancel().catch(() => undefined);
      throw new Refusal(401, 'identity-missing', 'a client certificate is required to send telemetry');
    }
    return readBody(request, limits.maxBodyBytes, limits.requestTimeoutMs);
  };

  const telemetry =
    (types: ReadonlySet<string>, parse: (bytes: Uint8Array) => ParsedTelemetry): Route =>
    async (request, peer) => {
      checkType(request, types);
      const parsed = parse(await body(request, peer));
      for (const refusal of parsed.refused) engine.refuse(refusal.reason, 1);
      return answer(await engine.submit(parsed.samples, peer), parsed.refused);
    };

  const submitBatch = async (batch: ColumnarBatch, peer: Peer | undefined): Promise<Response> => {
    const refused: LineRefusal[] = [];
    if (!Number.isFinite(batch.ts))
      refused.push({
        line: 1,
        reason: 'bad-timestamp',
        detail: `batch time ${batch.ts} is not a finite number`,
      });
    return answer(await engine.submitBatch(batch, peer), refused);
  };

  const sealedOnly = (): SealedIntake => {
    if (!intake)
      throw new Refusal(404, 'sealed-not-configured', 'sealed telemetry is not configured on this engine');
    return intake;
  };

  const routes: Record<string, Partial<Record<string, Route>>> = {
    '/v1/samples': {
      POST: telemetry(NDJSON_TYPES, (bytes) => parseSamples(decodeText(bytes, 'ndjson'))),
    },
    '/v1/batches': {
      POST: async (request, peer) => submitBatch(decodeBatch(await body(request, peer)), peer),
    },
    '/api/v1/write': {
      POST: async (request, peer) => {
        const type = request.headers.get('content-type') ?? '';
        if (/proto=/i.test(type) && !/proto=prometheus\.WriteRequest/i.test(type))
          throw new Refusal(415, 'unsupported-media-type', `remote write 1.0 only (got ${type})`);
        const parsed = parseRemoteWrite(await body(request, peer), {
          nodeLabel: engine.config.remoteWrite.nodeLabel,
        });
        for (const refusal of parsed.refused) engine.refuse(refusal.reason, 1);
        return answer(await engine.submit(parsed.samples, peer), parsed.refused);
      },
    },
    '/v1/metrics': {
      POST: telemetry(JSON_TYPES, (bytes) => {
        let json: unknown;
        try {
          json = JSON.parse(decodeText(bytes, 'otlp'));
        } catch (error) {
          if (error instanceof UnreadableBodyError) throw error;
          throw new UnreadableBodyError('otlp', `not JSON (${(error as Error).message})`);
        }
        return parseOtlpMetrics(json, { nodeAttributes: engine.config.otlp.nodeAttributes });
      }),
    },
    '/v1/sessions': {
      POST: async (request, peer) => {
        const sealed = sealedOnly();
        const hello = await body(request, peer);
        const { reply, sessionId } = sealedCall(() => sealed.handshake(hello));
        return new Response(reply as Uint8Array<ArrayBuffer>, {
          status: 200,
          headers: { 'content-type': 'application/octet-stream', [SESSION_HEADER]: sessionId },
        });
      },
    },
    '/v1/sealed': {
      POST: async (request, peer) => {
        const sealed = sealedOnly();
        const bytes = await body(request, peer);
        const sessionId = request.headers.get(SESSION_HEADER);
        let opened: { batch: ColumnarBatch };
        try {
          opened = sessionId ? await sealed.open(sessionId, bytes) : sealed.openOneShot(bytes);
        } catch (error) {
          throw sealedRefusal(error);
        }
        // The sealed layer authenticated the sender and checked its sources.
        return submitBatch(opened.batch, undefined);
      },
    },
    '/metrics': {
      GET: async () =>
        new Response(exposition(), {
          status: 200,
          headers: { 'content-type': METRICS_CONTENT_TYPE },
        }),
    },
    '/healthz': {
      GET: async () => {
        const health = engine.health();
        return json(health.status === 'closed' ? 503 : 200, health);
      },
    },
    '/readyz': {
      GET: async () => {
        const health = engine.health();
        return json(health.ready ? 200 : 503, health);
      },
    },
    '/v1/incidents': {
      GET: async () => json(200, { incidents: engine.openIncidents() }),
    },
    '/v1/events': {
      GET: async (request) => eventStream(engine, request, heartbeatMs),
    },
  };

  return async (request: Request, peer?: Peer): Promise<Response> => {
    try {
      const path = new URL(request.url).pathname;
      const methods = Object.hasOwn(routes, path) ? routes[path] : undefined;
      if (!methods) {
        return json(404, { error: 'not-found', detail: `no route ${path}` });
      }
      const route = Object.hasOwn(methods, request.method) ? methods[request.method] : undefined;
      if (!route) {
        return json(
          405,
          {
            error: 'method-not-allowed',
            detail: `${request.method} ${path}; allowed: ${Object.keys(methods).join(', ')}`,
          },
          { allow: Object.keys(methods).join(', ') },
        );
      }
      return await route(request, peer);
    } catch (error) {
      return refusalResponse(engine, error);
    }
  };
}

/** The answer to a submission: 202 with the counts, or the status of its refusal. */
function answer(result: SubmitResult, refused: LineRefusal[]): Response {
  if (result.accepted)
    return json(202, {
      accepted: result.samples,
      refused,
      ...(result.refusedSeries ? { refusedSeries: result.refusedSeries } : {}),
    });
  const body = { accepted: 0, refused, error: result.reason, detail: result.detail };
  switch (result.reason) {
    case 'back-pressure':
    case 'draining':
    case 'unavailable':
      return json(result.reason === 'back-pressure' ? 429 : 503, body, {
        'retry-after': String(result.retryAfterSeconds ?? 1),
      });
    case 'too-large':
      return json(413, body);
    default:
      return json(403, body);
  }
}

/** Turns what a route threw into its response, counting the refusal (whole bodies count once). */
function refusalResponse(engine: TelemetryIntake, error: unknown): Response {
  if (error instanceof Refusal) {
    engine.refuse(error.reason, 1);
    return json(error.status, { error: error.reason, detail: error.message }, error.headers);
  }
  if (error instanceof UnreadableBodyError) {
    engine.refuse('unreadable-body', 1);
    return json(400, { error: 'unreadable-body', detail: error.message });
  }
  if (error instanceof MalformedMessageError || error instanceof UnsupportedVersionError) {
    engine.refuse('unreadable-body', 1);
    return json(400, { error: 'unreadable-body', detail: error.message });
  }
  engine.refuse('internal-error', 1);
  return json(500, { error: 'internal-error', detail: (error as Error)?.message ?? String(error) });
}

/** A handshake's SecurityError as a refusal. */
function sealedCall<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw sealedRefusal(error);
  }
}

/**
 * What a sealed message's failure tells the sender: 400 for a message that is not one, 403 for a
 * source it may not report, 401 for everything about trust (unknown or expired key or session,
 * bad signature, tampering, replay, a stale or future time).
 */
function sealedRefusal(error: unknown): unknown {
  if (!(error instanceof SecurityError)) return error;
  const name = error.name;
  if (error instanceof MalformedMessageError || error instanceof UnsupportedVersionError)
    return new Refusal(400, 'sealed-rejected', `${name}: ${error.message}`);
  if (error instanceof UnauthorizedSourceError)
    return new Refusal(403, 'sealed-rejected', `${name}: ${error.message}`);
  return new Refusal(401, 'sealed-rejected', `${name}: ${error.message}`);
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return textResponse(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

function checkType(request: Request, allowed: ReadonlySet<string>): void {
  const type = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (!allowed.has(type))
    throw new Refusal(
      415,
      'unsupported-media-type',
      `Content-Type ${type}; expected ${[...allowed].filter(Boolean).join(' or ')}`,
    );
}

function decodeText(bytes: Uint8Array, format: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new UnreadableBodyError(format, 'the body is not UTF-8');
  }
}

function decodeBatch(bytes: Uint8Array): ColumnarBatch {
  try {
    return decodeColumnarBatch(bytes);
  } catch (error) {
    if (error instanceof SecurityError) throw new UnreadableBodyError('columnar', error.message);
    throw error;
  }
}

/**
 * The request's body, refused with 413 past `limit` bytes (by its Content-Length before reading,
 * and while reading for a body without one or one that lies) and with 408 when it takes longer
 * than `timeoutMs` to arrive.
 */
async function readBody(request: Request, limit: number, timeoutMs: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) {
    await request.body?.cancel().catch(() => undefined);
    throw new Refusal(413, 'body-too-large', `a body of ${declared} bytes; the limit is ${limit}`);
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Refusal(408, 'body-timeout', `the body did not arrive within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), timedOut]);
      if (done) break;
      total += value.byteLength;
      if (total > limit)
        throw new Refusal(413, 'body-too-large', `the body passed the limit of ${limit} bytes`);
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** `/v1/events`: the loop's events as server-sent events, a heartbeat comment now and then, until the client goes or the loop closes. */
function eventStream(engine: TelemetryIntake, request: Request, heartbeatMs: number): Response {
  const events = engine.loop.events[Symbol.asyncIterator]();
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let ended = false;
  let id = 0;
  const stop = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    void events.return();
  };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(': x0tta6bl4 loop events\n\n'));
      heartbeat = setInterval(() => {
        if (!ended) controller.enqueue(encoder.encode(': heartbeat\n\n'));
      }, heartbeatMs);
      (heartbeat as { unref?: () => void }).unref?.();
      request.signal?.addEventListener('abort', () => {
        stop();
        try {
          controller.close();
        } catch {
          // Already closed or cancelled by the reader.
        }
      });
    },
    async pull(controller) {
      const next = await events.next();
      if (ended) return;
      if (next.done) {
        stop();
        controller.close();
        return;
      }
      const event = engine.eventInSeconds(next.value);
      controller.enqueue(
        encoder.encode(`id: ${++id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`),
      );
    },
    cancel() {
      stop();
    },
  });
  return new Response(stream, {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    },
  });
}
