import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../src/rag/runbook.ts';
import { RUNBOOKS } from '../src/rag/runbooks.generated.ts';

const dir = new URL('../knowledge/runbooks/', import.meta.url).pathname;

describe('knowledge/runbooks', () => {
  it('every Markdown file parses, and the generated module matches them (run scripts/build-runbooks.ts if not)', () => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.md'))
      .sort();
    const parsed = files.map((f) => parseRunbook(readFileSync(join(dir, f), 'utf8'), f));
    expect(RUNBOOKS).toEqual(parsed);
  });

  it('file names are the runbook ids', () => {
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.md'))) {
      expect(parseRunbook(readFileSync(join(dir, f), 'utf8'), f).id).toBe(f.slice(0, -3));
    }
  });
});
