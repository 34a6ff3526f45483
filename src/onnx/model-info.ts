/**
 * What an ONNX file declares, read from its protobuf without a runtime: the IR version, the
 * operator sets, the producer, and the graph's real inputs and outputs (names, element types,
 * shapes). The registry stores these beside the file's SHA-256, and the plug-ins check a model's
 * shapes against what they feed it before any session is created.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { ArgumentError } from '../errors.ts';
import { toHex } from '../security/bytes.ts';
import { sha256 } from '../security/pq.ts';

/** One dimension of a declared shape: a fixed size, or a named (symbolic) one such as `batch`. */
export type OnnxDimension = number | string;

/** A graph input or output as the file declares it. */
export interface OnnxValueInfo {
  /** Its name, the key a session is fed or answers with. */
  readonly name: string;
  /** ONNX element type name ('float', 'int64', ...), or `type-<n>` for one this reader does not name. */
  readonly type: string;
  /** Its dimensions; null when the file declares no shape. */
  readonly shape: readonly OnnxDimension[] | null;
}

/** What {@link readOnnxModelInfo} finds in an ONNX file. */
export interface OnnxModelInfo {
  /** SHA-256 of the file's bytes, hex. */
  readonly sha256: string;
  /** Size of the file in bytes. */
  readonly bytes: number;
  /** The ONNX IR version. */
  readonly irVersion: number;
  /** Operator set version per domain ('' is the default ONNX domain, 'ai.onnx'). */
  readonly opsets: Readonly<Record<string, number>>;
  /** The tool that wrote the file, with its version, if it says. */
  readonly producer: string;
  /** The inputs a caller feeds (initializers a file also lists as inputs are left out). */
  readonly inputs: readonly OnnxValueInfo[];
  /** The graph's outputs. */
  readonly outputs: readonly OnnxValueInfo[];
}

/** TensorProto.DataType names, by number (onnx.proto3). */
const ELEMENT_TYPES = [
  'undefined',
  'float',
  'uint8',
  'int8',
  'uint16',
  'int16',
  'int32',
  'int64',
  'string',
  'bool',
  'float16',
  'double',
  'uint32',
  'uint64',
  'complex64',
  'complex128',
  'bfloat16',
];

type Fields = (field: number, wireType: WireType, reader: BinaryReader) => boolean;

/** Reads a message of `length` bytes (or to the end), giving each field to `onField`; skips what it declines. */
function readMessage(reader: BinaryReader, length: number, onField: Fields): void {
  const end = reader.pos + length;
  while (reader.pos < end) {
    const [field, wireType] = reader.tag();
    if (!onField(field, wireType, reader)) reader.skip(wireType);
  }
  if (reader.pos !== end) throw new RangeError('a field runs past the end of its message');
}

/** A nested message's reader callback, for a length-delimited field. */
function nested(reader: BinaryReader, wireType: WireType, onField: Fields): boolean {
  if (wireType !== WireType.LengthDelimited) return false;
  readMessage(reader, reader.uint32(), onField);
  return true;
}

function int64(reader: BinaryReader): number {
  return Number(reader.int64());
}

function valueInfo(reader: BinaryReader, wireType: WireType): OnnxValueInfo | undefined {
  let name = '';
  let type = 'undefined';
  let shape: OnnxDimension[] | null = null;
  const read = nested(reader, wireType, (field, wt, r) => {
    if (field === 1 && wt === WireType.LengthDelimited) name = r.string();
    else if (field === 2)
      return nested(r, wt, (typeField, typeWt, tr) =>
        typeField === 1
          ? nested(tr, typeWt, (tensorField, tensorWt, t) => {
              if (tensorField === 1 && tensorWt === WireType.Varint) {
                const n = t.int32();
                type = ELEMENT_TYPES[n] ?? `type-${n}`;
                return true;
              }
              if (tensorField !== 2) return false;
              shape = [];
              return nested(t, tensorWt, (dimField, dimWt, d) =>
                dimField === 1
                  ? nested(d, dimWt, (valueField, valueWt, v) => {
                      if (valueField === 1 && valueWt === WireType.Varint) shape!.push(int64(v));
                      else if (valueField === 2 && valueWt === WireType.LengthDelimited)
                        shape!.push(v.string());
                      else return false;
                      return true;
                    })
                  : false,
              );
            })
          : false,
      );
    else return false;
    return true;
  });
  return read ? { name, type, shape } : undefined;
}

/**
 * Reads the declarations of the ONNX file `bytes` (a serialised ModelProto). Throws an
 * ArgumentError naming `argument` when the bytes are no ONNX model: not a protobuf, or no graph.
 */
export function readOnnxModelInfo(bytes: Uint8Array, argument = 'model'): OnnxModelInfo {
  if (!(bytes instanceof Uint8Array))
    throw new ArgumentError(argument, 'expected the ONNX file as a Uint8Array');
  let irVersion = 0;
  const opsets: Record<string, number> = {};
  let producerName = '';
  let producerVersion = '';
  let graphSeen = false;
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  const initializers = new Set<string>();
  try {
    const reader = new BinaryReader(bytes);
    readMessage(reader, reader.len, (field, wireType, r) => {
      if (field === 1 && wireType === WireType.Varint) irVersion = int64(r);
      else if (field === 2 && wireType === WireType.LengthDelimited) producerName = r.string();
      else if (field === 3 && wireType === WireType.LengthDelimited) producerVersion = r.string();
      else if (field === 8) {
        let domain = '';
        let version = 0;
        const read = nested(r, wireType, (setField, setWt, s) => {
          if (setField === 1 && setWt === WireType.LengthDelimited) domain = s.string();
          else if (setField === 2 && setWt === WireType.Varint) version = int64(s);
          else return false;
          return true;
        });
        if (read) opsets[domain] = version;
        return read;
      } else if (field === 7) {
        graphSeen = nested(r, wireType, (graphField, graphWt, g) => {
          if (graphField === 11 || graphField === 12) {
            const info = valueInfo(g, graphWt);
            if (info === undefined) return false;
            (graphField === 11 ? inputs : outputs).push(info);
            return true;
          }
          if (graphField !== 5) return false;
          return nested(g, graphWt, (tensorField, tensorWt, t) => {
            if (tensorField !== 8 || tensorWt !== WireType.LengthDelimited) return false;
            initializers.add(t.string());
            return true;
          });
        });
        return graphSeen;
      } else return false;
      return true;
    });
  } catch (error) {
    throw new ArgumentError(argument, `not an ONNX model (${(error as Error).message})`);
  }
  if (!graphSeen || outputs.length === 0)
    throw new ArgumentError(argument, 'not an ONNX model: it holds no graph with outputs');
  return {
    sha256: toHex(sha256(bytes)),
    bytes: bytes.length,
    irVersion,
    opsets,
    producer: [producerName, producerVersion].filter((s) => s !== '').join(' '),
    inputs: inputs.filter((i) => !initializers.has(i.name)),
    outputs,
  };
}
