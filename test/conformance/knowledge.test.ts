import { describe, expect, it } from 'vitest';
import { MemoryStore, WriteQueue, type KnowledgeStore } from '../../src/knowledge/index.ts';
import { PGliteStore } from '../../src/knowledge/pglite-store.ts';
import { behavesLikeAStore, incident } from './helpers/store-contracts.ts';

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
