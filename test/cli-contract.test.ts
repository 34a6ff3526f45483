// The command-line contract (issue 15, section 1), checked on the `x0tta6bl4` entry point as a
// user runs it, on Node (through tsx), Deno and Bun: every command and subcommand answers
// --help and -h; a bad option or a bad value is one line naming it, then the usage, exit 2;
// nothing ever prints a stack trace, unless --debug asks for it; `-` reads standard input.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveAuditFile } from '../src/cli/audit.ts';
import { AuditLog } from '../src/security/audit-log.ts';
import { MemoryAuditStore } from '../src/security/audit-store.ts';
import { exportPlainKeys } from '../src/security/keyfile.ts';
import { NodeKeys } from '../src/security/keys.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

/** How each runtime starts the CLI from its sources. Deno needs no more than these permissions. */
const RUNTIMES: Record<string, string[]> = {
  node: [process.execPath, '--import', 'tsx', 'src/cli/main.ts'],
  deno: [
    bin('deno'),
    'run',
    '--allow-read',
    '--allow-write',
    '--allow-env',
    '--allow-sys',
    'src/cli/main.ts',
  ],
  bun: [bin('bun'), 'src/cli/main.ts'],
};

/** A frame of a JavaScript stack trace (V8, JavaScriptCore), or Deno's uncaught-error banner. */
const STACK = /^\s+at\s|Uncaught/m;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dir: string;

/** Runs `x0tta6bl4 ...args` on `runtime`, with `input` on its standard input. */
function cli(
  runtime: string,
  args: readonly string[],
  input = '',
  env: NodeJS.ProcessEnv = {},
): Promise<Outcome> {
  const [command, ...prefix] = RUNTIMES[runtime];
  const { DEBUG: _debug, FORCE_COLOR: _force, NO_COLOR: _no, ...inherited } = process.env;
  return new Promise((done, fail) => {
    const child = spawn(command, [...prefix, ...args], {
      cwd: ROOT,
      env: { ...inherited, XDG_DATA_HOME: join(dir, 'data-home'), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    // A command that refuses its arguments may exit before reading its input: that is no failure.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') fail(error);
    });
    child.stdin.end(input);
  });
}

/** Runs `jobs` at most four at a time (two cores: enough to overlap the start-up waits). */
async function pooled<T>(jobs: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return results;
}

/** Each command and subcommand, an option it does not have, and a value it refuses. */
const COMMANDS: ReadonlyArray<{ name: string; badFlag: string[]; badValue: string[]; refused: RegExp }> = [
  {
    name: 'run',
    badFlag: ['--node', '5'],
    badValue: ['--nodes', '0x10'],
    refused: /^run: --nodes: expected an integer from 5 to 10000, got "0x10"$/,
  },
  {
    name: 'replay',
    badFlag: ['--telemtry', 't.ndjson'],
    badValue: ['--tick', '0'],
    refused: /^replay: --tick: expected a number > 0 and <= 86400, got "0"$/,
  },
  {
    name: 'rca',
    badFlag: ['--trget', 'n1:cpu'],
    badValue: ['--telemetry', '/nonexistent/t.ndjson'],
    refused: /^rca: --telemetry: \/nonexistent\/t\.ndjson does not exist$/,
  },
  {
    name: 'serve',
    badFlag: ['--prot', '9470'],
    badValue: ['--port', '65536'],
    refused: /^serve: --port: expected an integer from 0 to 65535, got "65536"$/,
  },
  {
    name: 'sim',
    badFlag: ['--pubish', 'nats://127.0.0.1:4222'],
    badValue: ['--publish', 'nats://127.0.0.1:4222', '--regions', '0'],
    refused: /^sim: --regions: expected an integer from 1 to 1000, got "0"$/,
  },
  {
    name: 'nab',
    badFlag: ['--fast'],
    badValue: ['--data', '.', '--out', '.', '--threshold', '1e20'],
    refused: /^nab: --threshold: expected a number from 0 to 1, got "1e20"$/,
  },
  {
    name: 'rag query',
    badFlag: ['disk full', '--kk', '3'],
    badValue: ['disk full', '--k', '0'],
    refused: /^rag query: --k: expected an integer from 1 to 1000, got "0"$/,
  },
  { name: 'rag index', badFlag: ['.', '--replce'], badValue: [], refused: /^rag index: <dir>: missing$/ },
  {
    name: 'keys generate',
    badFlag: ['--outt', 'k.json'],
    badValue: ['--out', 'k.json', '--valid-days', '1e3'],
    refused: /^keys generate: --valid-days: expected an integer from 1 to 3650, got "1e3"$/,
  },
  {
    name: 'keys export-public',
    badFlag: ['k.json', '--bogus'],
    badValue: ['/nonexistent/k.json'],
    refused: /^keys export-public: <keyfile>: cannot read \/nonexistent\/k\.json/,
  },
  {
    name: 'keys rotate',
    badFlag: ['k.json', '--bogus'],
    badValue: ['-'],
    refused: /^keys rotate: <keyfile>: rotate rewrites the key file in place/,
  },
  {
    name: 'audit verify',
    badFlag: ['log.json', '--bogus'],
    badValue: ['log.json', '--trust-embedded', '--expect-entries', '-1'],
    refused: /^audit verify: --expect-entries: expected an integer >= 0, got "-1"$/,
  },
  {
    name: 'audit show',
    badFlag: ['log.json', '--bogus'],
    badValue: ['log.json', '--limit', '0x10'],
    refused: /^audit show: --limit: expected an integer >= 0, got "0x10"$/,
  },
  {
    name: 'load',
    badFlag: ['--bogus'],
    badValue: ['--rate', '1e20', '--duration', '1'],
    refused: /^load: --rate: expected a number > 0 and <= 1000000, got "1e20"$/,
  },
  {
    name: 'readiness',
    badFlag: ['--bogus'],
    badValue: ['--keys', '/nonexistent/keys.json'],
    refused: /^readiness: --keys: \/nonexistent\/keys\.json does not exist$/,
  },
  {
    name: 'models list',
    badFlag: ['--bogus'],
    badValue: ['--store'],
    refused: /^models list: --store: needs a value/,
  },
  { name: 'models show', badFlag: ['m', '--bogus'], badValue: [], refused: /^models show: <model>: missing/ },
  {
    name: 'models promote',
    badFlag: ['m@1', '--bogus'],
    badValue: [],
    refused: /^models promote: <name>@<version>: missing/,
  },
  {
    name: 'models rollback',
    badFlag: ['m', '--bogus'],
    badValue: [],
    refused: /^models rollback: <name>: missing/,
  },
  {
    name: 'models register',
    badFlag: ['--onx', 'm.onnx'],
    badValue: ['--onnx', '/nonexistent/m.onnx', '--name', 'm', '--store', '.'],
    refused: /^models register: --onnx: \/nonexistent\/m\.onnx does not exist$/,
  },
  {
    name: 'models diff',
    badFlag: ['a', 'b', '--bogus'],
    badValue: ['a'],
    refused: /^models diff: <a> <b>: missing/,
  },
];

const GROUPS = [...new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]))];

function expectNoStack(outcome: Outcome): void {
  expect(outcome.stderr).not.toMatch(STACK);
  expect(outcome.stdout).not.toMatch(STACK);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'x0-cli-contract-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.each(Object.keys(RUNTIMES))('x0tta6bl4 on %s', (runtime) => {
  it('every command answers --help and -h on stdout with its usage and options (exit 0)', async () => {
    // A command's help ends with its options; a group's lists its subcommands.
    const asks = [
      ...COMMANDS.flatMap(({ name }) => [
        { args: [...name.split(' '), '--help'], usage: name, lists: 'options:' },
        { args: [...name.split(' '), '-h'], usage: name, lists: 'options:' },
      ]),
      ...GROUPS.flatMap((group) => [
        { args: [group, '-h'], usage: group, lists: 'commands:' },
        { args: ['help', group], usage: group, lists: 'commands:' },
      ]),
      { args: ['help', 'audit', 'verify'], usage: 'audit verify', lists: 'options:' },
    ];
    const outcomes = await pooled(
      asks.map(
        ({ args }) =>
          () =>
            cli(runtime, args),
      ),
    );
    outcomes.forEach((outcome, i) => {
      const { args, usage, lists } = asks[i];
      expect(outcome, args.join(' ')).toMatchObject({ code: 0, stderr: '' });
      expect(outcome.stdout).toContain(`usage: x0tta6bl4 ${usage}`);
      expect(outcome.stdout).toContain(`\n${lists}\n`);
      expectNoStack(outcome);
    });
  });

  it('a bad option or a bad value is one line naming it, then the usage, on stderr (exit 2)', async () => {
    const cases = COMMANDS.flatMap(({ name, badFlag, badValue, refused }) => [
      { args: [...name.split(' '), ...badFlag], line: new RegExp(`^${name}: --?\\w+: unknown option`) },
      { args: [...name.split(' '), ...badValue], line: refused },
    ]);
    const outcomes = await pooled(
      cases.map(
        ({ args }) =>
          () =>
            cli(runtime, args),
      ),
    );
    outcomes.forEach((outcome, i) => {
      const { args, line } = cases[i];
      const [first, second] = outcome.stderr.split('\n');
      expect(outcome.code, args.join(' ')).toBe(2);
      expect(first).toMatch(line);
      expect(second).toMatch(new RegExp(`^usage: x0tta6bl4 ${args[0]}`));
      expect(outcome.stdout).toBe('');
      expectNoStack(outcome);
    });
  });

  it('lists its commands, prints its version, and names an unknown command or option (exit 2)', async () => {
    const [help, version, unknown, option, missing, sub] = await pooled(
      [['help'], ['--version'], ['frobnicate'], ['--frobnicate'], [], ['audit', 'frobnicate']].map(
        (args) => () => cli(runtime, args),
      ),
    );
    expect(help.code).toBe(0);
    const listed = help.stdout.split('commands:\n')[1].split('\n\n')[0];
    const names = listed.split('\n').map((line) => line.trim().split(/\s+/)[0]);
    expect(names.sort()).toEqual([...new Set(COMMANDS.map((c) => c.name.split(' ')[0]))].sort());
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    expect(version).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^x0tta6bl4: unknown command "frobnicate"\n/);
    expect(unknown.stdout).toBe('');
    expect(option.stderr).toMatch(/^x0tta6bl4: unknown option --frobnicate\n/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^x0tta6bl4: missing command\n/);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(/^audit: unknown command "frobnicate" \(one of verify, show\)\n/);
    for (const outcome of [help, version, unknown, option, missing, sub]) expectNoStack(outcome);
  });

  it('reads standard input for -: rag query, audit verify, keys export-public', async () => {
    const keys = NodeKeys.generate({ owner: 'engine' });
    const store = new MemoryAuditStore();
    const log = await AuditLog.open(store, keys);
    await log.append({ kind: 'action', actor: 'engine', data: { target: { node: 'n1' } } });
    await log.flush();
    const auditFile = join(dir, `stdin-${runtime}.json`);
    await saveAuditFile(auditFile, store, keys.ring());
    const [query, verify, exported] = await Promise.all([
      cli(runtime, ['rag', 'query', '-', '--k', '1', '--json'], 'the disk is full on the edge node'),
      cli(runtime, ['audit', 'verify', '-', '--trust-embedded', '--json'], await readFile(auditFile, 'utf8')),
      cli(runtime, ['keys', 'export-public', '-'], JSON.stringify(exportPlainKeys(keys))),
    ]);
    expect(query.code, query.stderr).toBe(0);
    expect(JSON.parse(query.stdout).results[0].faults).toContain('disk-full');
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, entries: 1 });
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout)).toEqual(keys.ring().toJSON());
  });

  it('an unexpected error is one line and exit 1; --debug adds the stack', async () => {
    // /dev/full passes the path check and then fails the write (ENOSPC; on Deno, which guards
    // device files, NotCapable): no command expects that, so it reaches the top-level handler.
    const args = ['readiness', '--only', 'deploy.engines', '--out', '/dev/full', '--quiet'];
    const [plain, debug] = await Promise.all([cli(runtime, args), cli(runtime, [...args, '--debug'])]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(
      /^x0tta6bl4 readiness: .*(ENOSPC|NotCapable).* \(--debug shows the stack\)\n$/,
    );
    expectNoStack(plain);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/ENOSPC|NotCapable/);
    expect(debug.stderr).toMatch(/^\s+at\s/m);
  });
});

describe('x0tta6bl4 --json on Node: one JSON document on stdout, and no file unless asked', () => {
  it('nab, rag index, keys generate and readiness', async () => {
    const results = join(dir, 'nab-results');
    const keyFile = join(dir, 'json-keys.json');
    const store = join(dir, 'json-rag.json');
    const [nab, index, keys, readiness] = await Promise.all([
      cli('node', [
        ...['nab', '--data', 'test/fixtures/nab/data', '--out', results],
        ...['--windows', 'test/fixtures/nab/windows.json', '--json'],
      ]),
      cli('node', ['rag', 'index', 'test/fixtures/runbooks/schema', '--store', store, '--json']),
      cli('node', ['keys', 'generate', '--out', keyFile, '--json']),
      cli('node', ['readiness', '--only', 'deploy.engines', '--json']),
    ]);
    for (const outcome of [nab, index, keys, readiness]) expect(outcome.code, outcome.stderr).toBe(0);
    expect(JSON.parse(nab.stdout)).toMatchObject({
      files: 4,
      out: results,
      evaluation: { threshold: 0.747408688537634 },
    });
    const indexed = JSON.parse(index.stdout);
    expect(indexed).toMatchObject({ store, removed: [], unchanged: 0 });
    expect(indexed.added.length).toBeGreaterThan(0);
    expect(JSON.parse(keys.stdout)).toMatchObject({ file: keyFile, encrypted: false });
    expect(JSON.parse(keys.stdout).signingKey).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse(readiness.stdout)).toMatchObject({ ready: true, summary: { total: 1, passed: 1 } });
    // readiness writes its reports only when --out or --html name them.
    expect(await readdir(ROOT)).not.toContain('readiness.json');
  });
});

describe('x0tta6bl4 run on Node: the table and the gates', () => {
  it('prints an aligned table, and --min-healed fails the run naming the figure (exit 1)', async () => {
    const out = join(dir, 'gates.json');
    const args = ['run', '--nodes', '5', '--hours', '0.5', '--faults', '1', '--seed', '2'];
    const run = await cli('node', [
      ...args,
      ...[
        '--out',
        out,
        '--audit',
        join(dir, 'gates-audit.json'),
        '--min-detection',
        '0.5',
        '--min-healed',
        '0.9',
      ],
    ]);
    const { overall } = JSON.parse(await readFile(out, 'utf8'));
    // Seed 2 on five nodes detects 8 of 9 faults and heals 6: above the one gate, below the other.
    expect(overall.detectionRate).toBeGreaterThanOrEqual(0.5);
    expect(overall.healedRate).toBeLessThan(0.9);
    expect(run.code).toBe(1);
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    expect(run.stderr).toContain(`run: healed rate ${pct(overall.healedRate)} is below --min-healed 90.0%`);
    expect(run.stderr).not.toContain('detection rate');

    const lines = run.stdout.split('\n');
    const top = lines.findIndex((line) => line.startsWith('kind '));
    const table = lines.slice(top, top + 12);
    expect(table[0].split(/ {2,}/)).toEqual([
      'kind',
      'injected',
      'detected',
      'ttd p50',
      'cause top1',
      'cause top3',
      'kind right',
      'runbook right',
      'healed',
      'ttr p50',
      'false alarms',
      'on healthy',
    ]);
    expect(table[1]).toMatch(/^-+( {2}-+){11}$/);
    expect(table.at(-1)).toMatch(/^overall {2,}9 {2,}\d \(\d+%\)/);
    // Aligned: every row as wide as the rule, no quotes, no index column.
    for (const row of table) expect(row.length).toBe(table[1].length);
    expect(run.stdout).not.toMatch(/['│┌]/);
  }, 60_000);
});
