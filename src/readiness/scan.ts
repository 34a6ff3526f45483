/** Line-level searches over source files, for the repository checks. */
import type { SourceFile } from './source-files.ts';

/** A matching line: "path:line: text". */
export type Finding = string;

/** Lines of `files` that match `pattern`; with `codeOnly`, comments are ignored. */
export function findLines(
  files: readonly SourceFile[],
  pattern: RegExp,
  options: { codeOnly?: boolean } = {},
): Finding[] {
  const found: Finding[] = [];
  for (const file of files) {
    const text = options.codeOnly ? stripComments(file.text) : file.text;
    text.split('\n').forEach((line, i) => {
      if (pattern.test(line)) found.push(`${file.path}:${i + 1}: ${line.trim().slice(0, 120)}`);
    });
  }
  return found;
}

/**
 * Blanks out block and line comments, keeping line breaks so line numbers hold. Strings are
 * not parsed, so "//" inside a string also ends the line's code: fine for finding calls.
 */
export function stripComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, ' '))
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Generated files are not held to the hand-written conventions. */
export function isGenerated(path: string): boolean {
  return /^src\/kernels\/[^/]+\/embedded\.ts$/.test(path) || path.endsWith('.generated.ts');
}

/** The first `limit` findings plus a count of the rest, for evidence. */
export function sample(findings: readonly Finding[], limit = 10): string[] {
  return findings.length <= limit
    ? [...findings]
    : [...findings.slice(0, limit), `... and ${findings.length - limit} more`];
}
