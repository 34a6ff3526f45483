import { beforeAll, describe, expect, it } from 'vitest';
import { RagDiagnoser } from '../../src/rag/diagnoser.ts';
import { RUNBOOKS } from '../../src/rag/runbooks.generated.ts';

// Descriptions in the style the loop writes for its diagnoser (symptoms in operator words).
const CRASH =
  'node stopped reporting telemetry, no heartbeat, unreachable host down. on neighbouring nodes: packet loss rising, packets dropped suddenly';
const LEAK =
  'on the suspect node: memory usage growing, RAM filling up steadily over time; error rate up, requests failing suddenly';
const FLAP =
  'on both ends of one link: link quality degraded, signal weak up and down repeatedly, flapping; packet loss rising, packets dropped up and down repeatedly, flapping';

describe('RagDiagnoser (the loop diagnoser contract)', () => {
  let diagnoser: RagDiagnoser;
  beforeAll(async () => {
    diagnoser = await RagDiagnoser.create({
      kinds: ['node-crash', 'memory-leak', 'flapping-link', 'link-degradation', 'congestion', 'partition'],
    });
  });

  it('names the fault kind, cites runbooks and recommends actions with relative support', async () => {
    for (const [description, kind] of [
      [CRASH, 'node-crash'],
      [LEAK, 'memory-leak'],
      [FLAP, 'flapping-link'],
    ] as const) {
      const answer = await diagnoser.diagnose({ id: kind, metrics: ['packetLoss'] }, { description });
      expect(answer.kind).toBe(kind);
      expect(answer.citations.length).toBe(3);
      expect(answer.recommended[0].support).toBe(1);
      for (const r of answer.recommended)
        expect(r.support).toBeGreaterThanOrEqual(0), expect(r.support).toBeLessThanOrEqual(1);
    }
  });

  it('keeps to the given fault kinds', async () => {
    const answer = await diagnoser.diagnose(
      { id: 'x' },
      { description: 'certificate expired, tls handshake errors' },
    );
    expect([
      'node-crash',
      'memory-leak',
      'flapping-link',
      'link-degradation',
      'congestion',
      'partition',
    ]).toContain(answer.kind);
  });

  it('names only kinds that fit where a confident root cause lies: a node, a link, or a partition cut', async () => {
    const onNode = await diagnoser.diagnose(
      { id: 'a' },
      { description: FLAP, rootCauses: [{ target: { node: 'n1' }, score: 0.9 }] },
    );
    expect(['node-crash', 'memory-leak', 'congestion']).toContain(onNode.kind);
    expect(onNode.scope).toBe('node');
    const cut = await diagnoser.diagnose(
      { id: 'b' },
      { description: FLAP, rootCauses: [{ target: { link: ['n1', 'n2'] }, score: 0.3, cut: true }] },
    );
    expect(cut.kind).toBe('partition');
    // An unsure ranking leaves the words to decide.
    const unsure = await diagnoser.diagnose(
      { id: 'c' },
      { description: FLAP, rootCauses: [{ target: { node: 'n1' }, score: 0.3 }] },
    );
    expect(unsure.kind).toBe('flapping-link');
  });

  it('learns resolved incidents and cites them next time', async () => {
    const d = await RagDiagnoser.create();
    await d.diagnose({ id: 'i1' }, { description: LEAK });
    await d.learn(
      { id: 'i1', diagnosedKind: 'memory-leak', closedAt: 50 },
      { action: 'restart-service', target: { node: 'n3' } },
    );
    await d.learn({ id: 'never-diagnosed', diagnosedKind: 'ddos' }, undefined);
    const answer = await d.diagnose({ id: 'i2' }, { description: LEAK });
    expect(answer.citations).toContain('incident:i1');
    expect(answer.recommended[0].action).toBe('restart-service');
    expect(d.analyzer.size).toBe(RUNBOOKS.length + 1);
  });

  it('names bad arguments', async () => {
    await expect(RagDiagnoser.create({ k: 0 })).rejects.toThrow(/options.k/);
    await expect(diagnoser.diagnose({ id: 'x' }, {} as { description: string })).rejects.toThrow(
      /context.description/,
    );
  });
});
