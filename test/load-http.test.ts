import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../src/errors.ts';
import { httpTarget } from '../src/load/http-target.ts';
import { runScenario } from '../src/load/run.ts';

let server: Server;
let base: string;
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/ok') res.end('fine');
    else if (req.url === '/flaky') {
      res.statusCode = hits % 2 === 0 ? 503 : 200;
      res.end();
    } else if (req.url === '/hang') {
      // Never answers; the load test must time the call out and abort it.
    } else if (req.url === '/echo' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        res.statusCode = body === 'ping' ? 200 : 400;
        res.end();
      });
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('httpTarget (Node test server)', () => {
  it('loads an endpoint at a constant rate', async () => {
    hits = 0;
    const result = await runScenario(httpTarget(`${base}/ok`), {
      name: 'http',
      model: 'open',
      stages: [{ rate: 100, durationMs: 500 }],
      thresholds: ['error_rate==0'],
    });
    expect(result.summary.ok).toBe(50);
    expect(hits).toBe(50);
    expect(result.passed).toBe(true);
  });

  it('counts error statuses by kind and sends method and body', async () => {
    hits = 0;
    const flaky = await runScenario(httpTarget(`${base}/flaky`), {
      name: 'flaky',
      model: 'closed',
      stages: [{ concurrency: 1, durationMs: 200 }],
    });
    expect(flaky.summary.errorsByKind.http_503).toBe(flaky.summary.failed);
    expect(flaky.summary.failed).toBeGreaterThan(0);
    expect(Math.abs(flaky.summary.failed - flaky.summary.ok)).toBeLessThanOrEqual(1);
    const post = await runScenario(httpTarget(`${base}/echo`, { method: 'POST', body: 'ping' }), {
      name: 'post',
      model: 'open',
      stages: [{ rate: 50, durationMs: 100 }],
    });
    expect(post.summary.ok).toBe(5);
    const missing = await runScenario(httpTarget(`${base}/nope`), {
      name: 'missing',
      model: 'open',
      stages: [{ rate: 50, durationMs: 100 }],
    });
    expect(missing.summary.errorsByKind).toEqual({ http_404: 5 });
  });

  it('times out a hanging endpoint and a refused connection is a network error', async () => {
    const hang = await runScenario(httpTarget(`${base}/hang`), {
      name: 'hang',
      model: 'open',
      stages: [{ rate: 50, durationMs: 100 }],
      timeoutMs: 100,
    });
    expect(hang.summary.errorsByKind).toEqual({ timeout: 5 });
    const refused = await runScenario(httpTarget('http://127.0.0.1:1/'), {
      name: 'refused',
      model: 'open',
      stages: [{ rate: 20, durationMs: 100 }],
    });
    expect(refused.summary.errorsByKind).toEqual({ network: 2 });
  });

  it('rejects bad URLs naming the argument', () => {
    expect(() => httpTarget('not a url')).toThrow(ArgumentError);
    expect(() => httpTarget('ftp://x/')).toThrow(/url/);
  });
});
