/**
 * Engines over NATS JetStream keeping their knowledge on one PostgreSQL server (issue 16, section
 * 3): two `serve --nats --store postgres://...` engines over the simulated 300-node mesh. After the
 * run every engine's own audit chain verifies (`audit verify postgres://... --trust-embedded`), and
 * the incidents and actions in the database are exactly those the engines' loops reported on
 * their events subjects: none lost, none twice, each action's outcome recorded and the success
 * rates learnt from them stored.
 */
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, type ClusterEventMessage, eventsSubject } from '../src/cluster/subjects.ts';
import { PostgresStore } from '../src/knowledge/postgres-store.ts';
import { runAudit } from './audit-cli.ts';
import { clusterRun } from './cluster-process.ts';
import { startNats, type TestNats } from './servers/nats.ts';
import { startPostgres, type TestPostgres } from './servers/postgres.ts';

let nats: TestNats;
let pg: TestPostgres;

beforeAll(async () => {
  [nats, pg] = await Promise.all([startNats(), startPostgres()]);
}, 60_000);

afterAll(async () => {
  await Promise.all([nats?.destroy(), pg?.destroy()]);
});

describe('engines over NATS with knowledge on one PostgreSQL server', () => {
  it('two engines: each chain verifies, the database holds every incident and action reported once', {
    timeout: 420_000,
  }, async () => {
    const url = await pg.createDatabase('cluster');
    // The engines' loop events, as they report them.
    const watcher = await connect({ servers: nats.url });
    const incidents = new Map<string, string>();
    const actions = new Map<string, string>();
    /** The outcome each action's last result (or rollback) reported. */
    const outcomes = new Map<string, string>();
    const subscription = watcher.subscribe(eventsSubject('*'));
    const reading = (async () => {
      for await (const message of subscription) {
        const event = decode<ClusterEventMessage>(message.data, 'events');
        if (event.kind !== 'loop') continue;
        const { type, incident, action } = event.event as {
          type: string;
          incident?: { id: string };
          action?: { id: string; outcome: string };
        };
        if (type === 'incident-opened' && incident) incidents.set(incident.id, event.engine);
        if (type === 'action-started' && action) actions.set(action.id, event.engine);
        if ((type === 'action-result' || type === 'rollback') && action)
          outcomes.set(action.id, action.outcome);
      }
    })();
    let runIds: string[];
    try {
      const { result, finals, engines } = await clusterRun({
        url: nats.url,
        engines: ['a', 'b'],
        engineArgs: ['--store', url],
        seed: 3,
      });
      expect(result.unacknowledged).toEqual([]);
      expect(result.report.overall.injected).toBeGreaterThan(0);
      for (const id of ['a', 'b']) expect(finals.get(id), `${id} stopped cleanly`).toBeDefined();
      runIds = ['a', 'b'].map((id) => {
        const match = /serve: run ([0-9A-Z]{26}):/.exec(engines.get(id)!.stderr());
        expect(match, engines.get(id)!.stderr()).not.toBeNull();
        return match![1];
      });
      const opened = ['a', 'b'].reduce((sum, id) => sum + Number(finals.get(id)?.incidentsOpened), 0);
      expect(opened).toBeGreaterThan(0);
      expect(incidents.size).toBe(opened);
    } finally {
      await watcher.drain();
      await reading;
    }

    const verified = await runAudit(['verify', url, '--trust-embedded']);
    expect(verified.code, verified.out.join('\n') + verified.err.join('\n')).toBe(0);
    for (const runId of runIds)
      expect(verified.out).toContainEqual(expect.stringMatching(new RegExp(`^chain ${runId}: OK `)));

    const store = await PostgresStore.open(url, { existing: true });
    try {
      const stored = await store.listIncidents();
      expect(stored.map((i) => i.id).sort()).toEqual([...incidents.keys()].sort());
      const storedActions = await store.listActions();
      expect(actions.size).toBeGreaterThan(0);
      expect(storedActions.map((a) => a.id).sort()).toEqual([...actions.keys()].sort());
      // Their outcomes as reported (pending: in flight when the run ended), and the success rates learnt from them.
      expect(outcomes.size).toBeGreaterThan(0);
      for (const stored of storedActions)
        expect(stored.outcome, stored.id).toBe(outcomes.get(stored.id) ?? 'pending');
      expect((await store.listPosteriors()).length).toBeGreaterThan(0);
      // Each engine's records carry its own run's ids.
      for (const [id, engine] of incidents) expect(id.startsWith(runIds[engine === 'a' ? 0 : 1])).toBe(true);
    } finally {
      await store.close();
    }
  });
});
