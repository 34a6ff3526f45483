/**
 * The Numenta Anomaly Benchmark in the project: NAB's scorer (written from its published rules
 * and checked against ARTime's published figures), its cost profiles, its file formats, and a
 * runner that scores our detectors on a NAB-layout corpus. The `nab` CLI command (src/cli/nab.ts)
 * adds the folder reading and writing.
 */
export { NAB_PROFILES, PROFILE_NAMES } from './profiles.ts';
export type { CostProfile, ProfileName } from './profiles.ts';
export { describeIssues, parseNabCsv, parseTimestamp, parseWindows } from './csv.ts';
export type { NabCsvIssues, NabCsvOptions, NabTable, WindowMap } from './csv.ts';
export {
  prepareFile,
  scoreFile,
  scoreCorpus,
  optimiseThreshold,
  normalise,
  scaledSigmoid,
  probationLength,
} from './scorer.ts';
export type { LabelledFile, PreparedFile, FileScore, CorpusScore } from './scorer.ts';
export { detectCorpus, evaluateCorpus, formatEvaluation, resultCsv } from './runner.ts';
export type { NabFile, NabEvaluation, DetectOptions } from './runner.ts';
export {
  categoryFolds,
  crossValidate,
  crossValidateRepeats,
  fileFolds,
  parsePartition,
  stratifiedFolds,
  ThresholdSweep,
} from './cv.ts';
export type { CrossValidation, CvSummary, Fold, FoldResult, PartitionSpec } from './cv.ts';
export {
  crossValidateDetector,
  formatCrossValidation,
  gridCandidates,
  MAX_CANDIDATES,
} from './cross-validate.ts';
export type {
  CrossValidateOptions,
  DetectorCrossValidation,
  ParamGrid,
  ProfileCv,
} from './cross-validate.ts';
export { formatJitter, jitterCrossValidate, jitterParams } from './jitter.ts';
export type {
  CorpusDetector,
  DesignFigures,
  JitterCrossValidation,
  JitterOptions,
  Spread,
} from './jitter.ts';
export { coarsenCorpus } from './coarsen.ts';
