/**
 * A tiny transformers.js feature-extraction model: an embedding table looked up by Gather
 * (`last_hidden_state`), a WordLevel tokenizer that lower-cases and splits on whitespace and
 * punctuation. Its files are test/fixtures/tiny-embedder/ (test/onnx-models.test.ts checks they
 * are what this builds), and `referenceEmbedding` is what transformers.js must make of a text:
 * the mean of its words' rows, L2-normalised.
 */
import { encodeModel } from './onnx-models.ts';

/** The folder's name under test/fixtures/. */
export const TINY_EMBEDDER = 'tiny-embedder';

/** Words of two topics; a topic's words share most of their direction. */
export const TOPICS: Readonly<Record<string, readonly string[]>> = {
  toaster: ['toaster', 'smoke', 'burning', 'smell', 'rack'],
  kettle: ['kettle', 'steam', 'humidity', 'alarm', 'switch'],
};

/** The vocabulary, by token id. */
export const VOCAB: readonly string[] = [
  '[UNK]',
  '[PAD]',
  ...Object.values(TOPICS).flat(),
  'the',
  'a',
  'by',
  'over',
  'near',
];

/** The vector width. */
export const HIDDEN = 6;

/** The embedding table, VOCAB.length x HIDDEN: topic axis 1, plus a little of a word's own axis. */
export function embeddingTable(): Float32Array {
  const table = new Float32Array(VOCAB.length * HIDDEN);
  const topics = Object.values(TOPICS);
  VOCAB.forEach((word, i) => {
    const topic = topics.findIndex((words) => words.includes(word));
    if (topic >= 0) table[i * HIDDEN + topic] = 1;
    table[i * HIDDEN + 2 + (i % (HIDDEN - 2))] += topic >= 0 ? 0.2 : 0.05;
  });
  return table;
}

/** Every file of the model folder, by path inside it. */
export function tinyEmbedderFiles(): Record<string, Uint8Array | string> {
  const table = embeddingTable();
  const model = encodeModel({
    name: TINY_EMBEDDER,
    irVersion: 8,
    opset: 14,
    nodes: [{ op: 'Gather', inputs: ['embeddings', 'input_ids'], outputs: ['last_hidden_state'] }],
    initializers: [{ name: 'embeddings', dims: [VOCAB.length, HIDDEN], values: table }],
    inputs: [
      { name: 'input_ids', shape: ['batch', 'sequence'], type: 'int64' },
      { name: 'attention_mask', shape: ['batch', 'sequence'], type: 'int64' },
    ],
    outputs: [{ name: 'last_hidden_state', shape: ['batch', 'sequence', HIDDEN] }],
  });
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    'onnx/model.onnx': model,
    'config.json': json({ model_type: 'bert', hidden_size: HIDDEN }),
    'tokenizer_config.json': json({
      tokenizer_class: 'PreTrainedTokenizerFast',
      model_max_length: 64,
      unk_token: '[UNK]',
      pad_token: '[PAD]',
    }),
    'tokenizer.json': json({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: ['[UNK]', '[PAD]'].map((content, id) => ({
        id,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: { type: 'Lowercase' },
      pre_tokenizer: { type: 'Whitespace' },
      post_processor: null,
      decoder: null,
      model: {
        type: 'WordLevel',
        vocab: Object.fromEntries(VOCAB.map((w, i) => [w, i])),
        unk_token: '[UNK]',
      },
    }),
  };
}

/** What the model makes of `text`: the mean of its words' rows (unknown words too), unit length. */
export function referenceEmbedding(text: string): Float64Array {
  const table = embeddingTable();
  const words = text.toLowerCase().match(/\w+|[^\w\s]+/g) ?? [];
  const sum = new Float64Array(HIDDEN);
  for (const word of words) {
    const id = Math.max(0, VOCAB.indexOf(word));
    for (let k = 0; k < HIDDEN; k++) sum[k] += table[id * HIDDEN + k] / words.length;
  }
  const norm = Math.hypot(...sum);
  return sum.map((v) => v / norm);
}
