/**
 * Engines over NATS register their regions' learnt models in the model registry of the store
 * they share (issue 16, sections 2 and 3; src/cluster/region-models.ts), with a real nats-server
 * and PostgreSQL: engine `a` runs the 300-node mesh alone, engine `b` joins mid-run and `a` hands
 * it half the regions. Every region's success rates, scoring adapter, detector and incident index
 * are registered under the region's name (`models list --store postgres://...` lists them), each
 * registration is in its engine's audit chain, and a region handed over continues its lineage:
 * the new owner's first version descends from the version the previous owner registered at the
 * hand-over. A second cluster on the same store, with NATS holding no checkpoint, starts each
 * region from its registered models and goes on with their lineage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModelsCommand } from '../src/cli/models.ts';
import { regionModelName } from '../src/cluster/region-models.ts';
import { PostgresStore } from '../src/knowledge/postgres-store.ts';
import type { ModelVersionRecord } from '../src/knowledge/models.ts';
import { ModelRegistry } from '../src/mlops/registry.ts';
import type { LearntModelKey } from '../src/run/learning.ts';
import { runAudit } from './audit-cli.ts';
import { clusterRun, startEngine } from './cluster-process.ts';
import { startNats, type TestNats } from './servers/nats.ts';
import { startPostgres, type TestPostgres } from './servers/postgres.ts';

const REGIONS = 6;
const KEYS: LearntModelKey[] = ['successRates', 'adapter', 'detector', 'incidents'];

let nats: TestNats;
let pg: TestPostgres;

beforeAll(async () => {
  [nats, pg] = await Promise.all([startNats(), startPostgres()]);
}, 60_000);

afterAll(async () => {
  await Promise.all([nats?.destroy(), pg?.destroy()]);
});

/** Every version of every region's models, by name. */
async function regionVersions(url: string): Promise<Map<string, ModelVersionRecord[]>> {
  const store = await PostgresStore.open(url);
  try {
    const registry = new ModelRegistry(store);
    const out = new Map<string, ModelVersionRecord[]>();
    for (let region = 0; region < REGIONS; region++)
      for (const key of KEYS) {
        const name = regionModelName(region, key);
        out.set(name, await registry.versions(name).catch(() => []));
      }
    return out;
  } finally {
    await store.close();
  }
}

describe("engines register their regions' learnt models", () => {
  it('per region, audited, a region handed over continuing its lineage under its new owner', {
    timeout: 600_000,
  }, async () => {
    const url = await pg.createDatabase('models');
    let joined = false;
    const { result, finals, engines } = await clusterRun({
      url: nats.url,
      engines: ['a'],
      engineArgs: ['--store', url],
      seed: 3,
      hours: 0.5,
      async onTick(tick, _publisher, running) {
        if (joined || tick !== 900) return;
        joined = true;
        running.set('b', await startEngine(nats.url, 'b', ['--store', url]));
      },
    });
    expect(result.unacknowledged).toEqual([]);
    for (const id of ['a', 'b']) expect(finals.get(id), `${id} stopped cleanly`).toBeDefined();
    expect(Number(finals.get('a')?.handedOver)).toBeGreaterThanOrEqual(1);

    const versions = await regionVersions(url);
    // Every region's models, the incident index only where the region indexed resolved incidents.
    for (let region = 0; region < REGIONS; region++)
      for (const key of ['successRates', 'adapter', 'detector'] as const)
        expect(
          versions.get(regionModelName(region, key))!.length,
          `${regionModelName(region, key)}`,
        ).toBeGreaterThan(0);
    const registered = [...versions.values()].reduce((sum, v) => sum + v.length, 0);
    const reported = Number(finals.get('a')?.modelVersions) + Number(finals.get('b')?.modelVersions);
    expect(registered).toBe(reported);
    expect(Number(finals.get('a')?.modelFailures) + Number(finals.get('b')?.modelFailures)).toBe(0);

    // The regions b took from a: b's first version of each model descends from a's last before it.
    const taken = Array.from({ length: REGIONS }, (_, r) => r).filter((r) =>
      versions.get(regionModelName(r, 'successRates'))!.some((v) => v.tags.includes('engine:b')),
    );
    expect(taken.length).toBeGreaterThanOrEqual(1);
    for (const region of taken)
      for (const key of ['successRates', 'adapter', 'detector'] as const) {
        const history = versions.get(regionModelName(region, key))!;
        const first = history.findIndex((v) => v.tags.includes('engine:b'));
        expect(first, `${regionModelName(region, key)}: a registered before b`).toBeGreaterThanOrEqual(1);
        const parent = history.find((v) => v.version === history[first].lineage.parent);
        expect(parent?.tags).toContain('engine:a');
        expect(parent?.version).toBe(history[first - 1].version);
        expect(history[first].tags).toContain(`region:${region}`);
      }

    // `models list` shows them; each engine's chain, with its registrations, verifies.
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    expect(await runModelsCommand(['list', '--store', url], io)).toBe(0);
    for (let region = 0; region < REGIONS; region++)
      expect(lines.join('\n')).toContain(regionModelName(region, 'successRates'));
    const verified = await runAudit(['verify', url, '--trust-embedded']);
    expect(verified.code, verified.err.join('\n')).toBe(0);
    const stderr = engines.get('b')!.stderr();
    expect(stderr).toContain('checkpoint by a');

    // A new cluster on the same store: NATS holds no checkpoint, so each region starts from its
    // registered models, and its next versions descend from them.
    const champions = new Map(
      [...versions].flatMap(([name, history]) =>
        history.length > 0 ? [[name, history.at(-1)!.version] as const] : [],
      ),
    );
    const again = await clusterRun({
      url: nats.url,
      engines: ['c'],
      engineArgs: ['--store', url],
      seed: 3,
      hours: 0.2,
    });
    expect(again.result.unacknowledged).toEqual([]);
    const c = again.engines.get('c')!.stderr();
    for (let region = 0; region < REGIONS; region++)
      expect(c).toContain(`region ${region}: starting from its registered models`);
    const after = await regionVersions(url);
    for (const [name, history] of after) {
      const before = champions.get(name);
      if (before === undefined) continue;
      const next = history.find((v) => v.tags.includes('engine:c'));
      expect(next?.lineage.parent, name).toBe(before);
    }
    console.info(
      `registered ${registered} versions over ${REGIONS} regions; b took regions ${taken.join(', ')}; a second cluster went on from ${champions.size} models`,
    );
  });
});
