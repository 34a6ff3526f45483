/**
 * rag: retrieval-augmented analysis. Owns the runbook corpus (knowledge/runbooks, shipped also
 * as runbooks.generated.ts for runtimes without fs), the embedders (hashed n-gram default in
 * wasm; transformers.js in ./transformers-embedder.ts, imported separately because it is heavy),
 * the BM25 and vector indexes, hybrid rank fusion, RAGAnalyzer, which the analyze and plan
 * stages use to cite runbooks and past incidents, and RagDiagnoser, its adapter to the loop's
 * diagnoser contract. ./file-store.ts (node:fs) backs the CLI and is not exported here; the
 * durable store in the knowledge database is src/knowledge/pglite-rag-store.ts.
 */
export { RAGAnalyzer, RETRIEVAL_DIM } from './analyzer.ts';
export type {
  CandidateAction,
  Citation,
  AugmentedAnalysis,
  FaultEvidence,
  IncidentCitation,
  RAGAnalyzerOptions,
  RetrieveOptions,
} from './analyzer.ts';
export type { AlertLink, AlertmanagerAlert } from './alert.ts';
export { Bm25Index } from './bm25.ts';
export type { Bm25Text } from './bm25.ts';
export { documentText, SEVERITIES } from './document.ts';
export { RagDiagnoser } from './diagnoser.ts';
export type { DiagnosedIncident, DiagnoserAnswer, RagDiagnoserOptions } from './diagnoser.ts';
export type { DocumentOrigin, Inferred, InferredLabels, RagDocument, Severity } from './document.ts';
export type { Embedder } from './embedder.ts';
export { evaluateRankings } from './evaluate.ts';
export type { LabelledQuery, RetrievalQuality } from './evaluate.ts';
export type { RetrievalFilter } from './filter.ts';
export { reciprocalRankFusion, RRF_K } from './fusion.ts';
export type { WeightedRanking } from './fusion.ts';
export type { Hit } from './ranking.ts';
export { DEFAULT_WEIGHTS, HashedEmbedder } from './hashed-embedder.ts';
export type { HashedEmbedderOptions } from './hashed-embedder.ts';
export { incidentDocument, incidentQuery } from './incident.ts';
export type { IncidentInput, IncidentMetric, ResolvedIncident } from './incident.ts';
export { RetrievalResult } from './result.ts';
export type { RetrievalHit, RetrievalTimings } from './result.ts';
export { DEFAULT_FUSION_WEIGHTS, HybridRetriever, storedId, vectorTexts } from './retriever.ts';
export type { RetrievalMode, RetrieverOptions, SearchOptions } from './retriever.ts';
export { RUNBOOK_VOCABULARY, parseRunbook, type RunbookVocabulary } from './runbook.ts';
export { RUNBOOKS } from './runbooks.generated.ts';
export { MemoryRagStore } from './store.ts';
export type { RagStore, StoredDocument } from './store.ts';
export { OPS_THESAURUS } from './thesaurus.ts';
export { VectorIndex } from './vector-index.ts';
export type { VectorPrecision } from './vector-index.ts';
