// The loop's documented defaults are the ones it uses: every "(default N)" in the doc comments of
// LoopOptions (src/loop/options.ts) matches LOOP_DEFAULTS, which the loop reads. `evidenceTicks`
// was documented as 6 while the loop waited 12 ticks.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LOOP_DEFAULTS } from '../src/loop/options.ts';

const source = readFileSync(new URL('../src/loop/options.ts', import.meta.url), 'utf8');
const body = source.slice(source.indexOf('export interface LoopOptions'));
const options = body.slice(0, body.indexOf('\n}\n'));

/** Each option's documented default: the "(default N)" of the doc comment right above it. */
function documentedDefaults(): Record<string, number> {
  const found: Record<string, number> = {};
  for (const [, doc, name] of options.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*(\w+)\??:/g)) {
    const value = /\(default ([\d.,]+)\)/.exec(doc)?.[1];
    if (value !== undefined) found[name] = Number(value.replaceAll(',', ''));
  }
  return found;
}

describe('LoopOptions defaults', () => {
  it('documents each default as the value the loop uses', () => {
    const documented = documentedDefaults();
    expect(Object.keys(documented).length).toBeGreaterThanOrEqual(10);
    expect(documented).toEqual(
      Object.fromEntries(
        Object.keys(documented).map((name) => [name, LOOP_DEFAULTS[name as keyof typeof LOOP_DEFAULTS]]),
      ),
    );
  });

  it('documents a default for every entry of LOOP_DEFAULTS', () => {
    expect(Object.keys(documentedDefaults()).sort()).toEqual(Object.keys(LOOP_DEFAULTS).sort());
  });
});
