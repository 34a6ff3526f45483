/**
 * What a retrieval returns: the ranked documents with their scores and the evidence for each,
 * iterable and with a `length` like the list the Python users know.
 */
import type { AlertLink } from './alert.ts';
import type { RagDocument } from './document.ts';

/** One retrieved document and why it ranked where it did. */
export interface RetrievalHit {
  /** The document. */
  readonly document: RagDocument;
  /** Final score in [0, 1]: fused RRF score over the best achievable (1 = first everywhere). */
  readonly score: number;
  /** 1-based rank in the BM25 ranking, if it was there. */
  readonly lexicalRank?: number;
  /** 1-based rank in the vector ranking, if it was there. */
  readonly vectorRank?: number;
  /** Cosine similarity of query and document embeddings, if the vector ranking saw it. */
  readonly similarity?: number;
  /** Query words and thesaurus concepts the document shares with the query. */
  readonly matched: readonly string[];
  /** Set when an alert led straight to this runbook, by its runbook URL or its alert name. */
  readonly linkedBy?: AlertLink;
}

/** Milliseconds spent per stage of one retrieval. */
export interface RetrievalTimings {
  /** Embedding the query. */
  readonly embedMs: number;
  /** Ranking with BM25. */
  readonly lexicalMs: number;
  /** Ranking by vector similarity. */
  readonly vectorMs: number;
  /** Fusing the rankings. */
  readonly fusionMs: number;
  /** The whole retrieval. */
  readonly totalMs: number;
}

/** Ranked retrieval output, best first. */
export class RetrievalResult implements Iterable<RetrievalHit> {
  /** The documents, best first. */
  readonly documents: readonly RagDocument[];
  /** `scores[i]` belongs to `documents[i]`. */
  readonly scores: readonly number[];

  /** A result over `hits`, best first. */
  constructor(
    /** The query text as given. */
    readonly query: string,
    /** Per-document details, best first. */
    readonly hits: readonly RetrievalHit[],
    /**
     * Candidates that passed the filter and the threshold before the cut to k; each ranking
     * contributes at most max(4k, 50) candidates, so this is capped for large corpora.
     */
    readonly totalResults: number,
    readonly timings: RetrievalTimings,
  ) {
    this.documents = hits.map((h) => h.document);
    this.scores = hits.map((h) => h.score);
  }

  /** Number of returned documents. */
  get length(): number {
    return this.hits.length;
  }

  /** The hits, best first. */
  [Symbol.iterator](): Iterator<RetrievalHit> {
    return this.hits[Symbol.iterator]();
  }
}
