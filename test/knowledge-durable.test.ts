import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PGliteStore } from '../src/knowledge/pglite-store.ts';

describe('PGlite store on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'x0tta-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps everything across a close and reopen', async () => {
    const first = await PGliteStore.open(dir);
    for (let i = 0; i < 50; i++) {
      await first.putAction({
        id: `a${i}`,
        incidentId: 'i',
        action: 'reroute',
        target: { link: ['n1', 'n2'] },
        startedAt: i,
        outcome: 'healed',
        score: i,
        explanation: '',
      });
    }
    await first.putPosterior({ signature: 's', action: 'reroute', alpha: 9, beta: 2 });
    await first.close();
    const second = await PGliteStore.open(dir);
    expect((await second.listActions()).length).toBe(50);
    expect(await second.listPosteriors()).toEqual([{ signature: 's', action: 'reroute', alpha: 9, beta: 2 }]);
    await second.close();
  });
});
