/**
 * Small ONNX models built at test time, with their TypeScript references: a linear scorer
 * (MatMul + Add) and an autoencoder (MatMul + Add + Relu + MatMul + Add). The files are written
 * with @bufbuild/protobuf's wire writer (onnx.proto3's field numbers), which runs on all four
 * runtimes; test/onnx-models.test.ts checks on Node that onnx-proto reads them as the same
 * models it builds itself.
 */
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** TensorProto.DataType numbers of the element types the helpers write. */
const ELEMENT_TYPES = { float: 1, int64: 7 } as const;
const FLOAT = ELEMENT_TYPES.float;

/** A graph node: operator, inputs, outputs. */
export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
}

/** A float32 initializer (a weight tensor). */
export interface TensorSpec {
  name: string;
  dims: number[];
  values: Float32Array;
}

/** A graph input or output (float32 unless `type` says); a string dimension is symbolic. */
export interface ValueSpec {
  name: string;
  shape: (number | string)[];
  type?: keyof typeof ELEMENT_TYPES;
}

/** A whole model. */
export interface ModelSpec {
  name: string;
  nodes: NodeSpec[];
  initializers: TensorSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  opset: number;
  irVersion: number;
}

function message(writer: BinaryWriter, field: number, body: (w: BinaryWriter) => void): void {
  writer.tag(field, WireType.LengthDelimited).fork();
  body(writer);
  writer.join();
}

function valueInfo(writer: BinaryWriter, field: number, value: ValueSpec): void {
  message(writer, field, (w) => {
    w.tag(1, WireType.LengthDelimited).string(value.name);
    message(w, 2, (type) =>
      message(type, 1, (tensor) => {
        tensor.tag(1, WireType.Varint).int32(ELEMENT_TYPES[value.type ?? 'float']);
        message(tensor, 2, (shape) => {
          for (const dim of value.shape)
            message(shape, 1, (d) => {
              if (typeof dim === 'number') d.tag(1, WireType.Varint).int64(dim);
              else d.tag(2, WireType.LengthDelimited).string(dim);
            });
        });
      }),
    );
  });
}

/** The serialised ModelProto of `spec`. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.Varint).int64(spec.irVersion);
  w.tag(2, WireType.LengthDelimited).string('x0tta6bl4-test');
  message(w, 7, (graph) => {
    spec.nodes.forEach((node, i) =>
      message(graph, 1, (n) => {
        for (const input of node.inputs) n.tag(1, WireType.LengthDelimited).string(input);
        for (const output of node.outputs) n.tag(2, WireType.LengthDelimited).string(output);
        n.tag(3, WireType.LengthDelimited).string(`${node.op.toLowerCase()}${i}`);
        n.tag(4, WireType.LengthDelimited).string(node.op);
      }),
    );
    graph.tag(2, WireType.LengthDelimited).string(spec.name);
    for (const tensor of spec.initializers)
      message(graph, 5, (t) => {
        for (const dim of tensor.dims) t.tag(1, WireType.Varint).int64(dim);
        t.tag(2, WireType.Varint).int32(FLOAT);
        t.tag(8, WireType.LengthDelimited).string(tensor.name);
        t.tag(9, WireType.LengthDelimited).bytes(new Uint8Array(tensor.values.buffer.slice(0)));
      });
    for (const input of spec.inputs) valueInfo(graph, 11, input);
    for (const output of spec.outputs) valueInfo(graph, 12, output);
  });
  message(w, 8, (opset) => {
    opset.tag(1, WireType.LengthDelimited).string('');
    opset.tag(2, WireType.Varint).int64(spec.opset);
  });
  return w.finish();
}

/** Deterministic weights in [-1, 1) (a linear congruential generator), rounded to float32. */
export function weights(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = (state / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** A linear scorer: y = x W + b, x [n, features], W [features, 1]. */
export interface LinearScorer {
  spec: ModelSpec;
  bytes: Uint8Array;
  w: Float32Array;
  b: number;
  /** The reference: one score per row, in f64 from the float32 weights. */
  score(rows: Float32Array): Float64Array;
}

/** Builds a linear scorer over `features` inputs. */
export function linearScorer(features: number, seed = 7): LinearScorer {
  const w = weights(features, seed);
  const b = weights(1, seed + 1);
  const spec: ModelSpec = {
    name: 'linear-scorer',
    irVersion: 8,
    opset: 17,
    nodes: [
      { op: 'MatMul', inputs: ['candidates', 'w'], outputs: ['product'] },
      { op: 'Add', inputs: ['product', 'b'], outputs: ['score'] },
    ],
    initializers: [
      { name: 'w', dims: [features, 1], values: w },
      { name: 'b', dims: [1], values: b },
    ],
    inputs: [{ name: 'candidates', shape: ['n', features] }],
    outputs: [{ name: 'score', shape: ['n', 1] }],
  };
  return {
    spec,
    bytes: encodeModel(spec),
    w,
    b: b[0],
    score(rows) {
      const n = rows.length / features;
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = b[0];
        for (let j = 0; j < features; j++) s += rows[i * features + j] * w[j];
        out[i] = s;
      }
      return out;
    },
  };
}

/** An autoencoder: y = relu(x W1 + b1) W2 + b2, x [n, features], hidden units in between. */
export interface Autoencoder {
  spec: ModelSpec;
  bytes: Uint8Array;
  /** The reference reconstruction of `rows` (n x features), in f64 from float32 weights and inputs. */
  reconstruct(rows: Float32Array): Float64Array;
}

/** The weights of an autoencoder: W1 [features, hidden], b1 [hidden], W2 [hidden, features], b2 [features]. */
export interface AutoencoderWeights {
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

/** Builds an autoencoder of `features` inputs through `hidden` units, of seeded random weights. */
export function autoencoder(features: number, hidden: number, seed = 11): Autoencoder {
  return autoencoderOf(features, hidden, {
    w1: weights(features * hidden, seed),
    b1: weights(hidden, seed + 1),
    w2: weights(hidden * features, seed + 2),
    b2: weights(features, seed + 3),
  });
}

/** The identity through Relu (W1 = W2 = I, no bias): it reconstructs non-negative rows exactly. */
export function reluIdentity(features: number): Autoencoder {
  const eye = new Float32Array(features * features);
  for (let j = 0; j < features; j++) eye[j * features + j] = 1;
  const zeros = new Float32Array(features);
  return autoencoderOf(features, features, { w1: eye, b1: zeros, w2: eye, b2: zeros });
}

/** Builds an autoencoder of the given weights. */
export function autoencoderOf(
  features: number,
  hidden: number,
  { w1, b1, w2, b2 }: AutoencoderWeights,
): Autoencoder {
  const spec: ModelSpec = {
    name: 'autoencoder',
    irVersion: 8,
    opset: 17,
    nodes: [
      { op: 'MatMul', inputs: ['x', 'w1'], outputs: ['h0'] },
      { op: 'Add', inputs: ['h0', 'b1'], outputs: ['h1'] },
      { op: 'Relu', inputs: ['h1'], outputs: ['h'] },
      { op: 'MatMul', inputs: ['h', 'w2'], outputs: ['y0'] },
      { op: 'Add', inputs: ['y0', 'b2'], outputs: ['reconstruction'] },
    ],
    initializers: [
      { name: 'w1', dims: [features, hidden], values: w1 },
      { name: 'b1', dims: [hidden], values: b1 },
      { name: 'w2', dims: [hidden, features], values: w2 },
      { name: 'b2', dims: [features], values: b2 },
    ],
    inputs: [{ name: 'x', shape: ['rows', features] }],
    outputs: [{ name: 'reconstruction', shape: ['rows', features] }],
  };
  return {
    spec,
    bytes: encodeModel(spec),
    reconstruct(rows) {
      const n = rows.length / features;
      const out = new Float64Array(rows.length);
      for (let r = 0; r < n; r++) {
        const h = new Float64Array(hidden);
        for (let k = 0; k < hidden; k++) {
          let s = b1[k];
          for (let j = 0; j < features; j++) s += rows[r * features + j] * w1[j * hidden + k];
          h[k] = Math.max(0, s);
        }
        for (let j = 0; j < features; j++) {
          let s = b2[j];
          for (let k = 0; k < hidden; k++) s += h[k] * w2[k * features + j];
          out[r * features + j] = s;
        }
      }
      return out;
    },
  };
}
