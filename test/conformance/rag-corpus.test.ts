import { describe, expect, it } from 'vitest';
import { ACTION_NAMES } from '../../src/domain/actions.ts';
import { FAULT_KINDS } from '../../src/domain/faults.ts';
import { ArgumentError } from '../../src/errors.ts';
import { SEVERITIES } from '../../src/rag/document.ts';
import { parseRunbook } from '../../src/rag/runbook.ts';
import { RUNBOOKS } from '../../src/rag/runbooks.generated.ts';
import data from '../fixtures/rag/queries.json' with { type: 'json' };

describe('shipped runbook corpus', () => {
  it('has at least 60 runbooks with unique ids', () => {
    expect(RUNBOOKS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(RUNBOOKS.map((r) => r.id)).size).toBe(RUNBOOKS.length);
  });

  it('covers every fault kind at least twice, with known severities', () => {
    for (const kind of FAULT_KINDS) {
      expect(RUNBOOKS.filter((r) => r.faults.includes(kind)).length).toBeGreaterThanOrEqual(2);
    }
    for (const r of RUNBOOKS) {
      expect(SEVERITIES as readonly string[]).toContain(r.severity);
      expect(r.symptoms.length).toBeGreaterThanOrEqual(3);
      expect(r.body.length).toBeGreaterThan(100);
    }
  });

  it('the labelled query set has >= 100 queries whose relevant ids exist, split in halves', () => {
    const ids = new Set(RUNBOOKS.map((r) => r.id));
    expect(data.queries.length).toBeGreaterThanOrEqual(100);
    for (const q of data.queries) for (const id of q.relevant) expect(ids.has(id)).toBe(true);
    const dev = data.queries.filter((q) => q.split === 'dev').length;
    expect(Math.abs(dev * 2 - data.queries.length)).toBeLessThanOrEqual(1);
  });
});

describe('parseRunbook', () => {
  const good =
    '---\nid: my-rb\ntitle: T\nfaults: [ddos]\nsymptoms: [a]\nmetrics: [m]\nactions: [rate-limit]\nseverity: low\n---\nBody text\n';

  it('parses front matter and body', () => {
    const r = parseRunbook(good, 'my.md');
    expect(r).toEqual({
      id: 'my-rb',
      source: 'runbook',
      title: 'T',
      faults: ['ddos'],
      symptoms: ['a'],
      metrics: ['m'],
      actions: ['rate-limit'],
      severity: 'low',
      body: 'Body text',
    });
  });

  it('rejects bad files with an error naming the file and field', () => {
    expect(() => parseRunbook('no front matter', 'x.md')).toThrow(ArgumentError);
    expect(() => parseRunbook('no front matter', 'x.md')).toThrow(/x\.md/);
    expect(() => parseRunbook(good.replace('severity: low', 'severity: urgent'), 'x.md')).toThrow(
      /x\.md: severity/,
    );
    expect(() => parseRunbook(good.replace('faults: [ddos]', 'faults: []'), 'x.md')).toThrow(/x\.md: faults/);
    expect(() => parseRunbook(good.replace('symptoms: [a]', 'symptoms:\n  - expiry: soon'), 'x.md')).toThrow(
      /x\.md: symptoms/,
    );
    expect(() => parseRunbook(good.replace('id: my-rb', 'id: My RB'), 'x.md')).toThrow(/x\.md: id/);
    expect(() => parseRunbook(good.replace('title: T', 'title: [unclosed'), 'x.md')).toThrow(/front matter/);
  });

  it('accepts only the vocabulary: the domain by default, or one that adds kinds of your own', () => {
    const own = good
      .replace('faults: [ddos]', 'faults: [ddos, toaster-fire]')
      .replace('[rate-limit]', '[unplug]');
    expect(() => parseRunbook(own, 'x.md')).toThrow(/x\.md: faults: unknown fault kind "toaster-fire"/);
    expect(() => parseRunbook(good.replace('[rate-limit]', '[unplug]'), 'x.md')).toThrow(
      /x\.md: actions: unknown action "unplug"/,
    );
    const vocabulary = { faults: [...FAULT_KINDS, 'toaster-fire'], actions: [...ACTION_NAMES, 'unplug'] };
    expect(parseRunbook(own, 'x.md', vocabulary)).toMatchObject({
      faults: ['ddos', 'toaster-fire'],
      actions: ['unplug'],
    });
  });
});
