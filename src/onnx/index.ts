/**
 * Bring your own ONNX model (x0tta6bl4/onnx): a user's model run by onnxruntime-web's
 * WebAssembly backend on Node, Deno, Bun and browsers, without any download at run time.
 * `OnnxDetector` is an autoencoder scoring the loop's series by reconstruction error (in place of
 * the built-in DetectorBank); `OnnxScorer` and `OnnxPlanner` rank the planner's candidate actions
 * with a model; registry.ts versions ONNX files in the model registry (checksum, inputs, outputs,
 * opsets). onnxruntime-web is an optional peer dependency, loaded by runtime.ts on first use:
 * only this subpath imports it.
 */
export {
  OnnxDetector,
  type ErrorAttribution,
  type OnnxDetectorOptions,
} from './detector.ts';
export { OnnxModel, type OnnxModelOptions } from './model.ts';
export {
  readOnnxModelInfo,
  type OnnxDimension,
  type OnnxModelInfo,
  type OnnxValueInfo,
} from './model-info.ts';
export {
  onnxModelBytes,
  onnxModelVersion,
  onnxParameters,
  registerOnnxModel,
  type OnnxArtefact,
  type OnnxRegistration,
} from './registry.ts';
export { OnnxRuntimeError, type OnnxRuntimeOptions } from './runtime-options.ts';
export {
  OnnxPlanner,
  OnnxScorer,
  type OnnxPlannerOptions,
  type OnnxScorerOptions,
} from './scorer.ts';
