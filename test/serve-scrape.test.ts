/**
 * Scraping (issue 12, sections 2 and 6): a real node_exporter scraped by the Scraper, its
 * samples named after the target, and targets that are down, slow or not exposition counted as
 * failures without stopping the others or throwing out of the interval.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParsedTelemetry } from '../src/monitor/formats/telemetry.ts';
import { Scraper, type ScrapeTarget } from '../src/serve/scrape.ts';
import { startNodeExporter, type TestNodeExporter } from './servers/node-exporter.ts';

let exporter: TestNodeExporter;
let misbehaving: Server;
let misbehavingUrl: string;

beforeAll(async () => {
  exporter = await startNodeExporter();
  exporter.writeTextfile('# TYPE x0_test_gauge gauge\nx0_test_gauge{path="/a b"} 42\n');
  // One server, three ways to be a bad target.
  misbehaving = createServer((request, response) => {
    if (request.url === '/slow') setTimeout(() => response.end('late 1\n'), 2_000);
    else if (request.url === '/html') response.end('<!doctype html>\n<p>not metrics</p>\n');
    else if (request.url === '/huge') {
      // Chunked, no content-length: the limit must hold while reading.
      response.write(`big ${'1'.repeat(600_000)}\n`);
      response.end(`big ${'2'.repeat(600_000)}\n`);
    } else response.writeHead(500).end('boom');
  });
  await new Promise<void>((resolve) => misbehaving.listen(0, '127.0.0.1', resolve));
  misbehavingUrl = `http://127.0.0.1:${(misbehaving.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await exporter?.stop();
  misbehaving?.closeAllConnections();
  await new Promise<void>((resolve) => (misbehaving ? misbehaving.close(() => resolve()) : resolve()));
});

describe('Scraper', () => {
  it('scrapes a real node_exporter: node_load1 and the textfile metric arrive under the target', async () => {
    const got: ParsedTelemetry[] = [];
    const errors: unknown[] = [];
    const before = Date.now() / 1000;
    const scraper = new Scraper({
      targets: [{ url: exporter.metricsUrl }, { url: exporter.metricsUrl, node: 'edge: 7/a' }],
      intervalSeconds: 15,
      onSamples: (parsed) => got.push(parsed),
      onError: (_target, error) => errors.push(error),
    });
    await scraper.scrapeOnce();
    expect(errors).toEqual([]);
    expect(got).toHaveLength(2);
    const host = new URL(exporter.metricsUrl).host;
    for (const [parsed, node] of [
      [got.find((p) => p.samples[0]?.source === host), host],
      [got.find((p) => p.samples[0]?.source === 'edge: 7/a'), 'edge: 7/a'],
    ] as const) {
      expect(parsed).toBeDefined();
      const load = parsed?.samples.find((s) => s.metric === 'node_load1');
      expect(load?.source).toBe(node);
      expect(load?.value).toBeGreaterThanOrEqual(0);
      expect(load?.ts).toBeGreaterThanOrEqual(before);
      expect(parsed?.samples.find((s) => s.metric === 'x0_test_gauge{path="/a b"}')?.value).toBe(42);
      expect(
        parsed?.samples.some((s) => /^node_cpu_seconds_total\{cpu="0",mode="idle"\}$/.test(s.metric)),
      ).toBe(true);
      expect(new Set(parsed?.samples.map((s) => s.metric)).size).toBe(parsed?.samples.length);
    }
    expect(scraper.stats.map((s) => [s.scrapes, s.failures])).toEqual([
      [1, 0],
      [1, 0],
    ]);
    expect(scraper.stats[0].samples).toBe(got[0].samples.length);
  });

  it('counts a refused, unreachable, slow or non-exposition target as a failure and still scrapes the good one', async () => {
    const unreachable = `http://127.0.0.1:${(misbehaving.address() as AddressInfo).port + 1}/metrics`;
    const targets: ScrapeTarget[] = [
      { url: `${misbehavingUrl}/error` },
      { url: unreachable },
      { url: `${misbehavingUrl}/slow` },
      { url: `${misbehavingUrl}/html` },
      { url: `${misbehavingUrl}/huge` },
      { url: exporter.metricsUrl, node: 'good' },
    ];
    const failed: string[] = [];
    const good: ParsedTelemetry[] = [];
    const scraper = new Scraper({
      targets,
      intervalSeconds: 1,
      timeoutMs: 500,
      maxBodyBytes: 1_000_000,
      onSamples: (parsed) => good.push(parsed),
      onError: (target) => {
        failed.push(target.url);
        throw new Error('a throwing onError must not escape');
      },
    });
    await scraper.scrapeOnce();
    expect(failed.sort()).toEqual(
      targets
        .slice(0, 5)
        .map((t) => t.url)
        .sort(),
    );
    expect(good).toHaveLength(1);
    expect(scraper.stats.map((s) => s.failures)).toEqual([1, 1, 1, 1, 1, 0]);
    expect(scraper.stats[0].lastError).toMatch(/500/);
    expect(scraper.stats[2].lastError).toMatch(/timeout|abort/i);
    expect(scraper.stats[3].lastError).toMatch(/no line is a sample/);
    expect(scraper.stats[4].lastError).toMatch(/more than 1000000 bytes/);
  });

  it('scrapes on its interval until stopped, without piling up on a slow target', async () => {
    const scrapes: string[] = [];
    const scraper = new Scraper({
      targets: [{ url: exporter.metricsUrl, node: 'n' }, { url: `${misbehavingUrl}/slow` }],
      intervalSeconds: 0.2,
      timeoutMs: 5_000,
      onSamples: (_parsed, target) => scrapes.push(target.url),
      onError: () => {},
    });
    scraper.start();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    scraper.stop();
    const after = scrapes.length;
    expect(after).toBeGreaterThanOrEqual(3);
    expect(scraper.stats[1].scrapes).toBe(1);
    expect(scraper.stats[1].skipped).toBeGreaterThanOrEqual(3);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(scrapes.length).toBe(after);
    expect(scraper.stats[1].failures).toBe(0); // abandoned by stop(), not failed
  });

  it('refuses a bad interval, body limit or target URL', () => {
    const base = { onSamples: () => {}, onError: () => {} };
    expect(() => new Scraper({ ...base, targets: [], intervalSeconds: 0 })).toThrow(/intervalSeconds/);
    expect(() => new Scraper({ ...base, targets: [], intervalSeconds: 15, maxBodyBytes: 0 })).toThrow(
      /maxBodyBytes/,
    );
    expect(
      () => new Scraper({ ...base, targets: [{ url: 'ftp://x/metrics' }], intervalSeconds: 15 }),
    ).toThrow(/targets\[0\]\.url/);
  });
});
