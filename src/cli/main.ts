#!/usr/bin/env node
/**
 * The `x0tta6bl4` command. Each subcommand lives in its own module, loaded only when used, so
 * `x0tta6bl4 run` does not pay for the crypto or the load tester. This file is also the one
 * top-level error handler: an error no command expected is printed as one line (its stack with
 * `--debug` or a non-empty DEBUG) and exits 1; usage errors (exit 2) are the commands' own.
 */
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import { X0ttaError } from '../errors.ts';

interface Command {
  readonly summary: string;
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  run: {
    summary: 'run the self-healing loop over a simulated mesh and print the healing report',
    run: async (argv) => (await import('./run.ts')).runCommand(argv),
  },
  replay: {
    summary: 'run the loop over recorded telemetry (dry run): incidents, root causes, diagnoses, plans',
    run: async (argv) => (await import('./replay.ts')).runReplayCommand(argv),
  },
  rca: {
    summary: 'rank the root causes of one incident window of recorded telemetry, after the fact',
    run: async (argv) => (await import('./rca.ts')).runRcaCommand(argv),
  },
  serve: {
    summary: 'run the engine as a service over your telemetry: HTTP(S) in, /metrics and actions out',
    run: async (argv) => (await import('./serve.ts')).runServeCommand(argv),
  },
  sim: {
    summary: 'publish a simulated mesh over NATS JetStream for engines in other processes (serve --nats)',
    run: async (argv) => (await import('./sim.ts')).runSimCommand(argv),
  },
  nab: {
    summary: 'run the default detector over a NAB-layout data folder; with --windows, score it',
    run: async (argv) => (await import('./nab.ts')).runNabCommand(argv),
  },
  rag: {
    summary: 'query the runbooks and past incidents, or index your own Markdown runbooks',
    run: async (argv) => (await import('./rag.ts')).runRagCommand(argv),
  },
  keys: {
    summary: 'the operator signing keys: generate, export-public, rotate',
    run: async (argv) => (await import('./keys.ts')).runKeysCommand(argv),
  },
  audit: {
    summary: 'verify or show a signed audit log (a store directory or an audit file)',
    run: async (argv) => (await import('./audit.ts')).runAuditCommand(argv),
  },
  load: {
    summary: 'load-test the engine or an HTTP endpoint: presets, k6-style thresholds, JSON and HTML reports',
    run: async (argv) => {
      const [{ runLoadCommand }, { builtinTargets }, { engineTickTarget }] = await Promise.all([
        import('./load.ts'),
        import('../load/builtin-targets.ts'),
        import('../load/engine-target.ts'),
      ]);
      // Built only for a run: the engine target starts an engine, which `--help` need not wait for.
      return runLoadCommand(argv, async () => ({ default: await engineTickTarget(), ...builtinTargets() }));
    },
  },
  readiness: {
    summary: "check a deployment's production readiness",
    run: async (argv) => (await import('./readiness.ts')).runReadinessCommand(argv),
  },
  models: {
    summary: 'the model registry: list, show, promote, roll back and diff model versions',
    run: async (argv) => (await import('./models.ts')).runModelsCommand(argv),
  },
};

function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'usage: x0tta6bl4 <command> [options]',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`),
    '',
    'x0tta6bl4 help <command> (or <command> --help) shows its options; x0tta6bl4 --version its version.',
    '--debug (or DEBUG=1) prints the stack of an unexpected error.',
  ].join('\n');
}

/** The package's version, from the package.json above this file (src/cli or dist/src/cli). */
async function version(): Promise<string> {
  for (const up of ['../../package.json', '../../../package.json']) {
    const text = await readFile(new URL(up, import.meta.url), 'utf8').catch(() => undefined);
    const json = text === undefined ? undefined : (JSON.parse(text) as { name?: string; version?: string });
    if (json?.name === 'x0tta6bl4' && json.version) return json.version;
  }
  throw new X0ttaError("x0tta6bl4's package.json was not found beside its sources");
}

function unknownCommand(name: string): number {
  const what = name.startsWith('-') ? `unknown option ${name}` : `unknown command "${name}"`;
  console.error(`x0tta6bl4: ${what}\n\n${overview()}`);
  return 2;
}

/** Runs the command line `argv` (after the program name); resolves to the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.error(`x0tta6bl4: missing command\n\n${overview()}`);
    return 2;
  }
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    console.log(overview());
    return 0;
  }
  if (name === '--version') {
    console.log(await version());
    return 0;
  }
  if (name === 'help') {
    const [topic, ...sub] = rest;
    const command = COMMANDS[topic];
    return command ? command.run([...sub, '--help']) : unknownCommand(topic);
  }
  const command = COMMANDS[name];
  return command ? command.run(rest) : unknownCommand(name);
}

/** Before `--` only: after it, `--debug` is an argument like any other. */
function withoutDebugFlag(argv: readonly string[]): { argv: string[]; debug: boolean } {
  const end = argv.indexOf('--') === -1 ? argv.length : argv.indexOf('--');
  const kept = argv.filter((arg, i) => i >= end || arg !== '--debug');
  return { argv: kept, debug: kept.length < argv.length };
}

const parsed = withoutDebugFlag(process.argv.slice(2));
const debug = parsed.debug || Boolean(process.env.DEBUG);
const commandName = COMMANDS[parsed.argv[0]] ? ` ${parsed.argv[0]}` : '';

function reportUnexpected(error: unknown): void {
  if (debug) {
    console.error(error instanceof Error && error.stack ? error.stack : error);
    return;
  }
  // The engine's own errors are written to be read; anything else also says what it is.
  const message =
    error instanceof X0ttaError
      ? error.message
      : error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
  console.error(`x0tta6bl4${commandName}: ${message.replace(/\s*\n\s*/g, ' ')} (--debug shows the stack)`);
}

/**
 * postgres.js 3.4 (the client of `--store postgres://...`) may throw from a timer when a
 * connection closes under a write it had scheduled (porsager/postgres#1154, #1208): by then the
 * query that write belonged to was rejected as CONNECTION_CLOSED, and the store retries it, so
 * that stray throw is noted, not fatal.
 */
function isPostgresClosedSocketWrite(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    /at Immediate\.nextWrite \(.*postgres[\\/]src[\\/]connection\.js/.test(error.stack ?? '')
  );
}

const fatal = (error: unknown) => {
  if (isPostgresClosedSocketWrite(error)) {
    console.error(`x0tta6bl4${commandName}: a PostgreSQL connection closed mid-write; retrying on another`);
    return;
  }
  reportUnexpected(error);
  process.exit(1);
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
try {
  process.exitCode = await main(parsed.argv);
} catch (error) {
  reportUnexpected(error);
  process.exitCode = 1;
}
