/**
 * The webhook executor against a real HTTP server on 127.0.0.1: the body and signature it sends
 * (checked with node:crypto, an implementation independent of the one signing), and how each kind
 * of answer, or the lack of one, maps to the outcome.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkTarget, nodeTarget } from '../src/domain/targets.ts';
import { ArgumentError } from '../src/errors.ts';
import type { ActionRequest } from '../src/execute/executor.ts';
import { WebhookExecutor } from '../src/execute/webhook-executor.ts';
import {
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
} from '../src/execute/webhook-signature.ts';

const SECRET = 'correct horse battery staple';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let base: string;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      const answer = (status: number, text = '', type = 'application/json') => {
        res.writeHead(status, { 'content-type': type });
        res.end(text);
      };
      switch (req.url) {
        case '/ok':
          return answer(200, '{"ok":true}');
        case '/no-content':
          return answer(204);
        case '/plain':
          return answer(200, 'restarted', 'text/plain');
        case '/refuse':
          return answer(200, '{"ok":false,"reason":"maintenance window until 02:00"}');
        case '/unavailable':
          return answer(503, 'upstream is down', 'text/plain');
        case '/unknown-node':
          return answer(422, '{"reason":"no such unit"}');
        case '/redirect':
          res.writeHead(307, { location: '/ok' });
          return res.end();
        case '/hang':
          // Never answers: the executor must give up at its timeout.
          return;
        default:
          return answer(404, 'no such hook', 'text/plain');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const request: ActionRequest = {
  id: 'run-act-1',
  incidentId: 'run-inc-1',
  action: 'restart-service',
  target: nodeTarget('db:5432 @rack 1'),
};

/** The last request the server received on `path`. */
const last = (path: string): Received => {
  const hit = received.filter((r) => r.path === path).at(-1);
  if (!hit) throw new Error(`nothing received on ${path}`);
  return hit;
};

describe('WebhookExecutor', () => {
  it('POSTs the action as JSON, signed over the timestamp and the exact body', async () => {
    const executor = new WebhookExecutor({ url: `${base}/ok`, secret: SECRET });
    const before = Math.floor(Date.now() / 1000);
    expect(await executor.apply(request)).toEqual({ ok: true });
    const hit = last('/ok');
    expect(hit.headers['content-type']).toBe('application/json');
    expect(JSON.parse(hit.body)).toEqual({ ...request, phase: 'apply' });
    const timestamp = hit.headers[TIMESTAMP_HEADER.toLowerCase()] as string;
    const signature = hit.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    expect(Number(timestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(timestamp)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    const expected = createHmac('sha256', SECRET).update(`${timestamp}.${hit.body}`).digest('hex');
    expect(signature).toBe(`sha256=${expected}`);
    expect(verifyWebhookSignature(SECRET, { body: hit.body, timestamp, signature })).toBe(true);
  });

  it('verification refuses a changed body, a wrong secret, a stale timestamp and missing headers', () => {
    const body = JSON.stringify({ ...request, phase: 'apply' });
    const now = 1_800_000_000;
    const headers = signWebhook(SECRET, body, now);
    const signed = { body, timestamp: headers[TIMESTAMP_HEADER], signature: headers[SIGNATURE_HEADER] };
    expect(verifyWebhookSignature(SECRET, signed, now)).toBe(true);
    expect(verifyWebhookSignature(SECRET, { ...signed, body: body.replace('apply', 'rollback') }, now)).toBe(
      false,
    );
    expect(verifyWebhookSignature('another secret', signed, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, signed, now + 301)).toBe(false);
    expect(verifyWebhookSignature(SECRET, { ...signed, timestamp: String(now + 1) }, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, { ...signed, signature: null }, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, { ...signed, timestamp: undefined }, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, { ...signed, signature: 'sha256=zz' }, now)).toBe(false);
  });

  it('sends no signature headers without a secret, and says which phase each request is', async () => {
    const executor = new WebhookExecutor({ url: `${base}/no-content`, remoteDryRun: true, verify: true });
    const link = { ...request, action: 'reroute', target: linkTarget('a', 'b') };
    expect(await executor.dryRun(link)).toEqual({ ok: true });
    expect(await executor.rollback(link)).toEqual({ ok: true });
    expect(await executor.verify!(link)).toBe(true);
    const phases = received.filter((r) => r.path === '/no-content').map((r) => JSON.parse(r.body));
    expect(phases.map((p) => p.phase)).toEqual(['dry-run', 'rollback', 'verify']);
    expect(phases[0].target).toEqual({ link: ['a', 'b'] });
    expect(received.at(-1)!.headers[SIGNATURE_HEADER.toLowerCase()]).toBeUndefined();
  });

  it('maps answers to outcomes: 2xx succeeds unless its JSON says ok: false; other statuses fail with their reason', async () => {
    const outcome = (path: string) => new WebhookExecutor({ url: `${base}${path}` }).apply(request);
    expect(await outcome('/plain')).toEqual({ ok: true });
    expect(await outcome('/refuse')).toEqual({
      ok: false,
      reason: 'webhook apply refused by the receiver: maintenance window until 02:00',
    });
    expect(await outcome('/unavailable')).toEqual({
      ok: false,
      reason: 'webhook apply answered HTTP 503 Service Unavailable: upstream is down',
    });
    expect(await outcome('/unknown-node')).toEqual({
      ok: false,
      reason: 'webhook apply answered HTTP 422 Unprocessable Entity: no such unit',
    });
    // A signed request goes where it was configured to, or fails: redirects are not followed.
    const redirected = await outcome('/redirect');
    expect(redirected.ok).toBe(false);
    expect(redirected.reason).toMatch(/HTTP 307/);
  });

  it('fails on its timeout, and names a connection that was refused', async () => {
    const started = Date.now();
    const slow = await new WebhookExecutor({ url: `${base}/hang`, timeoutMs: 200 }).apply(request);
    expect(slow).toEqual({ ok: false, reason: 'webhook apply timed out after 200 ms' });
    expect(Date.now() - started).toBeLessThan(5_000);
    // A port nothing listens on: the server's own, once closed, is not reused this quickly.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const refused = await new WebhookExecutor({ url: `http://127.0.0.1:${port}/` }).apply(request);
    expect(refused.ok).toBe(false);
    expect(refused.reason).toMatch(/^webhook apply request failed: .*ECONNREFUSED/);
  });

  it('dry-runs locally by default: checks the request without calling the receiver', async () => {
    const count = received.length;
    const executor = new WebhookExecutor({ url: `${base}/ok`, actions: ['restart-service'] });
    expect(await executor.dryRun(request)).toEqual({ ok: true });
    expect(await executor.dryRun({ ...request, action: 'scale-up' })).toEqual({
      ok: false,
      reason: 'the webhook does not handle "scale-up" (it handles restart-service)',
    });
    const broken = { ...request, target: { link: ['a', 'a'] } } as unknown as ActionRequest;
    expect((await executor.dryRun(broken)).reason).toMatch(/target\.link: a link joins two nodes/);
    // A request it would refuse locally is not sent either.
    expect((await executor.apply(broken)).ok).toBe(false);
    expect(received.length).toBe(count);
    expect(executor.verify).toBeUndefined();
  });

  it('a fetch that throws becomes a failed outcome, never a rejection', async () => {
    const executor = new WebhookExecutor({
      url: 'https://hooks.example/act',
      fetch: () => Promise.reject(new TypeError('network down')),
    });
    expect(await executor.apply(request)).toEqual({
      ok: false,
      reason: 'webhook apply request failed: network down',
    });
  });

  it('refuses bad options with an ArgumentError naming them', () => {
    expect(() => new WebhookExecutor({ url: 'ftp://x/' })).toThrow(ArgumentError);
    expect(() => new WebhookExecutor({ url: 'not a url' })).toThrow(/url: expected an http\(s\) URL/);
    expect(() => new WebhookExecutor({ url: base, secret: '' })).toThrow(/secret/);
    expect(() => new WebhookExecutor({ url: base, timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => new WebhookExecutor({ url: base, timeoutMs: 2 ** 31 })).toThrow(/timeoutMs/);
    expect(() => signWebhook('', '{}')).toThrow(/secret/);
  });
});
