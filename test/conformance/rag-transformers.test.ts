import { describe, expect, it } from 'vitest';
import { TransformersEmbedder } from '../../src/rag/transformers-embedder.ts';
import { runtimeName } from '../../src/runtime/detect.ts';
import { HIDDEN, referenceEmbedding, TINY_EMBEDDER } from './helpers/tiny-embedder.ts';
import { fetchedElsewhere } from './helpers/offline.ts';

// The model folder is test/fixtures/tiny-embedder/: a path on Node, Deno and Bun; in the browser
// a URL of the test server, which serves the repository at its root, as it serves
// onnxruntime-web's files (never a CDN, never the Hugging Face hub).
const browser = runtimeName() === 'browser';
const FIXTURES = '../fixtures/';
const where = browser
  ? {
      localModelPath: '/test/fixtures/',
      wasmPaths: new URL('/node_modules/onnxruntime-web/dist/', globalThis.location.origin).href,
    }
  : { localModelPath: decodeURIComponent(new URL(FIXTURES, import.meta.url).pathname) };

describe('TransformersEmbedder on a local model (transformers.js, no download)', () => {
  it('embeds texts as the reference does: the mean of their words’ vectors, unit length', async () => {
    const embedder = await TransformersEmbedder.create({ model: TINY_EMBEDDER, batchSize: 2, ...where });
    expect(embedder.dim).toBe(HIDDEN);
    expect(embedder.id).toBe(`transformers/${TINY_EMBEDDER}/fp32/mean/d${HIDDEN}`);
    const texts = ['Humidity alarm over the switch', 'burning smell, toaster!', 'kettle steam', 'the rack'];
    const vectors = await embedder.embed(texts);
    expect(vectors.length).toBe(texts.length * HIDDEN);
    const off: string[] = [];
    texts.forEach((text, i) => {
      const expected = referenceEmbedding(text);
      for (let k = 0; k < HIDDEN; k++)
        if (Math.abs(vectors[i * HIDDEN + k] - expected[k]) > 1e-5)
          off.push(`${text}[${k}]: ${vectors[i * HIDDEN + k]} vs ${expected[k]}`);
    });
    expect(off).toEqual([]);
    expect(fetchedElsewhere()).toEqual([]);
  });

  it('never downloads: a model that is not in the folder fails', async () => {
    await expect(TransformersEmbedder.create({ model: 'not-there', ...where })).rejects.toThrow();
    await expect(
      TransformersEmbedder.create({ model: TINY_EMBEDDER, ...where, wasmPaths: '' }),
    ).rejects.toThrow(/options.wasmPaths/);
  });
});
