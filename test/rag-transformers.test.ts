import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../src/errors.ts';
import { HybridRetriever, storedId } from '../src/rag/retriever.ts';
import { MemoryRagStore } from '../src/rag/store.ts';
import { TransformersEmbedder } from '../src/rag/transformers-embedder.ts';

const WORDS = ['node', 'crashed', 'memory', 'leak', 'disk', 'full', 'certificate', 'expired', 'the', 'is'];
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', ...WORDS];
const HIDDEN = 8;

// A tiny BERT-like model: token embedding lookup (Gather) then tanh, with the three BERT inputs
// and `last_hidden_state` output, so transformers.js takes the same loading, tokenizing and
// pooling path as for a real sentence-embedding export.
function buildModel(): Uint8Array {
  const table = new Float32Array(VOCAB.length * HIDDEN);
  let seed = 12345;
  for (let i = 0; i < table.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    table[i] = (seed / 2 ** 32) * 2 - 1;
  }
  const int64 = onnx.TensorProto.DataType.INT64;
  const float = onnx.TensorProto.DataType.FLOAT;
  const io = (name: string, type: number, dims: string[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: type,
          shape: { dim: dims.map((d) => (/^\d+$/.test(d) ? { dimValue: Number(d) } : { dimParam: d })) },
        },
      },
    });
  const graph = onnx.GraphProto.create({
    name: 'tiny-bert',
    node: [
      onnx.NodeProto.create({
        opType: 'Gather',
        input: ['embeddings', 'input_ids'],
        output: ['gathered'],
        name: 'lookup',
      }),
      onnx.NodeProto.create({
        opType: 'Tanh',
        input: ['gathered'],
        output: ['last_hidden_state'],
        name: 'act',
      }),
    ],
    initializer: [
      onnx.TensorProto.create({
        name: 'embeddings',
        dataType: float,
        dims: [VOCAB.length, HIDDEN],
        rawData: new Uint8Array(table.buffer),
      }),
    ],
    input: [
      io('input_ids', int64, ['batch', 'sequence']),
      io('attention_mask', int64, ['batch', 'sequence']),
      io('token_type_ids', int64, ['batch', 'sequence']),
    ],
    output: [io('last_hidden_state', float, ['batch', 'sequence', String(HIDDEN)])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 14 }],
    producerName: 'x0tta6bl4-test',
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

function writeModelFolder(root: string, name: string): void {
  const dir = join(root, name);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  writeFileSync(join(dir, 'onnx/model.onnx'), buildModel());
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ model_type: 'bert', hidden_size: HIDDEN, architectures: ['BertModel'] }),
  );
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: 64,
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      cls_token: '[CLS]',
      sep_token: '[SEP]',
    }),
  );
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: VOCAB.slice(0, 4).map((content, id) => ({
        id,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: {
        type: 'BertNormalizer',
        clean_text: true,
        handle_chinese_chars: true,
        strip_accents: null,
        lowercase: true,
      },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [
          { SpecialToken: { id: '[CLS]', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '[SEP]', type_id: 0 } },
        ],
        pair: [
          { SpecialToken: { id: '[CLS]', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '[SEP]', type_id: 0 } },
          { Sequence: { id: 'B', type_id: 1 } },
          { SpecialToken: { id: '[SEP]', type_id: 1 } },
        ],
        special_tokens: {
          '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
          '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
        },
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: '[UNK]',
        continuing_subword_prefix: '##',
        max_input_chars_per_word: 100,
        vocab: Object.fromEntries(VOCAB.map((w, i) => [w, i])),
      },
    }),
  );
}

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

describe('TransformersEmbedder (tiny local BERT-like model)', () => {
  let root: string;
  let embedder: TransformersEmbedder;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'x0-rag-model-'));
    writeModelFolder(root, 'tiny-bert');
    embedder = await TransformersEmbedder.create({ model: 'tiny-bert', localModelPath: root, batchSize: 2 });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('loads offline and reports the model dimension', () => {
    expect(embedder.dim).toBe(HIDDEN);
    expect(embedder.id).toContain('tiny-bert');
  });

  it('returns unit vectors, one row per text, across batches', async () => {
    const texts = ['node crashed', 'memory leak', 'disk is full', 'certificate expired', 'the node'];
    const m = await embedder.embed(texts);
    expect(m.length).toBe(texts.length * HIDDEN);
    for (let i = 0; i < texts.length; i++) {
      const r = m.subarray(i * HIDDEN, (i + 1) * HIDDEN);
      expect(cosine(r, r)).toBeCloseTo(1, 5);
    }
    const again = await embedder.embed([texts[3]]);
    expect(Array.from(again)).toEqual(
      Array.from(m.subarray(3 * HIDDEN, 4 * HIDDEN)).map((x) => expect.closeTo(x, 6)),
    );
  });

  it('mean-pools the tokens: shared words give closer vectors', async () => {
    const m = await embedder.embed(['memory leak', 'memory leak node', 'certificate expired']);
    const [a, b, c] = [0, 1, 2].map((i) => m.subarray(i * HIDDEN, (i + 1) * HIDDEN));
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c));
  });

  it('drives the hybrid retriever and its store like the default embedder', async () => {
    const store = new MemoryRagStore();
    const retriever = await HybridRetriever.open({ embedder, store });
    const doc = (id: string, title: string) => ({
      id,
      source: 'runbook' as const,
      title,
      faults: ['disk-full'],
      severity: 'high' as const,
      symptoms: [],
      metrics: [],
      actions: ['expand-disk'],
      body: '',
    });
    await retriever.upsert([doc('disk', 'disk is full'), doc('cert', 'certificate expired')]);
    const result = await retriever.search('the certificate', { k: 1, mode: 'vector' });
    expect(result.documents[0].id).toBe('cert');
    const stored = await store.listDocuments();
    expect(
      stored.every((s) => s.embedderId === storedId(embedder) && s.embedding.length % HIDDEN === 0),
    ).toBe(true);
  });

  it('never fetches: a missing model fails instead of downloading', async () => {
    await expect(TransformersEmbedder.create({ model: 'not-there', localModelPath: root })).rejects.toThrow();
  });

  it('names bad arguments', async () => {
    await expect(TransformersEmbedder.create({ model: '', localModelPath: root })).rejects.toThrow(
      ArgumentError,
    );
    await expect(
      TransformersEmbedder.create({ model: 'x', localModelPath: root, pooling: 'max' as 'mean' }),
    ).rejects.toThrow(/options.pooling/);
    await expect(embedder.embed([42 as unknown as string])).rejects.toThrow(/texts\[0\]/);
  });
});
