/**
 * What the RAG analyzer indexes: runbooks and resolved incidents share one document shape so
 * they rank together and filter by the same metadata. A runbook is searched by fields (title,
 * symptoms, and each section of its body under the name of its heading), weighted apart.
 */
import { readSections } from './markdown.ts';

/** Severity levels, most urgent first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
/** How urgent a runbook's fault or an incident is. */
export type Severity = (typeof SEVERITIES)[number];

/** A retrievable document: a runbook or a resolved incident. */
export interface RagDocument {
  /** Unique id (runbook id, or incident id). */
  readonly id: string;
  /** Where it came from. */
  readonly source: 'runbook' | 'incident';
  /** A one-line title. */
  readonly title: string;
  /** Fault kinds it is about: the domain's FAULT_KINDS, or kinds a user's own runbooks add. */
  readonly faults: readonly string[];
  /** How urgent the fault is. */
  readonly severity: Severity;
  /** What an operator sees. */
  readonly symptoms: readonly string[];
  /** Metrics that show the fault. */
  readonly metrics: readonly string[];
  /** Remedies, best first (the domain's ACTION_NAMES, or a user's own; for incidents: the actions that were tried). */
  readonly actions: readonly string[];
  /** Free text (runbook body, or incident notes). */
  readonly body: string;
  /** Milliseconds since the epoch (incidents: when it was resolved); filters by time use it. */
  readonly timestamp?: number;
  /** Incidents: the action that healed it, if any. */
  readonly resolvedBy?: string;
  /**
   * Present when the runbook did not declare its fault kinds or actions: what was inferred for
   * them, with a confidence in (0, 1] each; `faults` and `actions` then hold these names.
   */
  readonly inferred?: InferredLabels;
  /** Alert names that lead straight to this runbook (Prometheus `alertname`). */
  readonly alerts?: readonly string[];
  /** Paths and URL paths this runbook is published under (its file path, Hugo `aliases`). */
  readonly links?: readonly string[];
  /** Where an indexed file came from, so that re-indexing its folder can skip, update or drop it. */
  readonly origin?: DocumentOrigin;
}

/** A name from the domain vocabulary with how sure the inference is of it. */
export interface Inferred {
  /** The fault kind or action, as the domain vocabulary names it. */
  readonly name: string;
  /** Estimated probability that the label is right, in (0, 1]. */
  readonly confidence: number;
}

/** Fault kinds and actions inferred for a runbook that declared none, most confident first. */
export interface InferredLabels {
  /** Fault kinds the runbook is about. */
  readonly faults: readonly Inferred[];
  /** Actions its remediation recommends. */
  readonly actions: readonly Inferred[];
}

/** The file a document was read from. */
export interface DocumentOrigin {
  /** The folder that was indexed (absolute path). */
  readonly folder: string;
  /** The file's path relative to it, with '/' separators. */
  readonly path: string;
  /** SHA-256 of the file's bytes, hex. */
  readonly hash: string;
}

/**
 * The confidence of `name` as one of `doc`'s fault kinds (`kind: 'faults'`) or actions: 1 when
 * the runbook declares it, the inferred confidence when it was inferred, 0 when it is absent.
 */
export function labelConfidence(doc: RagDocument, kind: 'faults' | 'actions', name: string): number {
  if (!doc.inferred) return doc[kind].includes(name) ? 1 : 0;
  return doc.inferred[kind].find((l) => l.name === name)?.confidence ?? 0;
}

/** The text both the lexical index and the embedder see for a document, as a whole. */
export function documentText(doc: RagDocument): string {
  return [
    doc.title,
    doc.faults.join(' '),
    doc.symptoms.join('. '),
    doc.metrics.join(' ').replaceAll('_', ' '),
    doc.body,
  ].join('\n');
}

/**
 * Section headings runbooks use, by the field they are searched as. A heading not listed here
 * is searched as `body`; sub-sections belong to the field of the section above them.
 */
const SECTION_FIELDS: Readonly<Record<string, string>> = {
  meaning: 'meaning',
  description: 'meaning',
  'alert description': 'meaning',
  summary: 'meaning',
  overview: 'meaning',
  symptoms: 'meaning',
  impact: 'impact',
  diagnosis: 'diagnosis',
  diagnose: 'diagnosis',
  investigation: 'diagnosis',
  'investigation steps': 'diagnosis',
  troubleshooting: 'diagnosis',
  mitigation: 'mitigation',
  remediate: 'mitigation',
  remediation: 'mitigation',
  resolution: 'mitigation',
  'resolution steps': 'mitigation',
  fix: 'mitigation',
};

/** The field a section heading is searched as (see {@link SECTION_FIELDS}). */
export function sectionField(heading: string): string {
  return (
    SECTION_FIELDS[
      heading
        .toLowerCase()
        .replace(/[^a-z ]+/g, ' ')
        .trim()
        .replace(/ +/g, ' ')
    ] ?? 'body'
  );
}

/**
 * The document as the lexical index's fields: `title` (with its alert names and level-1
 * headings), `faults` (declared ones only: inferred kinds are guesses, not the writer's words),
 * `symptoms`, `metrics`, one field per kind of section (`meaning`, `impact`, `diagnosis`,
 * `mitigation`, else `body`), and `code` for fenced code (commands, queries, log excerpts).
 * Together they hold the words of {@link documentText}, so with every weight 1 the fields score
 * as the whole text does.
 */
export function documentFields(doc: RagDocument): Readonly<Record<string, string>> {
  let cached = fieldsOf.get(doc);
  if (!cached) fieldsOf.set(doc, (cached = splitFields(doc)));
  return cached;
}

// Documents are immutable: their fields are computed once (the index, the embedder's rows and
// the label inference all ask).
const fieldsOf = new WeakMap<RagDocument, Readonly<Record<string, string>>>();

function splitFields(doc: RagDocument): Record<string, string> {
  const fields: Record<string, string[]> = {
    title: [doc.title, ...(doc.alerts ?? [])],
    faults: doc.inferred ? [] : [doc.faults.join(' ')],
    symptoms: [doc.symptoms.join('. ')],
    metrics: [doc.metrics.join(' ').replaceAll('_', ' ')],
  };
  const add = (field: string, text: string) => {
    if (text !== '') (fields[field] ??= []).push(text);
  };
  let field = 'body';
  for (const s of readSections(doc.body)) {
    if (s.level === 1) {
      add('title', s.heading);
      field = 'body';
    } else if (s.level === 2 || (s.level > 2 && field === 'body')) {
      field = sectionField(s.heading);
      add(field, s.heading);
    } else if (s.level > 2) add(field, s.heading);
    add(field, s.text);
    add('code', s.code);
  }
  return Object.fromEntries(Object.entries(fields).map(([name, parts]) => [name, parts.join('\n')]));
}

/**
 * What an operator would say the runbook is about, without its remedies: the title, the
 * symptoms, and the sections that say what the alert means. The embedder gets it as a row of its
 * own, so a short operator sentence is not diluted by the diagnosis and remedy prose.
 */
export function leadText(doc: RagDocument): string {
  const fields = doc.body === '' ? {} : documentFields(doc);
  return [doc.title, ...doc.symptoms, ...(fields.meaning ? [fields.meaning] : [])].join('. ');
}
