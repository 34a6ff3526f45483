/**
 * ONNX models in the model registry (x0tta6bl4/mlops), versioned, promoted and rolled back like
 * every other model. A version's artefact is the file in base64 with its SHA-256; its parameters
 * say what the file declares (checksum, size, IR version, opsets, producer, inputs and outputs),
 * so `models show` and `models diff` tell two versions apart without loading either, and the
 * bytes read back are checked against that checksum before any session runs them.
 */
import { ArgumentError } from '../errors.ts';
import type { ModelVersionRecord } from '../knowledge/models.ts';
import type { ModelRegistry, RegisterModel } from '../mlops/registry.ts';
import { fromBase64, toBase64 } from '../security/bytes.ts';
import { readOnnxModelInfo, type OnnxModelInfo } from './model-info.ts';

/** An ONNX version's artefact: the file, and its checksum. */
export interface OnnxArtefact {
  /** Always 'onnx'. */
  readonly format: 'onnx';
  /** SHA-256 of the file, hex. */
  readonly sha256: string;
  /** The file, standard padded base64. */
  readonly base64: string;
}

/** What {@link onnxModelVersion} needs: the file and how to register it. */
export interface OnnxRegistration {
  /** The model's name in the registry. */
  name: string;
  /** The ONNX file. */
  bytes: Uint8Array;
  /** What the model is for, e.g. 'detector' or 'scorer' (kept in the parameters; default none). */
  role?: string;
  /** More parameters to keep (the plug-in's options: features, errorScale...). */
  parameters?: Record<string, unknown>;
  /** Figures measured when it was registered. */
  metrics?: Record<string, number>;
  /** Free labels. */
  tags?: string[];
  /** The version it derives from (default the registry's: the champion, else the newest). */
  parent?: number | null;
}

/** The parameters a registered ONNX version carries, from what the file declares. */
export function onnxParameters(info: OnnxModelInfo): Record<string, unknown> {
  return {
    sha256: info.sha256,
    bytes: info.bytes,
    irVersion: info.irVersion,
    opset: info.opsets[''] ?? info.opsets['ai.onnx'] ?? null,
    opsets: { ...info.opsets },
    producer: info.producer,
    inputs: info.inputs.map((i) => ({ name: i.name, type: i.type, shape: i.shape })),
    outputs: info.outputs.map((o) => ({ name: o.name, type: o.type, shape: o.shape })),
  };
}

/**
 * The registration of an ONNX file (kind 'onnx'): its artefact and parameters. ArgumentError
 * when the bytes are no ONNX model.
 */
export function onnxModelVersion(input: OnnxRegistration): RegisterModel {
  if (typeof input !== 'object' || input === null)
    throw new ArgumentError('model', 'expected { name, bytes, ... }');
  const info = readOnnxModelInfo(input.bytes, 'bytes');
  const artefact: OnnxArtefact = { format: 'onnx', sha256: info.sha256, base64: toBase64(input.bytes) };
  return {
    name: input.name,
    kind: 'onnx',
    artefact,
    parameters: {
      ...(input.parameters ?? {}),
      ...(input.role === undefined ? {} : { role: input.role }),
      ...onnxParameters(info),
    },
    ...(input.metrics ? { metrics: input.metrics } : {}),
    ...(input.tags ? { tags: input.tags } : {}),
    ...(input.parent !== undefined ? { parent: input.parent } : {}),
  };
}

/** Registers an ONNX file as the next version of `input.name`; see {@link onnxModelVersion}. */
export async function registerOnnxModel(
  registry: ModelRegistry,
  input: OnnxRegistration,
): Promise<ModelVersionRecord> {
  return registry.register(onnxModelVersion(input));
}

/**
 * The ONNX file of a registered version, checked against its checksum. ArgumentError when the
 * version is not an ONNX model or its bytes do not match.
 */
export function onnxModelBytes(record: ModelVersionRecord): Uint8Array {
  const where = `${record?.name}@${record?.version}`;
  if (record?.kind !== 'onnx')
    throw new ArgumentError('record', `${where} is a ${record?.kind} model, not onnx`);
  const artefact = record.artefact as Partial<OnnxArtefact> | null;
  if (
    artefact?.format !== 'onnx' ||
    typeof artefact.base64 !== 'string' ||
    typeof artefact.sha256 !== 'string'
  )
    throw new ArgumentError(
      'record',
      `${where}: its artefact is not an ONNX file ({ format, sha256, base64 })`,
    );
  const bytes = fromBase64(artefact.base64, 'record.artefact.base64');
  const info = readOnnxModelInfo(bytes, 'record.artefact');
  if (info.sha256 !== artefact.sha256)
    throw new ArgumentError(
      'record',
      `${where}: the file's SHA-256 is ${info.sha256}, not the ${artefact.sha256} registered`,
    );
  return bytes;
}
