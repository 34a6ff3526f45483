/**
 * The command line's ONNX paths, with models built at test time by onnx-proto: `models register
 * --onnx` (a version holding the file, its checksum, inputs, outputs and opset, audited, promoted
 * and loaded back into a detector), and `rag index|query --embedder transformers --model <dir>`
 * over a tiny local feature-extraction model (an embedding table looked up by Gather, a WordLevel
 * tokenizer splitting on whitespace), never downloaded.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CommandIo } from '../src/cli/args.ts';
import { runAuditCommand } from '../src/cli/audit.ts';
import { runModelsCommand } from '../src/cli/models.ts';
import { runRagCommand } from '../src/cli/rag.ts';
import { openStoreForReading, openStoreForWriting } from '../src/knowledge/store-directory.ts';
import { ModelRegistry } from '../src/mlops/registry.ts';
import { OnnxDetector, onnxModelBytes } from '../src/onnx/index.ts';
import { embeddingTable, HIDDEN, tinyEmbedderFiles, VOCAB } from './conformance/helpers/tiny-embedder.ts';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function valueInfo(name: string, type: number, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: type,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

function modelBytes(graph: onnx.IGraphProto, opset = 17): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'onnx-proto',
    opsetImport: [{ domain: '', version: opset }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** The identity through Relu: an autoencoder that reconstructs non-negative rows exactly. */
function reluIdentityAutoencoder(features: number): Uint8Array {
  const eye = new Float32Array(features * features);
  for (let j = 0; j < features; j++) eye[j * features + j] = 1;
  const tensor = (name: string) =>
    onnx.TensorProto.create({
      name,
      dataType: FLOAT,
      dims: [features, features],
      rawData: new Uint8Array(eye.buffer),
    });
  return modelBytes(
    onnx.GraphProto.create({
      name: 'autoencoder',
      node: [
        onnx.NodeProto.create({ opType: 'MatMul', input: ['x', 'w1'], output: ['h0'] }),
        onnx.NodeProto.create({ opType: 'Relu', input: ['h0'], output: ['h'] }),
        onnx.NodeProto.create({ opType: 'MatMul', input: ['h', 'w2'], output: ['reconstruction'] }),
      ],
      initializer: [tensor('w1'), tensor('w2')],
      input: [valueInfo('x', FLOAT, ['rows', features])],
      output: [valueInfo('reconstruction', FLOAT, ['rows', features])],
    }),
  );
}

/**
 * A local transformers.js feature-extraction model folder: the helper's config and WordLevel
 * tokenizer, and its embedding table looked up by Gather in an onnx/model.onnx built by onnx-proto.
 */
async function writeEmbedderFolder(dir: string): Promise<void> {
  await mkdir(join(dir, 'onnx'), { recursive: true });
  const table = embeddingTable();
  const graph = onnx.GraphProto.create({
    name: 'tiny-embedder',
    node: [
      onnx.NodeProto.create({
        opType: 'Gather',
        input: ['embeddings', 'input_ids'],
        output: ['last_hidden_state'],
      }),
    ],
    initializer: [
      onnx.TensorProto.create({
        name: 'embeddings',
        dataType: FLOAT,
        dims: [VOCAB.length, HIDDEN],
        rawData: new Uint8Array(table.buffer),
      }),
    ],
    input: [
      valueInfo('input_ids', INT64, ['batch', 'sequence']),
      valueInfo('attention_mask', INT64, ['batch', 'sequence']),
    ],
    output: [valueInfo('last_hidden_state', FLOAT, ['batch', 'sequence', HIDDEN])],
  });
  await writeFile(join(dir, 'onnx', 'model.onnx'), modelBytes(graph, 14));
  for (const [path, content] of Object.entries(tinyEmbedderFiles()))
    if (typeof content === 'string') await writeFile(join(dir, path), content);
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'x0-onnx-cli-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

async function run(command: (argv: string[], io: CommandIo) => Promise<number>, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('x0tta6bl4 models register --onnx', () => {
  it('registers the file as a version (checksum, inputs, outputs, opset), audited, promoted and loaded back', async () => {
    const store = join(root, 'store');
    await (await openStoreForWriting(store)).close();
    const file = join(root, 'autoencoder.onnx');
    const bytes = reluIdentityAutoencoder(8);
    await writeFile(file, bytes);

    const registered = await run(runModelsCommand, [
      'register',
      '--onnx',
      file,
      '--name',
      'detector.autoencoder',
      '--role',
      'detector',
      '--tag',
      'relu-identity',
      '--store',
      store,
      '--json',
    ]);
    expect(registered.code).toBe(0);
    const record = JSON.parse(registered.out);
    expect(record).toMatchObject({
      name: 'detector.autoencoder',
      version: 1,
      kind: 'onnx',
      tags: ['relu-identity'],
    });
    expect(record.artefact).toBeUndefined();
    expect(record.lineage.parameters).toMatchObject({
      role: 'detector',
      bytes: bytes.length,
      opset: 17,
      irVersion: 8,
      producer: 'onnx-proto',
      inputs: [{ name: 'x', type: 'float', shape: ['rows', 8] }],
      outputs: [{ name: 'reconstruction', type: 'float', shape: ['rows', 8] }],
    });
    expect(record.lineage.parameters.sha256).toMatch(/^[0-9a-f]{64}$/);

    const shown = await run(runModelsCommand, ['show', 'detector.autoencoder@1', '--store', store]);
    expect(shown.out).toMatch(/detector\.autoencoder@1 \(onnx\)/);
    expect(shown.out).toMatch(/parameter {3}opset = 17/);
    expect((await run(runModelsCommand, ['promote', 'detector.autoencoder@1', '--store', store])).code).toBe(
      0,
    );

    // The champion's bytes, checked against their checksum, run as the loop's detector.
    const snapshot = await openStoreForReading(store);
    const champion = await new ModelRegistry(snapshot.knowledge).get('detector.autoencoder@champion');
    await snapshot.close();
    const detector = await OnnxDetector.create({ model: onnxModelBytes(champion), series: 16, features: 8 });
    const values = new Float64Array(16).fill(1);
    values[11] = -3;
    const scores = await detector.update(0, values, new Float64Array(16));
    expect(Array.from(scores).map((s) => (s > 0 ? 1 : 0))).toEqual(
      Array.from({ length: 16 }, (_, i) => (i === 11 ? 1 : 0)),
    );
    await detector.close();

    const log = await run(runAuditCommand, ['show', store, '--json']);
    expect(log.out).toMatch(/model\.register/);
  });

  it('refuses a file that is no ONNX model (exit 1, nothing registered) and a versioned name (exit 2)', async () => {
    const store = join(root, 'store-refusals');
    await (await openStoreForWriting(store)).close();
    const notOnnx = join(root, 'notes.txt');
    await writeFile(notOnnx, 'this is not a model');
    const refused = await run(runModelsCommand, [
      'register',
      '--onnx',
      notOnnx,
      '--name',
      'm',
      '--store',
      store,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/notes\.txt: bytes: not an ONNX model/);
    expect((await run(runModelsCommand, ['list', '--store', store])).out).toBe('no models registered');

    const file = join(root, 'ok.onnx');
    await writeFile(file, reluIdentityAutoencoder(2));
    const versioned = await run(runModelsCommand, [
      'register',
      '--onnx',
      file,
      '--name',
      'm@2',
      '--store',
      store,
    ]);
    expect(versioned.code).toBe(2);
    expect(versioned.err).toMatch(/--name: the model name alone/);
    const missing = await run(runModelsCommand, ['register', '--onnx', file, '--store', store]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--name: missing/);
  });
});

describe('x0tta6bl4 rag --embedder transformers --model <dir>', () => {
  let model: string;
  let books: string;
  let out: string[];
  let err: string[];
  const capture = () => {
    out = [];
    err = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  };

  beforeAll(async () => {
    model = join(root, 'models', 'tiny-embedder');
    await writeEmbedderFolder(model);
    books = join(root, 'books');
    await mkdir(books);
    await writeFile(
      join(books, 'toaster.md'),
      '---\nid: toaster-smoke\ntitle: Toaster smoke in the rack\nfaults: [node-crash]\nsymptoms: [burning smell near the rack]\nmetrics: [temperature]\nactions: [failover]\nseverity: critical\n---\nUnplug the toaster.\n',
    );
    await writeFile(
      join(books, 'kettle.md'),
      '---\nid: kettle-steam\ntitle: Kettle steam trips the alarm\nfaults: [node-crash]\nsymptoms: [steam over the switch]\nmetrics: [humidity]\nactions: [failover]\nseverity: high\n---\nMove the kettle.\n',
    );
  });

  it('indexes with the local model, stores its vectors, and queries with it', async () => {
    const store = join(root, 'rag-transformers.json');
    capture();
    expect(
      await runRagCommand(['index', books, '--store', store, '--embedder', 'transformers', '--model', model]),
    ).toBe(0);
    expect(out.join('\n')).toMatch(/2 added/);
    const saved = JSON.parse(await readFile(store, 'utf8')) as {
      documents: { document: { id: string }; embedderId: string }[];
    };
    const ours = saved.documents.filter(
      (d) => d.document.id === 'toaster-smoke' || d.document.id === 'kettle-steam',
    );
    expect(ours).toHaveLength(2);
    for (const d of ours) expect(d.embedderId).toMatch(/^transformers\/tiny-embedder\/fp32\/mean\/d6\|/);

    capture();
    // No word of the question is in the kettle runbook's text; the vectors still rank it by topic.
    expect(
      await runRagCommand([
        'query',
        'humidity alarm',
        '--k',
        '3',
        '--json',
        '--store',
        store,
        '--embedder',
        'transformers',
        '--model',
        model,
      ]),
    ).toBe(0);
    const answer = JSON.parse(out.join('\n')) as {
      results: { id: string; vectorRank: number | null; similarity: number | null }[];
    };
    const kettle = answer.results.find((r) => r.id === 'kettle-steam');
    expect(kettle?.vectorRank).toBe(1);
    expect(kettle?.similarity).toBeGreaterThan(0.9);
    const toaster = answer.results.find((r) => r.id === 'toaster-smoke');
    if (toaster?.similarity != null) expect(toaster.similarity).toBeLessThan(kettle!.similarity!);
  });

  it('names a missing or misplaced --model (exit 2) and a folder that holds no model (exit 1, nothing written)', async () => {
    capture();
    expect(await runRagCommand(['index', books, '--embedder', 'transformers'])).toBe(2);
    expect(err.join('\n')).toMatch(/--model: missing/);
    capture();
    expect(await runRagCommand(['query', 'smoke', '--model', model])).toBe(2);
    expect(err.join('\n')).toMatch(/--model: names a transformers\.js model/);
    capture();
    expect(
      await runRagCommand(['index', books, '--embedder', 'transformers', '--model', join(root, 'nowhere')]),
    ).toBe(2);
    expect(err.join('\n')).toMatch(/--model: .*nowhere is not a folder/);

    const empty = join(root, 'models', 'empty');
    await mkdir(empty, { recursive: true });
    const store = join(root, 'never-written.json');
    capture();
    expect(
      await runRagCommand(['index', books, '--store', store, '--embedder', 'transformers', '--model', empty]),
    ).toBe(1);
    expect(err.join('\n')).toMatch(/--model: cannot load the model in/);
    await expect(readFile(store)).rejects.toThrow(/ENOENT/);
  });
});
