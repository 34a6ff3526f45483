// The pieces of the command-line layer: option parsing and checking (src/cli/args.ts), colour and
// progress (src/cli/terminal.ts) and tables (src/cli/table.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError, defineCommand, helpText, parseCommand } from '../src/cli/args.ts';
import { formatTable } from '../src/cli/table.ts';
import { Progress, formatDuration, progressLine, useColour } from '../src/cli/terminal.ts';

const dir = mkdtempSync(join(tmpdir(), 'x0-cli-layer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'present.json');
writeFileSync(file, '{}');

const SPEC = defineCommand({
  name: 'demo',
  summary: 'a command to parse with',
  usage: ['[options] [<item>...]'],
  options: {
    nodes: { type: 'integer', min: 5, max: 10_000, default: 50, help: 'mesh size' },
    hours: { type: 'number', min: 0, aboveMin: true, max: 8760, help: 'hours' },
    ratio: { type: 'number', min: 0, max: 1, help: 'a share' },
    mode: { type: 'string', choices: ['fast', 'slow'], help: 'how' },
    tag: { type: 'string', multiple: true, help: 'tags' },
    keys: { type: 'input', help: 'a file' },
    local: { type: 'input', standardInput: false, help: 'a file, never stdin' },
    out: { type: 'output', help: 'where to write' },
    json: { type: 'boolean', help: 'JSON' },
    verbose: { type: 'boolean', short: 'v', help: 'more' },
  },
  positionals: { name: '<item>', min: 0, max: 2 },
  exitCodes: '0 done, 2 usage error',
});

const parse = (...argv: string[]) => parseCommand(SPEC, argv);
const refused = (...argv: string[]) => {
  try {
    parse(...argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
};

describe('parseCommand', () => {
  it('types the values, applies defaults, collects repeatable options and positionals', () => {
    const parsed = parse(
      'a',
      '--hours',
      '.5',
      '--tag',
      'x',
      '--tag=y',
      '-v',
      'b',
      '--out',
      join(dir, 'new.json'),
    );
    expect(parsed?.values).toEqual({
      nodes: 50,
      hours: 0.5,
      tag: ['x', 'y'],
      verbose: true,
      json: false,
      out: join(dir, 'new.json'),
    });
    expect(parsed?.positionals).toEqual(['a', 'b']);
    expect(parse('--nodes', '007', '--ratio', '1e-3', '--', '--json')?.values).toMatchObject({
      nodes: 7,
      ratio: 0.001,
      json: false,
    });
    expect(parse('--', '--json')?.positionals).toEqual(['--json']);
  });

  it('accepts only decimal integers within bounds, and names the bounds', () => {
    for (const bad of ['0x10', '1e3', '2.0', '', ' 7', '9007199254740993', '4', '10001', 'ten'])
      expect(refused('--nodes', bad)).toBe(`--nodes: expected an integer from 5 to 10000, got "${bad}"`);
  });

  it('accepts only finite decimal numbers within bounds, an excluded minimum said as such', () => {
    for (const bad of ['0', '-1', '1e20', 'Infinity', 'NaN', '0x10', '8760.5', ''])
      expect(refused('--hours', bad)).toBe(`--hours: expected a number > 0 and <= 8760, got "${bad}"`);
    expect(refused('--ratio', '1.01')).toBe('--ratio: expected a number from 0 to 1, got "1.01"');
    expect(parse('--hours', '8760', '--ratio', '0')?.values).toMatchObject({ hours: 8760, ratio: 0 });
  });

  it('names an unknown option (with a near one), a missing value, a value given to a switch', () => {
    expect(refused('--node', '5')).toBe('--node: unknown option (did you mean --nodes?)');
    expect(refused('--frobnicate')).toBe('--frobnicate: unknown option');
    expect(refused('-x')).toBe('-x: unknown option');
    expect(refused('--nodes')).toBe('--nodes: needs a value');
    expect(refused('--nodes', '--json')).toBe('--nodes: needs a value');
    expect(refused('--json=yes')).toBe('--json: takes no value');
    expect(refused('--nodes', '6', '--nodes', '7')).toBe('--nodes: given more than once');
    expect(refused('--mode', 'medium')).toBe('--mode: expected one of fast, slow, got "medium"');
    expect(refused('a', 'b', 'c')).toBe('"c": unexpected argument (demo takes at most 2: <item>)');
  });

  it('checks files: an input exists and is a file (or - for stdin), an output can be written', () => {
    expect(parse('--keys', file)?.values.keys).toBe(file);
    expect(parse('--keys', '-')?.values.keys).toBe('-');
    expect(refused('--keys', join(dir, 'absent.json'))).toMatch(/^--keys: .*absent\.json does not exist$/);
    expect(refused('--keys', dir)).toMatch(/^--keys: .* is a folder, not a file$/);
    expect(refused('--local', '-')).toBe('--local: expected a file (standard input cannot be read here)');
    expect(refused('--out', join(dir, 'no', 'such', 'r.json'))).toMatch(
      /^--out: cannot write .*does not exist$/,
    );
    expect(refused('--out', dir)).toMatch(/^--out: .* is a folder, not a file$/);
  });

  it('returns undefined for --help or -h, whatever else is on the line', () => {
    expect(parse('--help')).toBeUndefined();
    expect(parse('--nodes', '0x10', '-h')).toBeUndefined();
  });

  it('builds the help from the declarations: bounds, defaults, stdin, repeatable', () => {
    const help = helpText(SPEC);
    expect(help).toMatch(/^usage: x0tta6bl4 demo \[options\] \[<item>\.\.\.\]\n/);
    expect(help).toMatch(/^ {2}--nodes N +mesh size \(from 5 to 10000; default 50\)$/m);
    expect(help).toMatch(/^ {2}--hours X +hours \(> 0 and <= 8760\)$/m);
    expect(help).toMatch(/^ {2}--keys FILE +a file \(- reads standard input\)$/m);
    expect(help).toMatch(/^ {2}--local FILE +a file, never stdin$/m);
    expect(help).toMatch(/^ {2}--tag TEXT +tags \(repeatable\)$/m);
    expect(help).toMatch(/^ {2}-v, --verbose +more$/m);
    expect(help).toMatch(/\nexit codes: 0 done, 2 usage error$/);
  });
});

describe('terminal', () => {
  it('colours by FORCE_COLOR, then NO_COLOR, then TERM=dumb, then whether it is a terminal', () => {
    const tty = { isTTY: true };
    const pipe = { isTTY: false };
    expect(useColour(tty, {})).toBe(true);
    expect(useColour(pipe, {})).toBe(false);
    expect(useColour(tty, { NO_COLOR: '1' })).toBe(false);
    expect(useColour(tty, { NO_COLOR: '' })).toBe(true);
    expect(useColour(tty, { TERM: 'dumb' })).toBe(false);
    expect(useColour(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColour(pipe, { FORCE_COLOR: '' })).toBe(true);
    expect(useColour(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(useColour(tty, { FORCE_COLOR: 'false' })).toBe(false);
    expect(useColour(pipe, { FORCE_COLOR: '1', NO_COLOR: '1', TERM: 'dumb' })).toBe(true);
  });

  it('says the share done and, once there is a rate, the time left', () => {
    expect(progressLine(0, 200, 0, 'tick 0/200')).toBe('  0% tick 0/200');
    expect(progressLine(50, 200, 30_000, 'tick 50/200')).toBe(' 25% tick 50/200, about 1 min 30 s left');
    expect(progressLine(200, 200, 120_000, 'done')).toBe('100% done');
    expect(formatDuration(4_400)).toBe('4 s');
    expect(formatDuration(3_725_000)).toBe('1 h 02 min');
  });

  it('draws in place only on a terminal, at most every 100 ms, and clears its line', () => {
    const written: string[] = [];
    let now = 0;
    const stream = { isTTY: true, columns: 30, write: (text: string) => written.push(text) };
    const progress = new Progress({ stream, now: () => now });
    progress.update(1, 10, 'first');
    now = 50;
    progress.update(2, 10, 'skipped: too soon');
    now = 200;
    progress.update(4, 10, 'a detail far too long for thirty columns');
    progress.clear();
    expect(written).toEqual(['\r 10% first', `\r 40% a detail far too long fo`, `\r${' '.repeat(29)}\r`]);

    const piped: string[] = [];
    const silent = new Progress({ stream: { isTTY: false, write: (t: string) => piped.push(t) } });
    silent.update(1, 2, 'x');
    silent.clear();
    const quiet = new Progress({ shown: false, stream });
    quiet.update(1, 2, 'x');
    expect(piped).toEqual([]);
    expect(written).toHaveLength(3);
  });
});

describe('formatTable', () => {
  it('aligns text left and figures right under a rule, two spaces apart, no trailing spaces', () => {
    const table = formatTable(
      [
        { title: 'kind', align: 'left' },
        { title: 'n', align: 'right' },
        { title: 'note', align: 'left' },
      ],
      [
        ['partition', '12', 'ok'],
        ['crash', '7', ''],
      ],
    );
    expect(table.split('\n')).toEqual([
      'kind        n  note',
      '---------  --  ----',
      'partition  12  ok',
      'crash       7',
    ]);
  });
});
