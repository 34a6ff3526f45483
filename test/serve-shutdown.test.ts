/**
 * The shutdown guarantees of `x0tta6bl4 serve --store` (issue 12, section 8), with real processes.
 * SIGTERM while senders post continuously: the process exits 0, every sample answered 2xx was
 * processed by the loop (the final figures it prints say so, to the sample), the run is recorded
 * as finished, what the engine learnt is registered in the store's model registry, and `audit
 * verify` accepts the log against the operator's pinned keys and the head it printed. SIGKILL during ingest: a restarted serve opens the store, which holds every
 * incident the engine had shown before its last acknowledged flush (the store queue at 0 in
 * /metrics), and the log verifies.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKeysCommand } from '../src/cli/keys.ts';
import { openStoreForReading } from '../src/knowledge/store-directory.ts';
import { runAudit } from './audit-cli.ts';
import { quietly } from './quietly.ts';
import {
  finalFigures,
  NODES,
  type ServeProcess,
  sampleLine,
  startServe,
  writeEngineFiles,
} from './serve-process.ts';

const T0 = 1_700_000_000;

let dir: string;
let files: { topology: string; config: string };
let keyFile: string;
let pinned: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'x0-serve-shutdown-'));
  files = await writeEngineFiles(dir);
  keyFile = join(dir, 'operator-keys.json');
  pinned = join(dir, 'operator-public.json');
  expect((await quietly(() => runKeysCommand(['generate', '--out', keyFile]))).code).toBe(0);
  expect((await quietly(() => runKeysCommand(['export-public', keyFile, '--out', pinned]))).code).toBe(0);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const serveArgs = (store: string) => [
  ...['--topology', files.topology, '--config', files.config, '--port', '0'],
  ...['--store', store, '--keys', keyFile],
];

/** One tick of every node's two metrics as NDJSON at T0 + t; `faulty` fails from tick `from` on. */
function tickLines(t: number, faulty?: string, from = Number.POSITIVE_INFINITY): string {
  return NODES.flatMap((node, i) => {
    const wobble = ((t * 7 + i * 13) % 10) / 10;
    const bad = node === faulty && t >= from;
    return [
      sampleLine(T0 + t, node, 'errorRate', bad ? 0.6 + 0.05 * wobble : 0.01 + 0.004 * wobble),
      sampleLine(T0 + t, node, 'latencyP95', bad ? 450 + 10 * wobble : 50 + 4 * wobble),
    ];
  }).join('\n');
}

function post(url: string, body: string): Promise<Response> {
  return fetch(`${url}/v1/samples`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-ndjson' },
  });
}

async function metric(url: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function verify(store: string, ...flags: string[]) {
  const verdict = await runAudit(['verify', store, '--keys', pinned, ...flags]);
  return { code: verdict.code, text: [...verdict.out, ...verdict.err].join('\n') };
}

describe('serve --store under SIGTERM and SIGKILL', () => {
  it('on SIGTERM mid-ingest exits 0 having processed every sample it answered 2xx, and the log verifies', {
    timeout: 120_000,
  }, async () => {
    const store = join(dir, 'term');
    const served = await startServe('node', serveArgs(store));
    let acknowledged = 0;
    const statuses = new Map<number, number>();
    let exited = false;
    void served.exited.then(() => (exited = true));
    // Four senders, each posting a tick of samples after another, until the server is gone.
    const sender = async (id: number) => {
      for (let t = id; !exited; t += 4) {
        let response: Response;
        try {
          response = await post(served.url, tickLines(t));
        } catch {
          // Refused or cut while the server closes: not acknowledged, so not counted.
          if (exited) return;
          continue;
        }
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const body = await response.json();
        if (response.status >= 200 && response.status < 300) acknowledged += body.accepted;
      }
    };
    const senders = [0, 1, 2, 3].map(sender);
    while (acknowledged < 4000) await new Promise((resolve) => setTimeout(resolve, 20));
    const end = await served.stop('SIGTERM');
    await Promise.all(senders);

    expect(end, served.stderr()).toEqual({ code: 0, signal: null });
    const figures = finalFigures(served.stdout());
    expect(figures.stopped).toBe('SIGTERM');
    expect(figures.stats.samplesReceived).toBe(acknowledged);
    expect(figures.stats.samplesProcessed).toBe(acknowledged);
    // Ingest was under way when the signal came: more samples were acknowledged after it.
    expect(acknowledged).toBeGreaterThan(4000);
    expect(
      [...statuses.keys()].every((s) => s === 202 || s === 503),
      JSON.stringify([...statuses]),
    ).toBe(true);

    const opened = await openStoreForReading(store);
    try {
      const runs = await opened.knowledge.listRuns();
      expect(runs.map((r) => r.status)).toEqual(['finished']);
      expect(runs[0].audit).toEqual({ entries: figures.audit.entries, head: figures.audit.head });
      // What the engine learnt is registered, for the next start to restore.
      const models = new Set((await opened.knowledge.listModelVersions()).map((v) => v.name));
      expect([...models].sort()).toEqual([
        'engine.detector',
        'engine.rag-incidents',
        'engine.scoring-adapter',
        'engine.success-rates',
      ]);
    } finally {
      await opened.close();
    }
    const verdict = await verify(store, '--expect-head', figures.audit.head);
    expect(verdict.code, verdict.text).toBe(0);
    expect(verdict.text).toContain('OK (signatures checked against the pinned keys');
  });

  it('after SIGKILL during ingest, a restarted serve opens the store with every incident flushed before, and the log verifies', {
    timeout: 180_000,
  }, async () => {
    const store = join(dir, 'kill');
    const first: ServeProcess = await startServe('node', serveArgs(store));
    // Normal telemetry, then cache@eu's errors and latency rise: an incident opens.
    let t = 0;
    for (; t < 320; t++) expect((await post(first.url, tickLines(t, 'cache@eu', 250))).status).toBe(202);
    let shown: { id: string; nodes: string[] }[] = [];
    for (let tries = 0; shown.length === 0 && tries < 200; tries++) {
      shown = (await (await fetch(`${first.url}/v1/incidents`)).json()).incidents;
      if (shown.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.flatMap((i) => i.nodes)).toContain('cache@eu');
    // The acknowledged flush: every knowledge write queued so far is in the store.
    let depth = await metric(first.url, 'x0tta6bl4_store_queue_depth');
    for (let tries = 0; depth !== 0 && tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      depth = await metric(first.url, 'x0tta6bl4_store_queue_depth');
    }
    expect(depth).toBe(0);

    // Ingest goes on, and the process is killed in the middle of it.
    let killed = false;
    const feeding = (async () => {
      for (; !killed; t++) await post(first.url, tickLines(t, 'cache@eu', 250)).catch(() => undefined);
    })();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const end = await first.stop('SIGKILL');
    killed = true;
    await feeding;
    expect(end.signal).toBe('SIGKILL');

    const second = await startServe('node', serveArgs(store));
    const health = await fetch(`${second.url}/healthz`);
    expect(health.status).toBe(200);
    const stopped = await second.stop('SIGTERM');
    expect(stopped, second.stderr()).toEqual({ code: 0, signal: null });

    const opened = await openStoreForReading(store);
    try {
      const stored = new Set((await opened.knowledge.listIncidents()).map((i) => i.id));
      for (const incident of shown) expect(stored.has(incident.id), incident.id).toBe(true);
      // The killed run stays 'running' (it crashed); the restarted one finished.
      expect((await opened.knowledge.listRuns()).map((r) => r.status)).toEqual(['running', 'finished']);
    } finally {
      await opened.close();
    }
    const verdict = await verify(store);
    expect(verdict.code, verdict.text).toBe(0);
  });
});
