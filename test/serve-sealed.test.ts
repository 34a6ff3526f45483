/**
 * Sealed telemetry into `x0tta6bl4 serve` (issue 12, section 2): with the engine's key file
 * (--keys) and the nodes' public keys (--trust), a node handshakes over HTTP, sends a sealed batch
 * and a one-shot message, and both are processed; an untrusted node's handshake is refused, and
 * --trust without --keys is a usage error.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKeysCommand } from '../src/cli/keys.ts';
import { encodeColumnarBatch, sealColumnarBatch } from '../src/monitor/sealed.ts';
import { initiateHandshake } from '../src/security/handshake.ts';
import { importKeyFile } from '../src/security/keyfile.ts';
import { KeyRing, NodeKeys } from '../src/security/keys.ts';
import { sealOneShot } from '../src/security/oneshot.ts';
import { SESSION_HEADER } from '../src/serve/handler.ts';
import { quietly } from './quietly.ts';
import { finalFigures, NODES, serveFailure, startServe, writeEngineFiles } from './serve-process.ts';

const T0 = 1_700_000_000;

let dir: string;
let files: { topology: string; config: string };
let engineKeyFile: string;
let trustFile: string;
const node = NodeKeys.generate({ owner: 'api/v1' });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'x0-serve-sealed-'));
  files = await writeEngineFiles(dir);
  engineKeyFile = join(dir, 'engine-keys.json');
  expect((await quietly(() => runKeysCommand(['generate', '--out', engineKeyFile]))).code).toBe(0);
  trustFile = join(dir, 'nodes-public.json');
  await writeFile(trustFile, JSON.stringify([node.ring().toJSON()]));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const octets = (url: string, path: string, body: Uint8Array, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    body: body as Uint8Array<ArrayBuffer>,
    headers: { 'content-type': 'application/octet-stream', ...headers },
  });

describe('serve --keys --trust', () => {
  it('takes sealed sessions and one-shot messages from trusted nodes, and refuses a stranger', {
    timeout: 60_000,
  }, async () => {
    const engine = await importKeyFile(JSON.parse(await readFile(engineKeyFile, 'utf8')), undefined);
    const engineTrust = new KeyRing(engine.ring().records());
    const served = await startServe('node', [
      ...['--topology', files.topology, '--config', files.config, '--port', '0'],
      ...['--keys', engineKeyFile, '--trust', trustFile],
    ]);
    try {
      const pending = initiateHandshake(node, engineTrust, engine.signingKey(Date.now()).id);
      const reply = await octets(served.url, '/v1/sessions', pending.hello);
      expect(reply.status).toBe(200);
      const session = pending.complete(new Uint8Array(await reply.arrayBuffer()));
      const batch = {
        ts: T0,
        columns: { errorRate: Float64Array.of(0.02) },
        sources: Uint32Array.of(NODES.indexOf('api/v1')),
      };
      const sealed = await sealColumnarBatch(session, batch);
      expect((await octets(served.url, '/v1/sealed', sealed, { [SESSION_HEADER]: session.id })).status).toBe(
        202,
      );
      const oneShot = sealOneShot(
        node,
        engine.kemKey(Date.now()),
        encodeColumnarBatch({ ...batch, ts: T0 + 1 }),
      );
      expect((await octets(served.url, '/v1/sealed', oneShot)).status).toBe(202);
      const stranger = NodeKeys.generate({ owner: 'api/v1' });
      const refused = initiateHandshake(stranger, engineTrust, engine.signingKey(Date.now()).id);
      expect((await octets(served.url, '/v1/sessions', refused.hello)).status).toBe(401);
    } finally {
      const end = await served.stop('SIGTERM');
      expect(end, served.stderr()).toEqual({ code: 0, signal: null });
    }
    const figures = finalFigures(served.stdout());
    expect(figures.stats.samplesProcessed).toBe(2);
  });

  it('refuses --trust without --keys, naming it', async () => {
    const failure = await serveFailure('node', ['--topology', files.topology, '--trust', trustFile]);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toContain('--trust');
  });
});
