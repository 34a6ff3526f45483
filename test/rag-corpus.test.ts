import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ACTION_NAMES } from '../src/domain/actions.ts';
import { FAULT_KINDS } from '../src/domain/faults.ts';
import { SEVERITIES } from '../src/rag/document.ts';
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

describe('knowledge/runbook.schema.json', () => {
  const schema = JSON.parse(
    readFileSync(new URL('../knowledge/runbook.schema.json', import.meta.url), 'utf8'),
  ) as Schema;
  const frontMatter = (file: string) =>
    parse(/^---\n([\s\S]*?)\n---/.exec(readFileSync(join(dir, file), 'utf8'))![1]) as unknown;

  it('lists the domain vocabulary and the severities', () => {
    expect(schema.properties!.faults.items!.enum).toEqual([...FAULT_KINDS]);
    expect(schema.properties!.actions.items!.enum).toEqual([...ACTION_NAMES]);
    expect(schema.properties!.severity.enum).toEqual([...SEVERITIES]);
  });

  it('accepts every shipped runbook, and rejects what parseRunbook rejects', () => {
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.md'))) {
      expect(violations(schema, frontMatter(f)), f).toEqual([]);
    }
    const good = frontMatter('disk-full-logs.md') as Record<string, unknown>;
    const bad: Record<string, unknown>[] = [
      { ...good, severity: 'urgent' },
      { ...good, faults: ['disk-ful'] },
      { ...good, actions: [] },
      { ...good, id: 'Disk Full' },
      { ...good, alerts: [] },
      Object.fromEntries(Object.entries(good).filter(([k]) => k !== 'symptoms')),
    ];
    for (const meta of bad) {
      expect(violations(schema, meta)).not.toEqual([]);
      const yaml = `---\n${stringify(meta)}---\nbody\n`;
      expect(() => parseRunbook(yaml, 'x.md')).toThrow();
    }
  });
});

/** The subset of JSON Schema the runbook schema uses. */
interface Schema {
  type?: 'object' | 'array' | 'string';
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  pattern?: string;
  minItems?: number;
  minLength?: number;
}

/** Where `value` breaks `schema` (that subset of JSON Schema), as JSON pointers; none when it holds. */
function violations(schema: Schema, value: unknown, at = ''): string[] {
  const found: string[] = [];
  if (schema.enum && !schema.enum.includes(value)) found.push(`${at}: not in enum`);
  if (schema.type === 'object') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at}: not an object`];
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in object)) found.push(`${at}/${key}: missing`);
    for (const [key, sub] of Object.entries(schema.properties ?? {}))
      if (key in object) found.push(...violations(sub, object[key], `${at}/${key}`));
  }
  if (schema.type === 'array') {
    if (!Array.isArray(value)) return [`${at}: not an array`];
    if (value.length < (schema.minItems ?? 0)) found.push(`${at}: too few items`);
    if (schema.items) value.forEach((v, i) => found.push(...violations(schema.items!, v, `${at}/${i}`)));
  }
  if (schema.type === 'string') {
    if (typeof value !== 'string') return [`${at}: not a string`];
    if (value.length < (schema.minLength ?? 0)) found.push(`${at}: too short`);
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) found.push(`${at}: pattern`);
  }
  return found;
}
