/**
 * Reads a runbook file as people write them: optional front matter (YAML between `---` lines, as
 * Hugo, Jekyll, Docusaurus and MkDocs write it, or TOML between `+++` lines, Hugo's other form),
 * then Markdown (or plain text) cut into sections at its headings, with fenced code kept apart
 * from prose. Pure text to data, for every runtime.
 */
import { parse } from 'yaml';
import { ArgumentError } from '../errors.ts';

/** One part of a runbook under one heading. */
export interface MarkdownSection {
  /** The heading text without its `#`s; '' for text before the first heading. */
  readonly heading: string;
  /** Heading level 1-6; 0 for text before the first heading. */
  readonly level: number;
  /** Prose of the section (fenced code removed, inline code kept as words). */
  readonly text: string;
  /** Contents of the section's fenced code blocks (commands, queries, log excerpts). */
  readonly code: string;
}

/** A runbook file split into its parts. */
export interface MarkdownFile {
  /** The front matter as a mapping; `undefined` when the file has none. */
  readonly meta: Readonly<Record<string, unknown>> | undefined;
  /** The text after the front matter (the whole file when there is none). */
  readonly body: string;
  /** The first heading's text, if any. */
  readonly firstHeading: string | undefined;
  readonly sections: readonly MarkdownSection[];
}

const YAML_FENCE = '---';
const TOML_FENCE = '+++';
const HEADING = /^(#{1,6})[ \t]+(.*?)[ \t#]*$/;
const SETEXT = /^(=+|-+)[ \t]*$/;
const CODE_FENCE = /^[ \t]*(```|~~~)/;

/**
 * Splits a file into front matter and sections. The front matter must open the file, or follow
 * only blank lines and headings (some files carry a note above it); YAML that is not a mapping
 * there is an error naming `origin`, as is TOML that this reader cannot read. Fenced code that
 * never closes runs to the end of the file, as Markdown renders it.
 */
export function readMarkdown(text: string, origin = 'runbook'): MarkdownFile {
  if (typeof text !== 'string') throw new ArgumentError(origin, 'expected the text of a file');
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const front = findFrontMatter(lines);
  let meta: Record<string, unknown> | undefined;
  let bodyLines = lines;
  if (front) {
    const block = lines.slice(front.start + 1, front.end).join('\n');
    meta = front.fence === YAML_FENCE ? parseYaml(block, origin) : parseToml(block, origin);
    bodyLines = [...lines.slice(0, front.start), ...lines.slice(front.end + 1)];
  }
  const sections = readSections(bodyLines.join('\n'));
  const firstHeading = sections.find((s) => s.level > 0)?.heading;
  return { meta, body: bodyLines.join('\n').trim(), firstHeading, sections };
}

interface Fenced {
  fence: string;
  start: number;
  end: number;
}

function findFrontMatter(lines: readonly string[]): Fenced | undefined {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === YAML_FENCE || line === TOML_FENCE) {
      const end = lines.findIndex((l, j) => j > i && l.trim() === line);
      return end > i ? { fence: line, start: i, end } : undefined;
    }
    if (line !== '' && !HEADING.test(line)) return undefined;
  }
  return undefined;
}

function parseYaml(block: string, origin: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parse(block);
  } catch (cause) {
    throw new ArgumentError(`${origin}: front matter`, `invalid YAML: ${(cause as Error).message}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ArgumentError(`${origin}: front matter`, 'expected a YAML mapping');
  return value as Record<string, unknown>;
}

const TOML_KEY = /^([A-Za-z0-9_-]+)[ \t]*=[ \t]*(.*)$/;
const TOML_STRING = /^"((?:[^"\\]|\\.)*)"|^'([^']*)'/;

/**
 * The top-level keys of TOML front matter whose values are strings, numbers, booleans or
 * one-line arrays of strings: what runbook headers hold (title, weight, aliases). Tables (`[x]`)
 * end the top level; any other value is reported with its line rather than guessed at.
 */
function parseToml(block: string, origin: string): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  for (const [n, raw] of block.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) break;
    const match = TOML_KEY.exec(line);
    const value = match && tomlValue(match[2].replace(/[ \t]+#.*$/, '').trim());
    if (!match || value === undefined)
      throw new ArgumentError(`${origin}: front matter line ${n + 2}`, `cannot read TOML "${line}"`);
    meta[match[1]] = value;
  }
  return meta;
}

function tomlValue(text: string): unknown {
  const string = TOML_STRING.exec(text);
  if (string && string[0].length === text.length)
    return string[1] !== undefined ? unescapeToml(string[1]) : string[2];
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text.startsWith('[') && text.endsWith(']')) {
    const items: string[] = [];
    let rest = text.slice(1, -1).trim();
    while (rest !== '') {
      const item = TOML_STRING.exec(rest);
      if (!item) return undefined;
      items.push(item[1] !== undefined ? unescapeToml(item[1]) : item[2]);
      rest = rest.slice(item[0].length).trim().replace(/^,/, '').trim();
    }
    return items;
  }
  return undefined;
}

function unescapeToml(text: string): string {
  return text.replace(/\\(["\\nt])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

/**
 * Cuts Markdown without front matter into sections at ATX (`## x`) and setext (underlined)
 * headings outside code fences.
 */
export function readSections(markdown: string): MarkdownSection[] {
  const lines = markdown.split(/\r?\n/);
  const sections: MarkdownSection[] = [];
  let heading = '';
  let level = 0;
  let prose: string[] = [];
  let code: string[] = [];
  let fence: string | undefined;
  const close = () => {
    const text = prose.join('\n').trim();
    const codeText = code.join('\n').trim();
    if (level > 0 || text !== '' || codeText !== '') sections.push({ heading, level, text, code: codeText });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fenceMatch = CODE_FENCE.exec(line);
    if (fence !== undefined) {
      if (fenceMatch && fenceMatch[1] === fence) fence = undefined;
      else code.push(line);
      continue;
    }
    if (fenceMatch) {
      fence = fenceMatch[1];
      continue;
    }
    const atx = HEADING.exec(line.trim());
    // A one-line paragraph underlined with = or - is a heading too.
    const startsParagraph = line.trim() !== '' && (prose.length === 0 || prose.at(-1)!.trim() === '');
    const underline = startsParagraph && i + 1 < lines.length ? SETEXT.exec(lines[i + 1]) : null;
    if (atx || underline) {
      close();
      heading = stripInline(atx ? atx[2] : line.trim());
      level = atx ? atx[1].length : underline![1][0] === '=' ? 1 : 2;
      prose = [];
      code = [];
      if (!atx) i++;
      continue;
    }
    prose.push(line);
  }
  close();
  return sections.map((s) => ({ ...s, text: stripInline(s.text) }));
}

/**
 * Markdown markup to words: links keep their text, HTML tags and the marks of emphasis and inline
 * code go. Underscores stay: they join metric names, and the tokenizer splits on them anyway.
 */
function stripInline(text: string): string {
  return text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>\n]+>/g, ' ')
    .replace(/[`*]+/g, '');
}
