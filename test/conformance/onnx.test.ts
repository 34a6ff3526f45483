import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError, DimensionError } from '../../src/errors.ts';
import { createScorer } from '../../src/kernels/scoring/scorer.ts';
import { MemoryStore } from '../../src/knowledge/memory-store.ts';
import { ModelRegistry } from '../../src/mlops/registry.ts';
import {
  OnnxDetector,
  OnnxPlanner,
  OnnxScorer,
  onnxModelBytes,
  readOnnxModelInfo,
  registerOnnxModel,
  type OnnxRuntimeOptions,
} from '../../src/onnx/index.ts';
import { attemptKey, FEATURES, UtilityPlanner, type Diagnosis } from '../../src/plan/decision.ts';
import { runtimeName } from '../../src/runtime/detect.ts';
import { autoencoder, encodeModel, linearScorer, reluIdentity, weights } from './helpers/onnx-models.ts';
import { fetchedElsewhere } from './helpers/offline.ts';

// Node, Deno and Bun load the runtime's .wasm from its package; the page is served the same
// files by the test server, which serves the repository at its root (never a CDN).
const runtime: OnnxRuntimeOptions =
  runtimeName() === 'browser'
    ? { wasmPaths: new URL('/node_modules/onnxruntime-web/dist/', globalThis.location.origin).href }
    : {};

const FEATURE_COUNT = FEATURES.length;
/** Where `actual` is off `expected` by more than `tolerance` (relative beyond 1): none, or which. */
const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5) => {
  expect(actual.length).toBe(expected.length);
  const off: string[] = [];
  for (let i = 0; i < expected.length; i++)
    if (!(Math.abs(actual[i] - expected[i]) <= tolerance * Math.max(1, Math.abs(expected[i]))))
      off.push(`${i}: ${actual[i]} vs ${expected[i]}`);
  expect(off).toEqual([]);
};

describe('ONNX model files', () => {
  it('reads what a file declares: IR version, opset, producer, inputs and outputs, checksum', () => {
    const model = autoencoder(4, 3);
    const info = readOnnxModelInfo(model.bytes);
    expect(info.irVersion).toBe(8);
    expect(info.opsets).toEqual({ '': 17 });
    expect(info.producer).toBe('x0tta6bl4-test');
    expect(info.inputs).toEqual([{ name: 'x', type: 'float', shape: ['rows', 4] }]);
    expect(info.outputs).toEqual([{ name: 'reconstruction', type: 'float', shape: ['rows', 4] }]);
    expect(info.bytes).toBe(model.bytes.length);
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(readOnnxModelInfo(autoencoder(4, 3, 12).bytes).sha256).not.toBe(info.sha256);
  });

  it('refuses bytes that are no ONNX model, naming the argument', () => {
    expect(() => readOnnxModelInfo(new TextEncoder().encode('not a model at all'), 'file')).toThrow(
      /file: not an ONNX model/,
    );
    expect(() => readOnnxModelInfo(new Uint8Array(0))).toThrow(ArgumentError);
    expect(() => readOnnxModelInfo('model' as unknown as Uint8Array)).toThrow(/model: expected/);
  });
});

describe('OnnxScorer (a linear model: MatMul + Add)', () => {
  const model = linearScorer(FEATURE_COUNT);
  let scorer: OnnxScorer;
  // The runtime's start sets global.Worker to node:worker_threads' on Node and Bun.
  const workerBefore = (globalThis as { Worker?: unknown }).Worker;
  beforeAll(async () => {
    scorer = await OnnxScorer.create({ model: model.bytes, runtime });
  });
  afterAll(() => scorer?.close());

  it("leaves the process's global Worker as it was (worker pools rely on it)", () => {
    expect((globalThis as { Worker?: unknown }).Worker).toBe(workerBefore);
  });

  it('scores every candidate as the TypeScript reference does', async () => {
    const rows = weights(25 * FEATURE_COUNT, 3).map((v) => v * 4);
    close(await scorer.rawScores(rows), model.score(rows));
    expect(await scorer.rawScores(new Float32Array(0))).toEqual(new Float32Array(0));
  });

  it("chooses as the planner's scoring kernel does over the same weights: masks, temperature, NaN rows", async () => {
    const count = 12;
    const rows = weights(count * FEATURE_COUNT, 5);
    rows[4 * FEATURE_COUNT + 2] = Number.NaN; // candidate 4 is rejected
    const allowed = new Uint8Array(count).fill(1);
    allowed[1] = 0;
    allowed[7] = 0;
    const onnx = await scorer.score(rows, { allowed, temperature: 0.3 });
    // The kernel over [x, 1] with weights [w, b]: the same linear model.
    const kernel = await createScorer({
      features: FEATURE_COUNT + 1,
      weights: Float32Array.from([...model.w, model.b]),
      backend: 'ts',
    });
    const augmented = new Float32Array(count * (FEATURE_COUNT + 1));
    for (let i = 0; i < count; i++) {
      augmented.set(rows.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT), i * (FEATURE_COUNT + 1));
      augmented[i * (FEATURE_COUNT + 1) + FEATURE_COUNT] = 1;
    }
    const expected = kernel.score(augmented, { allowed, temperature: 0.3 });
    expect(onnx.best).toBe(expected.best);
    expect(onnx.rejected).toBe(1);
    expect(Number.isNaN(onnx.scores[4])).toBe(true);
    expect([onnx.scores[1], onnx.scores[7]]).toEqual([-Infinity, -Infinity]);
    const finite = (a: Float32Array) => Array.from(a).map((v) => (Number.isFinite(v) ? v : 0));
    close(finite(onnx.scores), finite(expected.scores));
    close(onnx.probabilities, expected.probabilities);
    expect(onnx.probabilities.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
  });

  it('names what is wrong with its input', async () => {
    await expect(scorer.rawScores(new Float32Array(FEATURE_COUNT + 1))).rejects.toThrow(DimensionError);
    await expect(scorer.score(new Float32Array(FEATURE_COUNT), { temperature: 0 })).rejects.toThrow(
      /temperature/,
    );
    await expect(OnnxScorer.create({ model: model.bytes, features: 3, runtime })).rejects.toThrow(
      /options.features: 3 values per row, but the model's candidates is \[n, 9\]/,
    );
    await expect(OnnxScorer.create({ model: model.bytes, input: 'nope', runtime })).rejects.toThrow(
      /options.input: the model has no nope; it has candidates/,
    );
  });
});

describe('OnnxPlanner', () => {
  it("ranks the UtilityPlanner's candidates by the model and chooses its best allowed one", async () => {
    const model = linearScorer(FEATURE_COUNT, 19);
    const scorer = await OnnxScorer.create({ model: model.bytes, runtime });
    const base = await UtilityPlanner.create({ backend: 'ts' });
    const planner = await OnnxPlanner.create({ scorer, planner: base });
    const diagnosis: Diagnosis = {
      incidentId: 'i-1',
      signature: 'node-crash|cpu',
      kind: 'node-crash',
      severity: 0.8,
      metrics: ['cpu', 'latency'],
      rootCauses: [
        { target: { node: 'n1' }, score: 0.9 },
        { target: { node: 'n2' }, score: 0.6 },
      ],
      recommended: [
        { action: 'restart-service', support: 0.7 },
        { action: 'failover', support: 0.3 },
      ],
    };
    const plan = await planner.plan(diagnosis, new Set([attemptKey('restart-service', { node: 'n1' })]));
    expect(plan.candidates.length).toBe(base.plan(diagnosis).candidates.length);
    const allowed = plan.candidates.filter((c) => !c.excluded);
    expect(allowed.length).toBeGreaterThan(0);
    const reference = (c: (typeof plan.candidates)[number]) =>
      model.score(Float32Array.from(FEATURES.map((f) => c.features[f])))[0];
    for (const c of allowed) expect(c.score).toBeCloseTo(reference(c), 4);
    const best = allowed.reduce((a, b) => (reference(b) > reference(a) ? b : a));
    expect(plan.chosen?.action).toBe(best.action);
    expect(plan.chosen?.target).toEqual(best.target);
    expect(plan.candidates[0]).toBe(plan.chosen);
    expect(plan.candidates.find((c) => c.action === 'restart-service' && c.target.node === 'n1')?.score).toBe(
      -Infinity,
    );
    planner.learn(diagnosis, plan.chosen!, true);
    expect(planner.successRates.get(diagnosis.signature, plan.chosen!.action).alpha).toBeGreaterThan(1);
    await scorer.close();
    await expect(
      OnnxPlanner.create({
        scorer: await OnnxScorer.create({ model: linearScorer(4).bytes, features: 4, runtime }),
      }),
    ).rejects.toThrow(/options.scorer: scores 4 features/);
  });
});

describe('OnnxDetector (an autoencoder: MatMul + Add + Relu + MatMul + Add)', () => {
  const FEATURES_PER_NODE = 4;
  const NODES = 6;
  const SERIES = FEATURES_PER_NODE * NODES;
  const model = autoencoder(FEATURES_PER_NODE, 3);
  const center = [10, 20, 0.5, 100];
  const scale = [2, 5, 0.1, 50];
  const values = Float64Array.from({ length: SERIES }, (_, i) => {
    const j = i % FEATURES_PER_NODE;
    return center[j] + scale[j] * Math.sin(i * 1.7);
  });
  values[5] = Number.NaN; // node 1 sent no sample of feature 1
  values[14] = Number.POSITIVE_INFINITY; // node 3, feature 2

  /** The reference: normalised rows, their reconstruction and squared errors. */
  function referenceErrors(): Float64Array {
    const x = new Float32Array(SERIES);
    values.forEach((v, i) => {
      const j = i % FEATURES_PER_NODE;
      x[i] = Number.isFinite(v) ? (v - center[j]) / scale[j] : 0;
    });
    const y = model.reconstruct(x);
    return Float64Array.from(x, (xi, i) => (y[i] - xi) ** 2);
  }

  it('scores each series by its reconstruction error, like the reference', async () => {
    const detector = await OnnxDetector.create({
      model: model.bytes,
      series: SERIES,
      features: FEATURES_PER_NODE,
      center,
      scale,
      errorScale: 0.5,
      runtime,
    });
    const scores = new Float64Array(SERIES);
    const returned = await detector.update(0, values, scores);
    expect(returned).toBe(scores);
    const errors = referenceErrors();
    const expected = Float64Array.from(errors, (e, i) =>
      Number.isNaN(values[i]) ? 0 : values[i] === Infinity ? 1 : 1 - Math.exp(-e / 0.5),
    );
    close(scores, expected);
    expect(scores[5]).toBe(0);
    expect(scores[14]).toBe(1);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(detector.nonFiniteOutputs).toBe(0);
    expect(fetchedElsewhere()).toEqual([]);
    await detector.close();
    await expect(detector.update(1, values, scores)).rejects.toThrow(/closed/);
  });

  it("with attribution 'row', every series of a node shares the score of its mean error", async () => {
    const detector = await OnnxDetector.create({
      model: model.bytes,
      series: SERIES,
      features: FEATURES_PER_NODE,
      center,
      scale,
      attribution: 'row',
      runtime,
    });
    const scores = new Float64Array(SERIES);
    await detector.update(0, values, scores);
    const errors = referenceErrors();
    for (let r = 0; r < NODES; r++) {
      const present = [0, 1, 2, 3]
        .map((j) => r * FEATURES_PER_NODE + j)
        .filter((i) => !Number.isNaN(values[i]));
      const mean =
        present.reduce((s, i) => s + (values[i] === Infinity ? Infinity : errors[i]), 0) / present.length;
      const rowScore = 1 - Math.exp(-mean);
      const expected = [0, 1, 2, 3].map((j) =>
        Number.isNaN(values[r * FEATURES_PER_NODE + j]) ? 0 : rowScore,
      );
      close(scores.slice(r * FEATURES_PER_NODE, (r + 1) * FEATURES_PER_NODE), expected);
    }
    expect(scores.slice(12, 16).every((s) => s === 1)).toBe(true);
    await detector.close();
  });

  it('raises the score of exactly the node whose metrics leave what the model reconstructs', async () => {
    // Relu through the identity reconstructs non-negative rows exactly and loses negative values.
    const detector = await OnnxDetector.create({
      model: reluIdentity(FEATURES_PER_NODE).bytes,
      series: SERIES,
      features: FEATURES_PER_NODE,
      runtime,
    });
    const normal = new Float64Array(SERIES).fill(0.5);
    const quiet = await detector.update(0, normal, new Float64Array(SERIES));
    expect(Array.from(quiet)).toEqual(new Array(SERIES).fill(0));
    const broken = normal.slice();
    broken[2 * FEATURES_PER_NODE + 1] = -2; // node 2, feature 1: error 4
    const loud = await detector.update(1, broken, new Float64Array(SERIES));
    expect(loud[2 * FEATURES_PER_NODE + 1]).toBeCloseTo(1 - Math.exp(-4), 6);
    expect(Array.from(loud).filter((s) => s > 0)).toHaveLength(1);
    await detector.close();
  });

  it('counts reconstructions that are not finite and leaves them out of the scores', async () => {
    // x / 0: every reconstruction is infinite or NaN.
    const broken = encodeModel({
      name: 'broken',
      irVersion: 8,
      opset: 17,
      nodes: [{ op: 'Div', inputs: ['x', 'zero'], outputs: ['reconstruction'] }],
      initializers: [
        { name: 'zero', dims: [FEATURES_PER_NODE], values: new Float32Array(FEATURES_PER_NODE) },
      ],
      inputs: [{ name: 'x', shape: ['rows', FEATURES_PER_NODE] }],
      outputs: [{ name: 'reconstruction', shape: ['rows', FEATURES_PER_NODE] }],
    });
    const detector = await OnnxDetector.create({
      model: broken,
      series: SERIES,
      features: FEATURES_PER_NODE,
      center,
      scale,
      runtime,
    });
    const scores = await detector.update(0, values, new Float64Array(SERIES).fill(0.5));
    // Only the infinite value scores: it is a sample beyond any normal, whatever the model says.
    expect(Array.from(scores).map((s, i) => (i === 14 ? s : s === 0))).toEqual(
      Array.from({ length: SERIES }, (_, i) => (i === 14 ? 1 : true)),
    );
    expect(detector.nonFiniteOutputs).toBe(SERIES - 2);
    await detector.close();
  });

  it('refuses options and inputs that do not fit, naming them', async () => {
    const base = { model: model.bytes, series: SERIES, features: FEATURES_PER_NODE, runtime };
    await expect(OnnxDetector.create({ ...base, series: 10 })).rejects.toThrow(/options.series/);
    await expect(OnnxDetector.create({ ...base, features: 3, series: 12 })).rejects.toThrow(
      /options.features: 3 values per row, but the model's x is \[rows, 4\]/,
    );
    await expect(OnnxDetector.create({ ...base, scale: [1, 0, 1, 1] })).rejects.toThrow(/options.scale\[1\]/);
    await expect(OnnxDetector.create({ ...base, center: [1] })).rejects.toThrow(DimensionError);
    await expect(OnnxDetector.create({ ...base, errorScale: -1 })).rejects.toThrow(/options.errorScale/);
    await expect(OnnxDetector.create({ ...base, model: new Uint8Array([1, 2, 3]) })).rejects.toThrow(
      /model: not an ONNX model/,
    );
    const detector = await OnnxDetector.create(base);
    await expect(detector.update(0, new Float64Array(3), new Float64Array(SERIES))).rejects.toThrow(/values/);
    await detector.close();
  });
});

describe('ONNX models in the registry', () => {
  it('registers the file with its checksum, inputs, outputs and opset, and gives the same bytes back', async () => {
    const registry = new ModelRegistry(new MemoryStore());
    const model = autoencoder(4, 2);
    const record = await registerOnnxModel(registry, {
      name: 'detector.autoencoder',
      bytes: model.bytes,
      role: 'detector',
      parameters: { features: 4 },
      tags: ['test'],
    });
    expect(record.kind).toBe('onnx');
    expect(record.lineage.parameters).toMatchObject({
      role: 'detector',
      features: 4,
      sha256: readOnnxModelInfo(model.bytes).sha256,
      bytes: model.bytes.length,
      opset: 17,
      irVersion: 8,
      inputs: [{ name: 'x', type: 'float', shape: ['rows', 4] }],
      outputs: [{ name: 'reconstruction', type: 'float', shape: ['rows', 4] }],
    });
    const stored = await registry.get('detector.autoencoder@1');
    expect(onnxModelBytes(stored)).toEqual(model.bytes);
    // A second version of other weights: a new digest, the first as its parent.
    const second = await registerOnnxModel(registry, {
      name: 'detector.autoencoder',
      bytes: autoencoder(4, 2, 99).bytes,
    });
    expect(second.version).toBe(2);
    expect(second.lineage.parent).toBe(1);
    expect((await registry.diff('detector.autoencoder@1', 'detector.autoencoder@2')).sameArtefact).toBe(
      false,
    );

    const tampered = structuredClone(stored);
    (tampered.artefact as { sha256: string }).sha256 = '0'.repeat(64);
    expect(() => onnxModelBytes(tampered)).toThrow(/SHA-256/);
    expect(() => onnxModelBytes({ ...stored, kind: 'detector' })).toThrow(/not onnx/);
    await expect(registerOnnxModel(registry, { name: 'x', bytes: new Uint8Array([9]) })).rejects.toThrow(
      /bytes: not an ONNX model/,
    );
  });
});
