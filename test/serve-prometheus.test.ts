// A real Prometheus (from apt) next to the engine, both ways at once: it remote-writes what it
// scrapes into the engine (ServeEngine + createHandler + listen, as `serve` runs them) and scrapes
// the engine's /metrics. The engine's topology names both as Prometheus does (`instance` =
// host:port), so the series Prometheus writes land in the Monitor; Prometheus's own query API then
// shows the engine's count of accepted samples, which only remote write can have raised.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEngineConfig } from '../src/serve/config.ts';
import { ServeEngine } from '../src/serve/engine.ts';
import { createHandler } from '../src/serve/handler.ts';
import { listen } from '../src/serve/listen.ts';
import { parseTopology } from '../src/serve/topology.ts';
import { freePort } from './servers/free-port.ts';
import { startPrometheus, type TestPrometheus } from './servers/prometheus.ts';

/** How long Prometheus may take to scrape, send and show (its first scrape comes about 5 s after start). */
const DEADLINE_MS = 30_000;

let engine: ServeEngine;
let server: Awaited<ReturnType<typeof listen>>;
let prometheus: TestPrometheus;
let engineNode: string;
let prometheusNode: string;

/** Polls `probe` every 250 ms until it returns a value, or fails after DEADLINE_MS saying what it waited for. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`waited ${DEADLINE_MS} ms for ${what}\n${prometheus.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The values the Monitor holds for (node, metric), oldest first. */
function held(node: string, metric: string): number[] {
  const monitor = engine.loop.monitor;
  const series = monitor.seriesIndex(node, metric);
  expect(series, `${node} ${metric} is a series of the engine`).toBeGreaterThanOrEqual(0);
  return monitor.windows.last(series).values;
}

beforeAll(async () => {
  const [enginePort, prometheusPort] = [await freePort(), await freePort()];
  engineNode = `127.0.0.1:${enginePort}`;
  prometheusNode = `127.0.0.1:${prometheusPort}`;
  engine = await ServeEngine.start({
    topology: parseTopology({
      nodes: [{ id: prometheusNode }, { id: engineNode }],
      links: [[prometheusNode, engineNode]],
      gateways: [engineNode],
    }),
    // The per-target series every scrape makes, scraped each second.
    config: parseEngineConfig({
      tickSeconds: 1,
      metrics: [
        { name: 'up', min: 0, max: 1 },
        { name: 'scrape_samples_scraped', min: 0 },
        { name: 'scrape_duration_seconds', min: 0 },
      ],
    }),
  });
  server = await listen(createHandler(engine), { port: enginePort, hostname: '127.0.0.1' });
  prometheus = await startPrometheus({
    port: prometheusPort,
    remoteWriteUrl: `http://${engineNode}/api/v1/write`,
    scrape: [{ job: 'x0tta6bl4', targets: [engineNode] }],
  });
});

afterAll(async () => {
  await prometheus?.stop();
  await server?.close();
  await engine?.close();
});

describe('a real Prometheus and the engine', () => {
  it('remote-writes its scrapes into the engine: both targets up, as series of the Monitor', async () => {
    await eventually('the engine to accept up = 1 of both targets', () =>
      held(engineNode, 'up').includes(1) && held(prometheusNode, 'up').includes(1) ? true : undefined,
    );
    // Prometheus scraped the engine's /metrics for real: samples scraped from it, in the engine.
    await eventually('a scrape of the engine with samples', () =>
      held(engineNode, 'scrape_samples_scraped').some((n) => n > 10) ? true : undefined,
    );
    const stats = engine.stats();
    expect(stats.samplesAccepted).toBeGreaterThan(0);
    // Everything else Prometheus sends (its own metrics, the engine's) is no series of this topology's config.
    expect(stats.refusedBy['unknown-series']).toBeGreaterThan(0);
    expect(stats.refusedBy['unreadable-body'] ?? 0).toBe(0);
    expect(stats.refusedBy['back-pressure'] ?? 0).toBe(0);
  });

  it("scrapes the engine's /metrics: its query API shows the engine's accepted samples > 0", async () => {
    const accepted = await eventually('x0tta6bl4_samples_accepted_total > 0 in Prometheus', async () => {
      const result = await prometheus.query(`x0tta6bl4_samples_accepted_total{instance="${engineNode}"}`);
      return result.length === 1 && result[0].value > 0 ? result[0] : undefined;
    });
    expect(accepted.metric.job).toBe('x0tta6bl4');
    // And Prometheus's own account of the sending: nothing failed, nothing dropped.
    const failed = await prometheus.query('prometheus_remote_storage_samples_failed_total');
    expect(failed.map((s) => s.value)).toEqual([0]);
    const sent = await prometheus.query('prometheus_remote_storage_samples_total');
    expect(sent[0]?.value ?? 0).toBeGreaterThan(0);
  });
});
