import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.ts';
import { HashedEmbedder } from '../../src/rag/hashed-embedder.ts';
import { stem, tokenize } from '../../src/rag/text.ts';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

describe('text normalisation', () => {
  it('lower-cases, drops stop words and stems inflections', () => {
    expect(tokenize('The node CRASHED and was crashing; crashes!')).toEqual([
      'node',
      'crash',
      'crash',
      'crash',
    ]);
    expect(stem('dropped')).toBe('drop');
    expect(stem('stalled')).toBe('stall');
    expect(stem('replicas')).toBe('replica');
    expect(stem('retries')).toBe('retry');
    expect(stem('status')).toBe('status');
    expect(stem('switches')).toBe('switch');
    expect(stem('caches')).toBe('cache');
    expect(stem('boxes')).toBe('box');
    expect(tokenize('日本語 ünïcode e2e')).toEqual(['日本語', 'ünïcode', 'e2e']);
    expect(tokenize('queueDepth and latencyP95 up, link_utilisation at NXDOMAIN')).toEqual([
      'queuedepth',
      'queue',
      'depth',
      'latencyp95',
      'latency',
      'p95',
      'link',
      'utilisation',
      'nxdomain',
    ]);
  });

  it('brings abbreviations and spellings of one word to one term', () => {
    expect(tokenize('TX errs, RX pkts on iface')).toEqual([
      'transmit',
      'error',
      'receive',
      'packet',
      'interface',
    ]);
    expect(tokenize('ds, sts and pvc')).toEqual(['daemonset', 'statefulset', 'persistentvolumeclaim']);
    expect(tokenize('k8s mem fs')).toEqual(tokenize('kubernetes memory filesystem'));
  });
});

describe('HashedEmbedder', () => {
  let wasm: HashedEmbedder;
  let ts: HashedEmbedder;
  beforeAll(async () => {
    wasm = await HashedEmbedder.create({ backend: 'wasm' });
    ts = await HashedEmbedder.create({ backend: 'ts' });
  });

  it('runs the wasm kernel where SIMD exists, with the same id as the twin', () => {
    expect(wasm.backend).toBe('wasm');
    expect(ts.backend).toBe('ts');
    expect(wasm.id).toBe(ts.id);
    expect(wasm.dim).toBe(384);
  });

  it('embeds identically on both backends, including the thesaurus', () => {
    const texts = ['node crashed, heartbeat gone', 'OOM killer hit the service', '', 'a', 'x'.repeat(500)];
    const a = wasm.embedSync(texts);
    const b = ts.embedSync(texts);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-6);
  });

  it('returns unit vectors, and a zero vector for text with no words', () => {
    const m = wasm.embedSync(['disk full on node 3', '   ', 'the and of']);
    const rows = [0, 1, 2].map((i) => m.subarray(i * 384, (i + 1) * 384));
    expect(dot(rows[0], rows[0])).toBeCloseTo(1, 5);
    expect(dot(rows[1], rows[1])).toBe(0);
    expect(dot(rows[2], rows[2])).toBe(0);
  });

  it('is deterministic and batch-independent', async () => {
    const one = await wasm.embed(['link flapping between relays']);
    const many = await wasm.embed(['memory leak', 'link flapping between relays', 'dns down']);
    expect(Array.from(one)).toEqual(Array.from(many.subarray(384, 768)));
  });

  it('places paraphrases closer than unrelated texts, via shared concepts', () => {
    const [q, para, other] = [0, 1, 2];
    const m = wasm.embedSync([
      'box ran out of ram, oom killer fired',
      'memory leak until the process is killed',
      'certificate expired, tls handshake fails',
    ]);
    const row = (i: number) => m.subarray(i * 384, (i + 1) * 384);
    expect(dot(row(q), row(para))).toBeGreaterThan(dot(row(q), row(other)));
    const plain = HashedEmbedder.create({ thesaurus: null });
    return plain.then((p) => {
      const n = p.embedSync([
        'box ran out of ram, oom killer fired',
        'memory leak until the process is killed',
      ]);
      expect(dot(row(q), row(para))).toBeGreaterThan(dot(n.subarray(0, 384), n.subarray(384)));
    });
  });

  it('changes its id when a parameter changes', async () => {
    const other = await HashedEmbedder.create({ dim: 256, weights: { char: 0.5 } });
    expect(other.id).not.toBe(wasm.id);
    expect((await HashedEmbedder.create({ thesaurus: { x: 'a b' } })).id).not.toBe(wasm.id);
  });

  it('names bad arguments', async () => {
    await expect(HashedEmbedder.create({ dim: 10 })).rejects.toThrow(ArgumentError);
    await expect(HashedEmbedder.create({ dim: 10 })).rejects.toThrow(/options.dim/);
    await expect(HashedEmbedder.create({ weights: { char: -1 } })).rejects.toThrow(/options.weights.char/);
    await expect(HashedEmbedder.create({ backend: 'gpu' as 'ts' })).rejects.toThrow(/options.backend/);
    expect(() => wasm.embedSync('text' as unknown as string[])).toThrow(/texts/);
    expect(() => wasm.embedSync(['ok', 7 as unknown as string])).toThrow(/texts\[1\]/);
    await expect(wasm.embed([null as unknown as string])).rejects.toThrow(ArgumentError);
  });
});
