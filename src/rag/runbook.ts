/**
 * Parses a Markdown runbook with YAML front matter into a {@link RagDocument}, checking its fault
 * kinds and actions against the domain vocabulary (src/domain). Runs on every runtime (no fs):
 * the CLI and the corpus generator read the files, this turns text into data.
 */
import { parse } from 'yaml';
import { ACTION_NAMES } from '../domain/actions.ts';
import { FAULT_KINDS } from '../domain/faults.ts';
import { ArgumentError } from '../errors.ts';
import { SEVERITIES, type RagDocument, type Severity } from './document.ts';

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/;
const ID = /^[a-z0-9][a-z0-9._-]*$/;

/** The fault kinds and action names a runbook may use. */
export interface RunbookVocabulary {
  readonly faults: readonly string[];
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
  };
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
