/**
 * Runbook files to {@link RagDocument}s. Two kinds of file are read:
 * - the project's schema (knowledge/runbook.schema.json): YAML front matter that declares
 *   `faults`, validated strictly by {@link parseRunbook}, fault kinds and actions checked against
 *   the domain vocabulary (src/domain);
 * - any other runbook ({@link readRunbook}): Markdown with any front matter or none, or plain
 *   text, as teams write them; its fault kinds and actions are inferred (./infer.ts).
 * Runs on every runtime (no fs): the CLI and the corpus generator read the files, this turns
 * text into data.
 */
import { parse } from 'yaml';
import { ACTION_NAMES } from '../domain/actions.ts';
import { FAULT_KINDS } from '../domain/faults.ts';
import { ArgumentError } from '../errors.ts';
import { SEVERITIES, type RagDocument, type Severity } from './document.ts';
import type { LabelInference } from './infer.ts';
import { readMarkdown } from './markdown.ts';

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/;
const ID = /^[a-z0-9][a-z0-9._-]*$/;

/** The fault kinds and action names a runbook may use. */
export interface RunbookVocabulary {
  /** Fault kinds a runbook may name. */
  readonly faults: readonly string[];
  /** Action names a runbook may recommend. */
  readonly actions: readonly string[];
}

/** The domain's vocabulary: every fault kind and every action name (the engine's and the operator's). */
export const RUNBOOK_VOCABULARY: RunbookVocabulary = { faults: FAULT_KINDS, actions: ACTION_NAMES };

/**
 * Parses one runbook. `origin` (a file name) prefixes error messages so a user can find the
 * bad file. Required front matter: id, title, faults, symptoms, metrics, actions, severity.
 * Faults and actions must be in `vocabulary` (default: the domain's), so that a misspelt kind
 * fails here instead of never matching; runbooks about kinds of one's own pass a vocabulary
 * that adds them.
 */
export function parseRunbook(
  markdown: string,
  origin = 'runbook',
  vocabulary: RunbookVocabulary = RUNBOOK_VOCABULARY,
): RagDocument {
  if (typeof markdown !== 'string') throw new ArgumentError(origin, 'expected Markdown text');
  const match = FRONT_MATTER.exec(markdown);
  if (!match) throw new ArgumentError(origin, 'missing YAML front matter between --- lines');
  let meta: unknown;
  try {
    meta = parse(match[1]);
  } catch (cause) {
    throw new ArgumentError(`${origin}: front matter`, `invalid YAML: ${(cause as Error).message}`);
  }
  if (typeof meta !== 'object' || meta === null) {
    throw new ArgumentError(`${origin}: front matter`, 'expected a YAML mapping');
  }
  const m = meta as Record<string, unknown>;
  const id = text(m, 'id', origin);
  if (!ID.test(id))
    throw new ArgumentError(
      `${origin}: id`,
      `expected lower-case letters, digits, '.', '_' or '-', got "${id}"`,
    );
  const severity = text(m, 'severity', origin);
  if (!(SEVERITIES as readonly string[]).includes(severity)) {
    throw new ArgumentError(
      `${origin}: severity`,
      `expected one of ${SEVERITIES.join(', ')}, got "${severity}"`,
    );
  }
  return {
    id,
    source: 'runbook',
    title: text(m, 'title', origin),
    faults: known(list(m, 'faults', origin), vocabulary.faults, `${origin}: faults`, 'fault kind'),
    severity: severity as Severity,
    symptoms: list(m, 'symptoms', origin),
    metrics: list(m, 'metrics', origin),
    actions: known(list(m, 'actions', origin), vocabulary.actions, `${origin}: actions`, 'action'),
    body: match[2].trim(),
    ...(m.alerts !== undefined ? { alerts: list(m, 'alerts', origin) } : {}),
  };
}

/** Options of {@link readRunbook}. */
export interface ReadRunbookOptions {
  /** Fault kinds and action names allowed (default: the domain's). */
  vocabulary?: RunbookVocabulary;
  /** Infers the labels of a runbook that declares none; without it such a runbook has none. */
  inference?: LabelInference;
}

/** The front-matter key only the project's schema uses: a file with it is validated strictly. */
const SCHEMA_KEY = 'faults';
/** Prometheus severities and the project's nearest ones. */
const SEVERITY_ALIASES: Readonly<Record<string, Severity>> = { warning: 'medium', info: 'low', none: 'low' };
/** A Prometheus alert name, as runbook files are often named. */
const ALERT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads any runbook file. `path` is its path relative to the indexed folder with '/' separators,
 * and the id of a runbook that does not declare our schema. A file whose front matter has
 * `faults` is our schema, parsed by {@link parseRunbook}. Any other file: the title is the front
 * matter's `title`, else the first heading (the first line of plain text), else the file name;
 * `severity` is read when it is one of ours or Prometheus's (warning, info), else medium;
 * `actions` in the front matter are checked against the vocabulary and kept, other actions and
 * the fault kinds are inferred with `options.inference`. Alert names that lead straight here:
 * `alert`, `alerts` or `alertname` from the front matter, and the file name when it is a valid
 * alert name (`KubePodCrashLooping.md`); links: the path and the front matter's `aliases`.
 * Plain text (`.txt`) is read as it is, with no front matter.
 */
export function readRunbook(text: string, path: string, options: ReadRunbookOptions = {}): RagDocument {
  if (typeof path !== 'string' || path === '') throw new ArgumentError('path', 'expected a file path');
  if (typeof text !== 'string') throw new ArgumentError(path, 'expected the text of a file');
  const vocabulary = options.vocabulary ?? RUNBOOK_VOCABULARY;
  const plain = /\.txt$/i.test(path);
  const file = plain
    ? { meta: undefined, body: text.trim(), firstHeading: text.trim().split(/\r?\n/)[0] }
    : readMarkdown(text, path);
  const meta = file.meta ?? {};
  if (Object.hasOwn(meta, SCHEMA_KEY)) return parseRunbook(text, path, vocabulary);
  const name = path.slice(path.lastIndexOf('/') + 1).replace(/\.[^.]*$/, '');
  const title = optionalText(meta.title) ?? file.firstHeading?.trim() ?? name;
  const severity = optionalText(meta.severity)?.toLowerCase();
  const declared =
    meta.actions === undefined
      ? undefined
      : known(list(meta, 'actions', path), vocabulary.actions, `${path}: actions`, 'action');
  const alerts = [meta.alert, meta.alerts, meta.alertname].flatMap(strings);
  if (ALERT_NAME.test(name) && !alerts.includes(name)) alerts.push(name);
  const doc: RagDocument = {
    id: path,
    source: 'runbook',
    title: title === '' ? name : title,
    faults: [],
    severity: (SEVERITIES as readonly string[]).includes(severity ?? '')
      ? (severity as Severity)
      : (SEVERITY_ALIASES[severity ?? ''] ?? 'medium'),
    symptoms: [],
    metrics: [],
    actions: declared ?? [],
    body: file.body,
    alerts,
    links: [path, ...strings(meta.aliases)],
    inferred: { faults: [], actions: (declared ?? []).map((a) => ({ name: a, confidence: 1 })) },
  };
  if (!options.inference) return doc;
  const labels = options.inference.infer(doc, declared);
  const faults = labels.faults.filter((l) => vocabulary.faults.includes(l.name));
  const actions = labels.actions.filter((l) => vocabulary.actions.includes(l.name));
  return {
    ...doc,
    faults: faults.map((l) => l.name),
    actions: actions.map((l) => l.name),
    inferred: { faults, actions },
  };
}

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

// A string or a list of strings from foreign front matter; anything else is not ours to read.
function strings(value: unknown): string[] {
  if (typeof value === 'string') return value.trim() === '' ? [] : [value.trim()];
  return Array.isArray(value)
    ? value.filter((v) => typeof v === 'string' && v.trim() !== '').map((v) => v.trim())
    : [];
}

function text(meta: Record<string, unknown>, key: string, origin: string): string {
  const value = meta[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ArgumentError(`${origin}: ${key}`, 'expected a non-empty string');
  }
  return value.trim();
}

function list(meta: Record<string, unknown>, key: string, origin: string): string[] {
  const value = meta[key];
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((v) => typeof v === 'string' && v.trim() !== '')
  ) {
    throw new ArgumentError(`${origin}: ${key}`, 'expected a non-empty list of strings');
  }
  return value.map((v: string) => v.trim());
}

function known(values: string[], vocabulary: readonly string[], argument: string, what: string): string[] {
  const unknown = values.filter((v) => !vocabulary.includes(v));
  if (unknown.length > 0)
    throw new ArgumentError(
      argument,
      `unknown ${what} ${unknown.map((v) => JSON.stringify(v)).join(', ')}; expected one of ${vocabulary.join(', ')}`,
    );
  return values;
}
