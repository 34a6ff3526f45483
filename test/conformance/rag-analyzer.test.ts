import { beforeAll, describe, expect, it } from 'vitest';
import { RAGAnalyzer } from '../../src/rag/analyzer.ts';
import { evaluateRankings } from '../../src/rag/evaluate.ts';
import { MemoryRagStore } from '../../src/rag/store.ts';
import data from '../fixtures/rag/queries.json' with { type: 'json' };

describe('RAGAnalyzer over the shipped runbooks', () => {
  let analyzer: RAGAnalyzer;
  beforeAll(async () => {
    analyzer = await RAGAnalyzer.create();
  });

  it('indexes the shipped corpus on first start, and not again over the same store', async () => {
    expect(analyzer.size).toBeGreaterThanOrEqual(60);
    const store = new MemoryRagStore();
    await RAGAnalyzer.create({ store });
    const custom = {
      id: 'my-own',
      source: 'runbook' as const,
      title: 'Printer on fire',
      faults: ['node-crash'],
      severity: 'low' as const,
      symptoms: [],
      metrics: [],
      actions: ['failover'],
      body: '',
    };
    const first = await RAGAnalyzer.create({ store });
    await first.indexKnowledge([custom]);
    const again = await RAGAnalyzer.create({ store });
    expect(again.size).toBe(first.size);
    expect((await again.retrieveContext('printer fire', { k: 1 })).documents[0].id).toBe('my-own');
  });

  it('meets the figures on the labelled queries, the hybrid beating plain BM25 and vectors alone', async () => {
    const plain = await RAGAnalyzer.create({ thesaurus: null });
    const quality = async (a: RAGAnalyzer, mode: 'hybrid' | 'lexical' | 'vector') => {
      const ranked = [];
      for (const q of data.queries)
        ranked.push((await a.retrieveContext(q.text, { k: 10, mode })).documents.map((d) => d.id));
      return evaluateRankings(data.queries, ranked);
    };
    const hybrid = await quality(analyzer, 'hybrid');
    const expanded = await quality(analyzer, 'lexical');
    const vector = await quality(analyzer, 'vector');
    const bm25 = await quality(plain, 'lexical');
    expect(hybrid.recallAt3).toBeGreaterThanOrEqual(0.95);
    expect(hybrid.mrr).toBeGreaterThanOrEqual(0.85);
    for (const part of [bm25, vector]) {
      expect(hybrid.recallAt3).toBeGreaterThan(part.recallAt3);
      expect(hybrid.mrr).toBeGreaterThan(part.mrr);
    }
    // The thesaurus lifts BM25 on its own too; fusion still ranks the answer higher.
    expect(expanded.mrr).toBeGreaterThan(bm25.mrr);
    expect(hybrid.mrr).toBeGreaterThan(expanded.mrr);
  });

  it('diagnoses an incident from its metrics and symptoms, citing runbooks', async () => {
    const d = await analyzer.augmentAnalysis({
      id: 'inc-1',
      symptoms: ['resident memory keeps climbing', 'service was oom killed'],
      metrics: [
        { name: 'memory', deviation: 6.1 },
        { name: 'swap_used', deviation: 3.2 },
      ],
      nodes: ['n4'],
    });
    expect(d.incidentId).toBe('inc-1');
    expect(d.likelyFaults[0].fault).toBe('memory-leak');
    expect(d.likelyFaults.reduce((s, f) => s + f.score, 0)).toBeCloseTo(1, 9);
    expect(d.runbooks.length).toBe(3);
    expect(d.runbooks[0].faults).toContain('memory-leak');
    expect(d.similarIncidents).toEqual([]);
    // The first candidate is a remedy of the runbook cited first; restarting is among them.
    expect(d.runbooks[0].actions).toContain(d.candidateActions[0].action);
    expect(d.candidateActions.map((c) => c.action)).toContain('restart-service');
    expect(d.explanation).toContain(d.runbooks[0].id);
    expect(d.query).toContain('memory high');
  });

  it('learns from resolved incidents: cites them and shifts action priors by outcome', async () => {
    const a = await RAGAnalyzer.create({ store: new MemoryRagStore() });
    const incident = {
      id: 'cur',
      symptoms: ['certificate expired, tls handshake failures'],
      metrics: [{ name: 'tls_handshake_errors', deviation: 9 }],
    };
    const before = await a.augmentAnalysis(incident);
    const priorOf = (d: typeof before, action: string) =>
      d.candidateActions.find((c) => c.action === action)?.prior ?? 0;
    for (let i = 0; i < 3; i++) {
      await a.recordResolved({
        ...incident,
        id: `past-${i}`,
        fault: 'cert-expiry',
        actions: ['restart-service', 'renew-certificate'],
        resolvedBy: 'renew-certificate',
        resolvedAt: 1000 + i,
      });
    }
    const after = await a.augmentAnalysis(incident);
    expect(after.similarIncidents.length).toBe(3);
    expect(after.similarIncidents[0].id).toMatch(/^incident:past-/);
    expect(after.similarIncidents[0].resolvedBy).toBe('renew-certificate');
    expect(after.likelyFaults[0].fault).toBe('cert-expiry');
    expect(priorOf(after, 'renew-certificate')).toBeGreaterThan(priorOf(before, 'renew-certificate'));
    expect(priorOf(after, 'restart-service')).toBeLessThan(priorOf(before, 'restart-service'));
    expect(after.candidateActions[0].action).toBe('renew-certificate');
    expect(after.explanation).toMatch(/healed by renew-certificate/);
  });

  it('ranks the labelled fault kind first for most operator descriptions', async () => {
    let right = 0;
    for (const q of data.queries) {
      const d = await analyzer.augmentAnalysis({ id: q.id, summary: q.text });
      if (d.likelyFaults[0].fault === q.kind) right++;
    }
    expect(right / data.queries.length).toBeGreaterThanOrEqual(0.8);
  });

  it('names bad incidents', async () => {
    await expect(analyzer.augmentAnalysis({ id: '' })).rejects.toThrow(/incident.id/);
    await expect(analyzer.augmentAnalysis({ id: 'x' })).rejects.toThrow(/nothing|no summary/);
    await expect(
      analyzer.augmentAnalysis({ id: 'x', metrics: [{ name: 'cpu', deviation: Number.NaN }] }),
    ).rejects.toThrow(/incident.metrics\[0\]/);
    await expect(analyzer.augmentAnalysis({ id: 'x', summary: 'y' }, { k: 0 })).rejects.toThrow(/options.k/);
    await expect(analyzer.recordResolved({ id: 'x', fault: '', actions: [], resolvedAt: 1 })).rejects.toThrow(
      /incident.fault/,
    );
    await expect(
      analyzer.recordResolved({ id: 'x', fault: 'ddos', actions: [], resolvedAt: Number.NaN }),
    ).rejects.toThrow(/incident.resolvedAt/);
  });
});
