/**
 * ONNX models on Node beyond the conformance suite: onnx-proto (the ONNX project's own schema)
 * reads the models the portable suites write with the wire writer as the same models it builds
 * itself; and an autoencoder built with onnx-proto runs as the engine's detector in place of the
 * built-in bank through a whole healing run. The tiny transformers.js model the embedder suites
 * load from test/fixtures/ is checked to be what its helper builds.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { OnnxDetector } from '../src/onnx/index.ts';
import { createEngineParts } from '../src/run/defaults.ts';
import { runHealing } from '../src/run/healing-run.ts';
import { SIM_METRICS } from '../src/run/mesh-loop.ts';
import { autoencoder, linearScorer, type ModelSpec } from './conformance/helpers/onnx-models.ts';
import { TINY_EMBEDDER, tinyEmbedderFiles, VOCAB } from './conformance/helpers/tiny-embedder.ts';

const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** `spec` built by onnx-proto. */
function buildWithOnnxProto(spec: ModelSpec): Uint8Array {
  const value = (v: ModelSpec['inputs'][number]) =>
    onnx.ValueInfoProto.create({
      name: v.name,
      type: {
        tensorType: {
          elemType: FLOAT,
          shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    });
  const model = onnx.ModelProto.create({
    irVersion: spec.irVersion,
    producerName: 'x0tta6bl4-test',
    opsetImport: [{ domain: '', version: spec.opset }],
    graph: onnx.GraphProto.create({
      name: spec.name,
      node: spec.nodes.map((n, i) =>
        onnx.NodeProto.create({
          opType: n.op,
          input: n.inputs,
          output: n.outputs,
          name: `${n.op.toLowerCase()}${i}`,
        }),
      ),
      initializer: spec.initializers.map((t) =>
        onnx.TensorProto.create({
          name: t.name,
          dataType: FLOAT,
          dims: t.dims,
          rawData: new Uint8Array(t.values.buffer.slice(0)),
        }),
      ),
      input: spec.inputs.map(value),
      output: spec.outputs.map(value),
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}

const decoded = (bytes: Uint8Array) =>
  onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number, bytes: Array, defaults: false });

describe('the portable suites’ ONNX files', () => {
  it('are, for onnx-proto, the very models it builds from the same description', () => {
    for (const model of [linearScorer(9), autoencoder(8, 3)]) {
      expect(decoded(model.bytes)).toEqual(decoded(buildWithOnnxProto(model.spec)));
      expect(decoded(model.bytes).graph.node.map((n: { opType: string }) => n.opType)).toEqual(
        model.spec.nodes.map((n) => n.op),
      );
    }
  });
});

describe('the tiny transformers.js model of the embedder suites', () => {
  it('is in test/fixtures/ exactly as the helper builds it, and onnx-proto reads its model', async () => {
    const folder = fileURLToPath(new URL(`./fixtures/${TINY_EMBEDDER}/`, import.meta.url));
    for (const [path, content] of Object.entries(tinyEmbedderFiles())) {
      const stored = await readFile(join(folder, path));
      expect(typeof content === 'string' ? stored.toString('utf8') : new Uint8Array(stored)).toEqual(content);
    }
    const model = decoded(tinyEmbedderFiles()['onnx/model.onnx'] as Uint8Array);
    expect(model.graph.node.map((n: { opType: string }) => n.opType)).toEqual(['Gather']);
    expect(
      model.graph.input.map(
        (i: { type: { tensorType: { elemType: number } } }) => i.type.tensorType.elemType,
      ),
    ).toEqual([onnx.TensorProto.DataType.INT64, onnx.TensorProto.DataType.INT64]);
    expect(model.graph.initializer[0].dims).toEqual([VOCAB.length, 6]);
  });
});

describe('an ONNX autoencoder as the engine’s detector', () => {
  it('detects and heals faults through a whole healing run in place of the built-in bank', async () => {
    const features = SIM_METRICS.length;
    const options = { seed: 3, nodes: 12, hours: 1, faultsPerKind: 1 };
    // A first run (the built-in bank) gives each metric's normal level and spread before any fault.
    const sums = new Float64Array(features);
    const squares = new Float64Array(features);
    const counts = new Float64Array(features);
    const parts = await createEngineParts();
    const baseline = await runHealing({
      ...parts,
      ...options,
      onFrame: (frame) => {
        if (frame.tick >= 300) return;
        SIM_METRICS.forEach((metric, j) => {
          for (const v of frame.metrics[metric.name as keyof typeof frame.metrics])
            if (Number.isFinite(v)) {
              sums[j] += v;
              squares[j] += v * v;
              counts[j]++;
            }
        });
      },
    });
    await parts.close();
    const center = Array.from(sums, (s, j) => s / counts[j]);
    const scale = Array.from(squares, (q, j) => Math.max(1e-6, Math.sqrt(q / counts[j] - center[j] ** 2)));

    // The model reconstructs every row as the normal level (zero weights after Relu): its error
    // is the squared z-score of each metric.
    const zero = autoencoder(features, 4);
    zero.spec.initializers = zero.spec.initializers.map((t) =>
      t.name === 'w2' || t.name === 'b2' ? { ...t, values: new Float32Array(t.values.length) } : t,
    );
    const bytes = buildWithOnnxProto(zero.spec);
    const detectors: OnnxDetector[] = [];
    const { report } = await runHealing({
      ...options,
      threshold: 1 - Math.exp(-36 / 9), // six standard deviations
      detector: async (series) => {
        const detector = await OnnxDetector.create({
          model: bytes,
          series,
          features,
          center,
          scale,
          errorScale: 9,
        });
        detectors.push(detector);
        return detector;
      },
      diagnoser: (await createEngineParts()).diagnoser,
    });
    expect(detectors).toHaveLength(1);
    expect(detectors[0].nonFiniteOutputs).toBe(0);
    expect(report.overall.injected).toBe(baseline.report.overall.injected);
    // As the built-in bank does on this run: every fault detected, most healed, no false alarm.
    expect(report.overall.detected).toBe(report.overall.injected);
    expect(report.overall.healedRate).toBeGreaterThanOrEqual(0.5);
    expect(report.overall.falseAlarms).toBe(0);
  }, 300_000);
});
