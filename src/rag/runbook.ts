/**
 * Parses a Markdown runbook with YAML front matter into a {@link RagDocument}. Runs on every
 * runtime (no fs): the CLI and the corpus generator read the files, this turns text into data.
 */
import { parse } from 'yaml';
import { ArgumentError } from '../errors.ts';
import { SEVERITIES, type RagDocument, type Severity } from './document.ts';

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/;
const ID = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * Parses one runbook. `origin` (a file name) prefixes error messages so a user can find the
 * bad file. Required front matter: id, title, faults, symptoms, metrics, actions, severity.
 */
export function parseRunbook(markdown: string, origin = 'runbook'): RagDocument {
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
    faults: list(m, 'faults', origin),
    severity: severity as Severity,
    symptoms: list(m, 'symptoms', origin),
    metrics: list(m, 'metrics', origin),
    actions: list(m, 'actions', origin),
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
