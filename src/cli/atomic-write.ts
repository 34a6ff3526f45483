/**
 * Writing a file so that a reader (or a process killed mid-write) sees either the old content
 * or the new, never half of it: write a temporary file beside it, then rename it over.
 */
import { rename, writeFile } from 'node:fs/promises';
import process from 'node:process';

let writes = 0;

/** Replaces `path` with `text` atomically (same folder, so the rename never crosses devices). */
export async function writeFileAtomic(path: string, text: string, mode?: number): Promise<void> {
  const temporary = `${path}.${process.pid}.${++writes}.tmp`;
  await writeFile(temporary, text, mode === undefined ? {} : { mode });
  await rename(temporary, path);
}

/** {@link writeFileAtomic} of `value` as indented JSON with a final newline. */
export function writeJsonAtomic(path: string, value: unknown, mode?: number): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, mode);
}
