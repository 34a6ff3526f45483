import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.ts';
import { type FeatureWeights, HashedKernel, hashedEmbedTwin } from '../../src/kernels/embed/index.ts';

const ALL: FeatureWeights = { word: 1, bigram: 0.5, char: 0.25, concept: 1 };
const only = (family: keyof FeatureWeights): FeatureWeights => ({
  word: 0,
  bigram: 0,
  char: 0,
  concept: 0,
  [family]: 1,
});
const norm = (row: Float32Array) => Math.sqrt(row.reduce((s, x) => s + x * x, 0));

// Tokens with '#' (concepts), non-ASCII and digits; runs of spaces make empty tokens.
const token = fc.stringMatching(/^#?[a-z0-9éü日]{1,12}$/);
const text = fc.array(token, { maxLength: 30 }).map((w) => w.join(' '));

describe('embed kernel', () => {
  let kernel: HashedKernel;
  beforeAll(async () => {
    kernel = await HashedKernel.create();
  });
  const backends = [
    ['wasm', (t: readonly string[], dim: number, w: FeatureWeights) => kernel.embed(t, dim, w)],
    ['ts', hashedEmbedTwin],
  ] as const;

  it('wasm kernel and TypeScript twin agree on random prepared texts (property)', () => {
    const weights = fc.record({
      word: fc.float({ min: 0, max: 4, noNaN: true }),
      bigram: fc.float({ min: 0, max: 4, noNaN: true }),
      char: fc.float({ min: 0, max: 4, noNaN: true }),
      concept: fc.float({ min: 0, max: 4, noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.array(text, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(4, 8, 20, 384),
        weights,
        (texts, dim, w) => {
          const twin = hashedEmbedTwin(texts, dim, w);
          const wasm = kernel.embed(texts, dim, w);
          expect(wasm.length).toBe(texts.length * dim);
          for (let i = 0; i < twin.length; i++) expect(Math.abs(twin[i] - wasm[i])).toBeLessThanOrEqual(1e-6);
        },
      ),
      { numRuns: 60 },
    );
  });

  for (const [name, embed] of backends) {
    it(`${name}: each row is the text's own embedding, unit length or zero (property)`, () => {
      fc.assert(
        fc.property(fc.array(text, { minLength: 1, maxLength: 5 }), (texts) => {
          const batch = embed(texts, 64, ALL);
          texts.forEach((t, i) => {
            const row = batch.subarray(i * 64, (i + 1) * 64);
            expect(Array.from(row)).toEqual(Array.from(embed([t], 64, ALL)));
            // Signed features can cancel out, so a text with words may (rarely) embed to zero too.
            const length = norm(row);
            if (t.trim() === '') expect(length).toBe(0);
            else if (length !== 0) expect(Math.abs(length - 1)).toBeLessThan(1e-5);
          });
        }),
        { numRuns: 40 },
      );
    });

    it(`${name}: each weight drives exactly its own feature family`, () => {
      const zero = (texts: string[], w: FeatureWeights) => norm(embed(texts, 32, w)) === 0;
      // A concept tag counts only as a concept; a plain word as a word, trigrams and bigrams.
      expect(zero(['#network'], only('concept'))).toBe(false);
      expect(zero(['#network'], only('word'))).toBe(true);
      expect(zero(['#network'], only('char'))).toBe(true);
      expect(zero(['network'], only('concept'))).toBe(true);
      expect(zero(['network'], only('word'))).toBe(false);
      expect(zero(['network'], only('char'))).toBe(false);
      // A bigram needs two plain words; concept tags between them are skipped.
      expect(zero(['network'], only('bigram'))).toBe(true);
      expect(zero(['network #net'], only('bigram'))).toBe(true);
      expect(zero(['network down'], only('bigram'))).toBe(false);
      expect(zero(['network #net down'], only('bigram'))).toBe(false);
    });

    it(`${name}: names bad arguments`, () => {
      expect(() => embed('text' as unknown as string[], 8, ALL)).toThrow(ArgumentError);
      expect(() => embed(['ok', 7 as unknown as string], 8, ALL)).toThrow(/texts\[1\]/);
      expect(() => embed(['ok'], 0, ALL)).toThrow(/dim/);
      expect(() => embed(['ok'], 6, ALL)).toThrow(/dim.*multiple of 4/);
      expect(() => embed(['ok'], 8, { ...ALL, char: Number.NaN })).toThrow(/weights\.char/);
      expect(embed([], 8, ALL)).toEqual(new Float32Array(0));
    });
  }
});
