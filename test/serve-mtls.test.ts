/**
 * Identity and transport (issue 12, section 3) with certificates made at test time by the openssl
 * command: a CA, the server's certificate, a node's with a SPIFFE ID (its id holds a colon), a
 * node's known only by its CN (with a space), a collector's, and a node certificate from another
 * CA. `serve --client-ca` on Node: TLS 1.3 only, no client certificate or a foreign one refused
 * in the handshake, a node may send its own samples but not another's (403), a collector any.
 * Bun serves TLS 1.3 only too; Deno and Bun refuse --client-ca with an error naming the runtime.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ServeProcess,
  sampleLine,
  serveFailure,
  startServe,
  writeEngineFiles,
} from './serve-process.ts';

const run = promisify(execFile);
const T0 = 1_700_000_000;

let dir: string;
let files: { topology: string; config: string };
/** PEM text by name: ca, server, node, cn, collector, foreign (each `<name>.crt` and `<name>.key`), otherca. */
const pem: Record<string, string> = {};

/** Runs openssl in the test's folder. */
const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });

/** A P-256 key and a certificate for `subject`, signed by `ca`, with these extensions. */
async function issue(name: string, ca: string, subject: string, extensions: string[]): Promise<void> {
  await openssl(
    ...['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
    ...['-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject],
  );
  await writeFile(join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
  await openssl(
    ...['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`],
    ...['-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`],
  );
}

async function authority(name: string, subject: string): Promise<void> {
  await openssl(
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
    ...['-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', subject],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'x0-serve-mtls-'));
  files = await writeEngineFiles(dir);
  await authority('ca', '/CN=x0tta6bl4 test CA');
  await authority('otherca', '/CN=someone else');
  const client = ['extendedKeyUsage=clientAuth'];
  // One after another: each signing updates its CA's serial file.
  const spiffe = (path: string) => [`subjectAltName=URI:spiffe://mesh.test/${path}`, ...client];
  await issue('server', 'ca', '/CN=localhost', [
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    'extendedKeyUsage=serverAuth',
  ]);
  await issue('node', 'ca', '/CN=ignored when a SPIFFE ID is there', spiffe('node/db%3A5432'));
  await issue('cn', 'ca', '/CN=web front/O=Acme', client);
  await issue('collector', 'ca', '/CN=prometheus', spiffe('collector/prometheus'));
  await issue('foreign', 'otherca', '/CN=db:5432', spiffe('node/db%3A5432'));
  for (const name of ['ca', 'server', 'node', 'cn', 'collector', 'foreign'])
    for (const part of ['crt', 'key'])
      pem[`${name}.${part}`] = await readFile(join(dir, `${name}.${part}`), 'utf8');
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const tlsFlags = () => [...['--tls-cert', join(dir, 'server.crt'), '--tls-key', join(dir, 'server.key')]];

interface Answer {
  status: number;
  body: string;
}

/** POSTs NDJSON to `/v1/samples` over HTTPS, presenting the client certificate `as` (none when undefined). */
function postAs(url: string, as: string | undefined, body: string): Promise<Answer> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port: Number(port),
        path: '/v1/samples',
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        ca: pem['ca.crt'],
        ...(as ? { cert: pem[`${as}.crt`], key: pem[`${as}.key`] } : {}),
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a TLS connection limited to `maxVersion`; the protocol agreed, or the error. */
function handshake(url: string, maxVersion: 'TLSv1.2' | 'TLSv1.3', as?: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket: TLSSocket = connect({
      host: '127.0.0.1',
      servername: 'localhost',
      port: Number(port),
      ca: pem['ca.crt'],
      maxVersion,
      ...(as ? { cert: pem[`${as}.crt`], key: pem[`${as}.key`] } : {}),
    });
    socket.once('secureConnect', () => {
      resolve(socket.getProtocol() ?? 'none');
      socket.destroy();
    });
    socket.once('error', (error) => resolve(`error: ${error.message}`));
  });
}

describe('serve --client-ca on Node: mutual TLS', () => {
  let served: ServeProcess;
  beforeAll(async () => {
    served = await startServe('node', [
      ...['--topology', files.topology, '--config', files.config, '--port', '0'],
      ...['--audit', join(dir, 'audit-mtls.json'), ...tlsFlags(), '--client-ca', join(dir, 'ca.crt')],
    ]);
    expect(served.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  }, 60_000);
  afterAll(async () => {
    const end = await served?.stop('SIGTERM');
    expect(end?.code, served?.stderr()).toBe(0);
  });

  it('speaks TLS 1.3 only', async () => {
    expect(await handshake(served.url, 'TLSv1.3', 'node')).toBe('TLSv1.3');
    expect(await handshake(served.url, 'TLSv1.2', 'node')).toMatch(/^error: .*(protocol version|alert)/i);
  });

  it('refuses a client without a certificate, or with one from another CA, in the handshake', async () => {
    const line = sampleLine(T0, 'db:5432', 'errorRate', 0.01);
    await expect(postAs(served.url, undefined, line)).rejects.toThrow(
      /certificate required|ECONNRESET|socket hang up/i,
    );
    await expect(postAs(served.url, 'foreign', line)).rejects.toThrow(
      /unknown ca|ECONNRESET|socket hang up/i,
    );
  });

  it("lets a node send its own samples but not another node's; a collector sends any", async () => {
    const own = await postAs(served.url, 'node', sampleLine(T0, 'db:5432', 'errorRate', 0.01));
    expect(own.status, own.body).toBe(202);
    expect(JSON.parse(own.body)).toMatchObject({ accepted: 1 });

    const other = await postAs(
      served.url,
      'node',
      [sampleLine(T0, 'db:5432', 'errorRate', 0.01), sampleLine(T0, 'api/v1', 'errorRate', 0.01)].join('\n'),
    );
    expect(other.status).toBe(403);
    expect(JSON.parse(other.body)).toMatchObject({ error: 'forbidden-source', accepted: 0 });
    expect(JSON.parse(other.body).detail).toContain('db:5432 may only send samples for itself');

    // Without a SPIFFE ID, the CN names the node.
    const byName = await postAs(served.url, 'cn', sampleLine(T0, 'web front', 'latencyP95', 40));
    expect(byName.status, byName.body).toBe(202);
    expect((await postAs(served.url, 'cn', sampleLine(T0, 'db:5432', 'latencyP95', 40))).status).toBe(403);

    const collected = await postAs(
      served.url,
      'collector',
      ['db:5432', 'api/v1', 'cache@eu', 'web front']
        .map((n) => sampleLine(T0 + 1, n, 'errorRate', 0.02))
        .join('\n'),
    );
    expect(collected.status, collected.body).toBe(202);
    expect(JSON.parse(collected.body)).toMatchObject({ accepted: 4 });
  });
});

describe('TLS and mutual TLS on Bun and Deno', () => {
  it('Bun serves TLS 1.3 only', async () => {
    const served = await startServe('bun', [
      ...['--topology', files.topology, '--config', files.config, '--port', '0'],
      ...['--audit', join(dir, 'audit-bun.json'), ...tlsFlags()],
    ]);
    try {
      expect(served.url).toMatch(/^https:/);
      expect(await handshake(served.url, 'TLSv1.3')).toBe('TLSv1.3');
      expect(await handshake(served.url, 'TLSv1.2')).toMatch(/^error: .*protocol version/i);
    } finally {
      expect((await served.stop('SIGTERM')).code).toBe(0);
    }
  }, 60_000);

  it.each([
    ['deno', 'Deno: Deno.serve cannot ask for client certificates'],
    ['bun', 'Bun: Bun.serve can require a client certificate but does not show it to the request handler'],
  ] as const)(
    '%s refuses --client-ca, naming the runtime (exit 2)',
    async (runtime, reason) => {
      const refused = await serveFailure(runtime, [
        ...['--topology', files.topology, '--port', '0', '--audit', join(dir, `audit-${runtime}-mtls.json`)],
        ...tlsFlags(),
        ...['--client-ca', join(dir, 'ca.crt')],
      ]);
      expect(refused.code).toBe(2);
      const [first, second] = refused.stderr.split('\n');
      expect(first).toBe(
        `serve: --client-ca: mutual TLS is not available on ${reason}${runtime === 'bun' ? ', so no identity can be taken from it' : ''}; serve mutual TLS with Node`,
      );
      expect(second).toMatch(/^usage: x0tta6bl4 serve /);
      expect(refused.stdout).toBe('');
    },
    60_000,
  );
});
