/**
 * An operator's folder of runbooks, read from disk (node:fs, so not exported from the browser
 * entry point): every Markdown (`.md`, `.markdown`, `.mdx`) and plain-text (`.txt`) file in it
 * and its sub-folders, hidden ones left out, each with the SHA-256 of its bytes so that indexing
 * the folder again touches only what changed.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ArgumentError } from '../errors.ts';
import type { RagDocument } from './document.ts';
import { LabelInference } from './infer.ts';
import { readRunbook, type ReadRunbookOptions } from './runbook.ts';

const RUNBOOK_FILE = /\.(md|markdown|mdx|txt)$/i;

/** One runbook file of a folder. */
export interface RunbookFile {
  /** Path relative to the folder, '/' separators. */
  readonly path: string;
  readonly text: string;
  /** SHA-256 of the file's bytes, hex. */
  readonly hash: string;
}

/** The runbook files under `folder` (recursively), sorted by path. */
export async function readRunbookFiles(folder: string): Promise<RunbookFile[]> {
  if (typeof folder !== 'string' || folder === '')
    throw new ArgumentError('folder', 'expected a folder path');
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) throw new ArgumentError('folder', `${folder} is not a folder`);
  const files: RunbookFile[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = `${prefix}${entry.name}`;
      if (entry.isDirectory()) await walk(join(dir, entry.name), `${path}/`);
      else if (entry.isFile() && RUNBOOK_FILE.test(entry.name)) {
        const bytes = await readFile(join(dir, entry.name));
        files.push({
          path,
          text: bytes.toString('utf8'),
          hash: createHash('sha256').update(bytes).digest('hex'),
        });
      }
    }
  };
  await walk(folder, '');
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * A runbook file as a document, with its origin; `undefined` for a file with nothing to search
 * (only front matter, as a Hugo section's `_index.md`).
 */
export function runbookDocument(
  file: RunbookFile,
  folder: string,
  options: ReadRunbookOptions = {},
): RagDocument | undefined {
  const doc = readRunbook(file.text, file.path, options);
  if (doc.body === '' && doc.symptoms.length === 0) return undefined;
  return { ...doc, origin: { folder: resolve(folder), path: file.path, hash: file.hash } };
}

/**
 * Every runbook of `folder` as documents, labels inferred where undeclared (with `options.inference`,
 * else a {@link LabelInference} fitted on the shipped runbooks): what `run --runbooks` indexes
 * beside the shipped runbooks. Two files with one id are an error naming both.
 */
export async function loadRunbookFolder(
  folder: string,
  options: ReadRunbookOptions = {},
): Promise<RagDocument[]> {
  const inference = options.inference ?? (await LabelInference.create());
  const docs: RagDocument[] = [];
  const pathOf = new Map<string, string>();
  for (const file of await readRunbookFiles(folder)) {
    const doc = runbookDocument(file, folder, { ...options, inference });
    if (!doc) continue;
    const first = pathOf.get(doc.id);
    if (first !== undefined)
      throw new ArgumentError(folder, `${file.path} and ${first} both have the id ${doc.id}`);
    pathOf.set(doc.id, file.path);
    docs.push(doc);
  }
  return docs;
}
