import { afterAll, describe, expect, it } from 'vitest';
import {
  MemoryStore,
  WriteQueue,
  type KnowledgeStore,
  type IncidentRecord,
} from '../../src/knowledge/index.ts';
import { PGliteStore } from '../../src/knowledge/pglite-store.ts';

const incident: IncidentRecord = {
  id: 'inc-1',
  openedAt: 10,
  status: 'open',
  signature: 'cpu-exhaustion|cpu+latencyP95',
  nodes: ['n1', 'n2'],
  metrics: ['cpu'],
  rootCauses: [{ target: { node: 'n1' }, score: 0.8 }],
  citations: ['rb-cpu-1'],
};

function behavesLikeAStore(name: string, open: () => Promise<KnowledgeStore>) {
  describe(`${name} knowledge store`, () => {
    let store: KnowledgeStore;
    afterAll(() => store?.close());

    it('round-trips incidents, actions, posteriors and values', async () => {
      store = await open();
      await store.putIncident(incident);
      await store.putIncident({ ...incident, status: 'resolved', closedAt: 20 });
      await store.putAction({
        id: 'act-1',
        incidentId: 'inc-1',
        action: 'restart-service',
        target: { node: 'n1' },
        startedAt: 12,
        outcome: 'healed',
        score: 1.2,
        explanation: 'x',
      });
      await store.putAction({
        id: 'act-2',
        incidentId: 'inc-9',
        action: 'reroute',
        target: { link: ['n1', 'n2'] },
        startedAt: 13,
        outcome: 'pending',
        score: 0.1,
        explanation: 'y',
      });
      await store.putPosterior({ signature: 's', action: 'restart-service', alpha: 3, beta: 1 });
      await store.putPosterior({ signature: 's', action: 'restart-service', alpha: 4, beta: 1 });
      await store.putValue('thresholds', { cpu: 0.7 });
      expect(await store.listIncidents()).toEqual([{ ...incident, status: 'resolved', closedAt: 20 }]);
      expect((await store.listActions('inc-1')).map((a) => a.id)).toEqual(['act-1']);
      expect((await store.listActions()).map((a) => a.id)).toEqual(['act-1', 'act-2']);
      expect(await store.listPosteriors()).toEqual([
        { signature: 's', action: 'restart-service', alpha: 4, beta: 1 },
      ]);
      expect(await store.getValue('thresholds')).toEqual({ cpu: 0.7 });
      expect(await store.getValue('missing')).toBeUndefined();
    });
  });
}

behavesLikeAStore('memory', async () => new MemoryStore());
behavesLikeAStore('PGlite', () => PGliteStore.open('memory://'));

describe('write queue', () => {
  it('keeps writes while the store fails and delivers them in order once it recovers', async () => {
    const inner = new MemoryStore();
    let failing = true;
    const flaky = Object.create(inner) as KnowledgeStore;
    flaky.putIncident = async (i) => {
      if (failing) throw new Error('disk full');
      return inner.putIncident(i);
    };
    const faults: unknown[] = [];
    const queue = new WriteQueue(flaky, (e) => faults.push(e));
    queue.enqueue((s) => s.putIncident({ ...incident, id: 'a' }));
    queue.enqueue((s) => s.putIncident({ ...incident, id: 'b' }));
    await queue.flush();
    expect(faults.length).toBeGreaterThan(0);
    expect(queue.stats.pending).toBe(2);
    expect(queue.stats.lastError).toBe('disk full');
    failing = false;
    await queue.flush();
    expect(queue.stats).toMatchObject({ pending: 0, written: 2 });
    expect((await inner.listIncidents()).map((i) => i.id)).toEqual(['a', 'b']);
  });
});
