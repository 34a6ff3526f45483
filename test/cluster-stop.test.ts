/**
 * An engine over NATS stopped while its NATS server is gone (issue 16): it cannot hand its regions
 * over, so it says so and exits 1 within seconds, and still closes its store and audit chain: the
 * chain verifies with its `run.end` sealed. The regions' leases lapse for another engine instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimPublisher } from '../src/cluster/publisher.ts';
import { runAudit } from './audit-cli.ts';
import { startEngine, stopEngine } from './cluster-process.ts';
import { startNats, type TestNats } from './servers/nats.ts';

let nats: TestNats;
let store: string;

beforeAll(async () => {
  nats = await startNats();
  store = mkdtempSync(join(tmpdir(), 'x0tta6bl4-cluster-stop-'));
}, 60_000);

afterAll(async () => {
  await nats?.destroy();
  rmSync(store, { recursive: true, force: true });
});

describe('an engine stopped with its NATS server gone', () => {
  it('exits 1 naming the failed hand-over, with its audit chain closed', { timeout: 120_000 }, async () => {
    // The publisher writes the cluster's layout, which the engine reads at start.
    const connection = await connect({ servers: nats.url });
    await SimPublisher.open({ connection, nodes: 60, seed: 1, hours: 0.05, regions: 2 });
    await connection.close();
    const engine = await startEngine(nats.url, 'lonely', ['--store', store]);
    await nats.stop();
    const stopping = Date.now();
    const final = await stopEngine(engine);
    expect(Date.now() - stopping).toBeLessThan(30_000);
    expect(await engine.exited).toBe(1);
    expect(engine.stderr()).toMatch(/regions not handed over \(.+\): their leases lapse instead/);
    expect(final).toMatchObject({
      handoverFailed: expect.any(String),
      audit: { entries: expect.any(Number) },
    });
    const verified = await runAudit(['verify', store, '--trust-embedded']);
    expect(verified.code, verified.err.join('\n')).toBe(0);
    expect([...verified.out, ...verified.err].join('\n')).not.toMatch(/unsealed/);
  });
});
