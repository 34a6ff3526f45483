/**
 * `x0tta6bl4 serve` over real sockets on each runtime's own server (issue 12, section 1): the same
 * cases against Node's http server, Deno.serve and Bun.serve, each started from the CLI on a free
 * port. NDJSON with a bad line is accepted line by line and both are counted in /metrics; the
 * probes answer; a body past the limit is 413 with or without a Content-Length; the event stream
 * carries the loop's events; a body that does not arrive is 408; slow headers lose their
 * connection (Node and Bun: Deno.serve has no header timeout the engine can set, see listen.ts);
 * and SIGTERM ends the event stream, drains and exits 0 with its final figures. Before any of it,
 * a bad topology or config file is every problem at its JSON path (exit 2), and a port in use one
 * line (exit 1).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeExporter } from './servers/node-exporter.ts';
import {
  finalFigures,
  type ServeProcess,
  type ServeRuntime,
  sampleLine,
  serveFailure,
  startServe,
  writeEngineFiles,
} from './serve-process.ts';

const T0 = 1_700_000_000;
const MAX_BODY = 65_536;
const REQUEST_TIMEOUT_MS = 2000;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'x0-serve-runtimes-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function post(url: string, body: BodyInit, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/samples`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-ndjson', ...headers },
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
}

async function metric(url: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Polls `read` until it returns `expected` or `timeoutMs` passes; returns the last value. */
async function eventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let value = await read();
  while (value !== expected && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

/** Reads `reader` until the text holds `wanted`; the text so far. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, wanted: string): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes(wanted)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

/** Sends `raw` on a new connection and resolves with what came back and when the server closed it. */
function rawExchange(
  url: string,
  raw: string,
  waitMs: number,
): Promise<{ answer: string; closedAfterMs: number | undefined }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname);
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ answer, closedAfterMs: undefined });
    }, waitMs);
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
    socket.write(raw);
  });
}

/** How soon each runtime closes a connection whose headers stop coming (undefined: it does not). */
const HEADER_TIMEOUT_BOUND_MS: Record<ServeRuntime, number | undefined> = {
  // headersTimeout (the request timeout here, 2 s) plus the connection check's period.
  node: REQUEST_TIMEOUT_MS + 1500,
  // Bun closes idle connections itself, whatever the idle timeout asked for.
  bun: 15_000,
  deno: undefined,
};

describe.each<ServeRuntime>(['node', 'deno', 'bun'])('serve on %s', (runtime) => {
  let served: ServeProcess;
  let events: ReadableStreamDefaultReader<Uint8Array>;
  let acceptedSamples = 0;

  beforeAll(async () => {
    const files = await writeEngineFiles(
      dir,
      { limits: { maxBodyBytes: MAX_BODY, requestTimeoutMs: REQUEST_TIMEOUT_MS } },
      runtime,
    );
    served = await startServe(runtime, [
      ...['--topology', files.topology, '--config', files.config],
      ...['--port', '0', '--audit', join(dir, `audit-${runtime}.json`)],
    ]);
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  }, 90_000);
  afterAll(async () => {
    if (served && served.child.exitCode === null && served.child.signalCode === null)
      await served.stop('SIGKILL');
  });

  it('streams the loop events from the first one', async () => {
    const response = await fetch(`${served.url}/v1/events`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    events = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(await readUntil(events, 'loop events')).toContain(': x0tta6bl4 loop events');
    // The same series twice at one time: the Monitor refuses the second when its tick runs, and says so.
    const refused = await post(
      served.url,
      [sampleLine(T0, 'db:5432', 'errorRate', 0.2), sampleLine(T0, 'db:5432', 'errorRate', 0.1)].join('\n'),
    );
    expect(refused.status).toBe(202);
    acceptedSamples += (await refused.json()).accepted;
    const text = await readUntil(events, 'event: sample-rejected');
    expect(text).toMatch(/event: sample-rejected\ndata: \{"type":"sample-rejected"/);
    expect(text).toContain('"source":"db:5432"');
  });

  it('accepts NDJSON line by line, answers the bad lines, and counts both in /metrics', async () => {
    const body = [
      sampleLine(T0 + 1, 'db:5432', 'errorRate', 0.01),
      '{not json',
      JSON.stringify({
        ts: new Date((T0 + 1) * 1000).toISOString(),
        node: 'web front',
        metric: 'latencyP95',
        value: 42,
      }),
      sampleLine(T0 + 1, 'api/v1', 'errorRate', 'high'),
    ].join('\n');
    const response = await post(served.url, body);
    expect(response.status).toBe(202);
    const answer = await response.json();
    expect(answer.accepted).toBe(2);
    expect(answer.refused.map((r: { line: number; reason: string }) => [r.line, r.reason])).toEqual([
      [2, 'bad-json'],
      [4, expect.any(String)],
    ]);
    acceptedSamples += answer.accepted;
    const processed = () => metric(served.url, 'x0tta6bl4_samples_processed_total');
    expect(await eventually(processed, acceptedSamples)).toBe(acceptedSamples);
    expect(await metric(served.url, 'x0tta6bl4_samples_received_total')).toBe(acceptedSamples);
    expect(await metric(served.url, 'x0tta6bl4_samples_refused_total{reason="bad-json"}')).toBe(1);
  });

  it('answers the probes', async () => {
    const health = await fetch(`${served.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', ready: true });
    expect((await fetch(`${served.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${served.url}/nowhere`)).status).toBe(404);
  });

  it('answers 413 past the body limit, by Content-Length and while reading a body without one', async () => {
    const big = `${sampleLine(T0 + 2, 'db:5432', 'errorRate', 0.01)}\n`.repeat(
      Math.ceil((2 * MAX_BODY) / 70),
    );
    const declared = await post(served.url, big);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: 'body-too-large' });
    const bytes = new TextEncoder().encode(big);
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 8192) controller.enqueue(bytes.slice(at, at + 8192));
        controller.close();
      },
    });
    const streamed = await post(served.url, chunked);
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toMatchObject({ error: 'body-too-large' });
    expect(await metric(served.url, 'x0tta6bl4_samples_refused_total{reason="body-too-large"}')).toBe(2);
  });

  it('answers 408 to a body that does not arrive in time', async () => {
    const { answer } = await rawExchange(
      served.url,
      'POST /v1/samples HTTP/1.1\r\nHost: engine\r\ncontent-type: application/x-ndjson\r\ncontent-length: 100\r\n\r\n{"ts":',
      REQUEST_TIMEOUT_MS + 3000,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  }, 20_000);

  it('closes a connection whose headers do not arrive (Node, Bun; Deno.serve keeps it open)', async () => {
    const bound = HEADER_TIMEOUT_BOUND_MS[runtime];
    const { closedAfterMs } = await rawExchange(
      served.url,
      'POST /v1/samples HTTP/1.1\r\nHost: engine\r\n',
      bound ?? REQUEST_TIMEOUT_MS + 2000,
    );
    if (bound === undefined) expect(closedAfterMs).toBeUndefined();
    else expect(closedAfterMs).toBeLessThan(bound);
  }, 30_000);

  it('on SIGTERM ends the event stream, processes what it accepted, and exits 0 with its figures', async () => {
    const end = await served.stop('SIGTERM');
    expect(end, served.stderr()).toEqual({ code: 0, signal: null });
    // The stream ended instead of holding the shutdown up.
    let ended = await events.read();
    while (!ended.done) ended = await events.read();
    expect(ended.done).toBe(true);
    const figures = finalFigures(served.stdout());
    expect(figures.stopped).toBe('SIGTERM');
    expect(figures.stats.samplesReceived).toBe(acceptedSamples);
    expect(figures.stats.samplesProcessed).toBe(acceptedSamples);
    expect(figures.audit.entries).toBeGreaterThan(0);
    // Its own notices only: no runtime warning, no stack.
    for (const line of served.stderr().trim().split('\n')) expect(line).toMatch(/^serve: /);
  }, 30_000);
});

describe('serve refuses to start', () => {
  it('on a bad topology or config file, naming every problem at its JSON path (exit 2)', async () => {
    const files = await writeEngineFiles(dir, {}, 'good');
    const topology = join(dir, 'bad-topology.json');
    const config = join(dir, 'bad-config.json');
    await writeFile(topology, JSON.stringify({ nodes: [{ id: 7 }, { id: 'a' }], links: [['a', 'zz']] }));
    await writeFile(config, JSON.stringify({ tickSeconds: -1, metrics: [{ name: 'x', min: 5, max: 1 }] }));
    const [badTopology, badConfig] = await Promise.all([
      serveFailure('node', ['--topology', topology, '--port', '0']),
      serveFailure('node', ['--topology', files.topology, '--config', config, '--port', '0']),
    ]);
    expect(badTopology.code).toBe(2);
    expect(badTopology.stderr).toMatch(/^serve: --topology: .*bad-topology\.json: \d+ problems\n/);
    expect(badTopology.stderr).toContain('  /nodes/0/id: ');
    expect(badTopology.stderr).toContain('  /links/0/1: unknown node "zz"');
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/^serve: --config: .*bad-config\.json: 2 problems\n/);
    expect(badConfig.stderr).toContain('  /tickSeconds: ');
    expect(badConfig.stderr).toContain('  /metrics/0/max: ');
  }, 60_000);

  it('on a port in use, in one line (exit 1)', async () => {
    const files = await writeEngineFiles(dir, {}, 'port');
    const args = ['--topology', files.topology, '--config', files.config];
    const first = await startServe('node', [
      ...args,
      '--port',
      '0',
      '--audit',
      join(dir, 'audit-port-1.json'),
    ]);
    try {
      const port = new URL(first.url).port;
      const audit = join(dir, 'audit-port-2.json');
      const second = await serveFailure('node', [...args, '--port', port, '--audit', audit]);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(
        new RegExp(`^serve: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`, 'm'),
      );
      expect(second.stderr).not.toMatch(/^\s+at\s/m);
    } finally {
      await first.stop('SIGTERM');
    }
  }, 60_000);
});

describe('serve scrapes the targets its config lists', () => {
  it("scrapes a real node_exporter and hands its samples to the engine under the target's node", async () => {
    const exporter = await startNodeExporter();
    const files = await writeEngineFiles(
      dir,
      {
        metrics: [
          { name: 'errorRate', min: 0, max: 1, harmful: 'up', roles: ['local'] },
          { name: 'node_load1', min: 0, harmful: 'up', roles: ['local', 'load'] },
        ],
        scrape: { intervalSeconds: 1, targets: [{ url: exporter.metricsUrl, node: 'cache@eu' }] },
      },
      'scrape',
    );
    const served = await startServe('node', [
      ...['--topology', files.topology, '--config', files.config, '--port', '0'],
      ...['--audit', join(dir, 'audit-scrape.json')],
    ]);
    try {
      const accepted = () => metric(served.url, 'x0tta6bl4_samples_accepted_total');
      const end = Date.now() + 20_000;
      let count = (await accepted()) ?? 0;
      while (count < 2 && Date.now() < end) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        count = (await accepted()) ?? 0;
      }
      // node_load1 of cache@eu, once a scrape, accepted; node_exporter's other series are not in
      // the config, so they are refused and counted, never silently dropped.
      expect(count).toBeGreaterThanOrEqual(2);
      expect(
        await metric(served.url, 'x0tta6bl4_samples_refused_total{reason="unknown-series"}'),
      ).toBeGreaterThan(100);
      expect(served.stderr()).not.toContain('scrape http');
    } finally {
      expect((await served.stop('SIGTERM')).code).toBe(0);
      await exporter.stop();
    }
  }, 60_000);
});
