/**
 * `x0tta6bl4 load`: runs presets or a custom scenario against a named target (or a URL),
 * prints a progress line and a summary, writes JSON and HTML reports, and returns the exit
 * code: 0 when every threshold held, 1 when one broke or no call succeeded, 2 for a usage error.
 */
import { ArgumentError } from '../errors.ts';
import { httpTarget } from '../load/http-target.ts';
import { PLAN_PRESETS, PRESETS, presetScenario } from '../load/presets.ts';
import { formatProgress, formatSummary } from '../load/report-text.ts';
import { renderLoadReportHtml } from '../load/report-html.ts';
import { type LoadResult, runScenario } from '../load/run.ts';
import type { Scenario } from '../load/scenario.ts';
import type { LoadTarget } from '../load/target.ts';
import { checkOutputFile } from './args.ts';

/** Where the command writes; injectable for tests. */
export interface LoadCommandIO {
  out(text: string): void;
  err(text: string): void;
  /** Shows a transient status line; omit to show none. */
  progress?(line: string): void;
  writeFile(path: string, text: string): Promise<void>;
}

/** Usage text printed by --help and on usage errors. */
export const LOAD_USAGE = `usage: x0tta6bl4 load [options]
  --preset NAME        ${Object.keys(PRESETS).join(', ')}, or all (the five plan presets)
  --scale X            multiply preset durations (e.g. 0.1)
  --target NAME        target to load (one of the registered targets)
  --url URL            load an HTTP endpoint instead (GET unless --method)
  --method M           HTTP method for --url
  --rate N             custom open-model scenario: N ops/s (needs --duration)
  --concurrency N      custom closed model with N loops; with --rate: cap on calls in flight
  --duration S         custom scenario length in seconds
  --batch N            units of work per call (e.g. samples per batch)
  --timeout MS         per-call timeout (default 10000)
  --max-in-flight N    cap on calls in flight (open model)
  --threshold EXPR     add a threshold, e.g. 'p(95)<100' (repeatable)
  --json FILE          write the results as JSON
  --html FILE          write a self-contained HTML report
  --quiet              no progress line
exit code: 0 all thresholds held, 1 a threshold broke or no call succeeded, 2 usage error`;

interface Options {
  preset?: string;
  scale: number;
  target?: string;
  url?: string;
  method?: string;
  rate?: number;
  concurrency?: number;
  duration?: number;
  batch?: number;
  timeout?: number;
  maxInFlight?: number;
  thresholds: string[];
  json?: string;
  html?: string;
  quiet: boolean;
  help: boolean;
}

const NUMERIC = new Set(['scale', 'rate', 'concurrency', 'duration', 'batch', 'timeout', 'max-in-flight']);
const TEXT = new Set(['preset', 'target', 'url', 'method', 'threshold', 'json', 'html']);

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { scale: 1, thresholds: [], quiet: false, help: false };
  const record = options as unknown as Record<string, unknown>;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') options.help = true;
    else if (arg === '--quiet') options.quiet = true;
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (!NUMERIC.has(name) && !TEXT.has(name)) throw new ArgumentError(arg, 'unknown option');
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new ArgumentError(`--${name}`, 'needs a value');
      if (name === 'threshold') options.thresholds.push(value);
      else if (NUMERIC.has(name)) {
        const n = Number(value);
        if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
          throw new ArgumentError(`--${name}`, `must be a positive number, got '${value}'`);
        record[name === 'max-in-flight' ? 'maxInFlight' : name] = n;
      } else record[name] = value;
    } else throw new ArgumentError(arg, 'unexpected argument');
  }
  return options;
}

function customScenario(o: Options): Scenario {
  if (o.duration === undefined) throw new ArgumentError('--duration', 'a custom scenario needs --duration');
  const durationMs = o.duration * 1000;
  const common = { name: 'custom', timeoutMs: o.timeout, batchSize: o.batch, thresholds: o.thresholds };
  if (o.rate !== undefined) {
    return {
      ...common,
      model: 'open',
      stages: [{ rate: o.rate, durationMs }],
      maxInFlight: o.maxInFlight ?? o.concurrency,
    };
  }
  if (o.concurrency !== undefined)
    return { ...common, model: 'closed', stages: [{ concurrency: o.concurrency, durationMs }] };
  throw new ArgumentError('--rate', 'give --preset, or --rate and/or --concurrency with --duration');
}

/** Applies command-line overrides to a preset's scenario. */
function tuned(scenario: Scenario, o: Options): Scenario {
  const thresholds = [...(scenario.thresholds ?? []), ...o.thresholds];
  const base = {
    ...scenario,
    thresholds,
    timeoutMs: o.timeout ?? scenario.timeoutMs,
    batchSize: o.batch ?? scenario.batchSize,
  };
  return base.model === 'open' ? { ...base, maxInFlight: o.maxInFlight ?? base.maxInFlight } : base;
}

function pickTarget(o: Options, targets: Record<string, LoadTarget>, preset: string | undefined): LoadTarget {
  if (o.url !== undefined) return httpTarget(o.url, { method: o.method });
  const names = Object.keys(targets);
  const name =
    o.target ?? (preset === 'ingest' && targets.ingest ? 'ingest' : targets.default ? 'default' : names[0]);
  if (name === undefined) throw new ArgumentError('--target', 'no targets are registered; use --url');
  const target = targets[name];
  if (typeof target !== 'function')
    throw new ArgumentError('--target', `unknown target '${name}' (known: ${names.join(', ')})`);
  return target;
}

/** The default IO: console, a '\r' status line on a TTY, node:fs for files (Node, Deno, Bun). */
function defaultIO(): LoadCommandIO {
  const stdout = (globalThis as { process?: { stdout?: { isTTY?: boolean; write(s: string): boolean } } })
    .process?.stdout;
  return {
    out: (text) => console.log(text),
    err: (text) => console.error(text),
    progress: stdout?.isTTY ? (line) => stdout.write(`\r\x1b[2K${line}`) : undefined,
    writeFile: async (path, text) => {
      const fs = await import('node:fs/promises');
      await fs.writeFile(path, text);
    },
  };
}

/**
 * Runs `x0tta6bl4 load` with `argv` (the arguments after `load`) against the registered
 * `targets`; resolves to the process exit code.
 */
export async function runLoadCommand(
  argv: string[],
  targets: Record<string, LoadTarget>,
  io: LoadCommandIO = defaultIO(),
): Promise<number> {
  let plan: Array<{ scenario: Scenario; target: LoadTarget }>;
  let options: Options;
  try {
    options = parseArgs(argv);
    if (options.help) {
      io.out(LOAD_USAGE);
      return 0;
    }
    const names =
      options.preset === 'all' ? PLAN_PRESETS : options.preset !== undefined ? [options.preset] : [];
    plan =
      names.length > 0
        ? names.map((name) => ({
            scenario: tuned(presetScenario(name, options.scale), options),
            target: pickTarget(options, targets, name),
          }))
        : [{ scenario: customScenario(options), target: pickTarget(options, targets, undefined) }];
    // The reports are written after the run: a path that cannot be written must fail now.
    if (options.json !== undefined) checkOutputFile('--json', options.json);
    if (options.html !== undefined) checkOutputFile('--html', options.html);
  } catch (error) {
    if (!(error instanceof ArgumentError)) throw error;
    io.err(`${error.message}\n${LOAD_USAGE}`);
    return 2;
  }

  const results: LoadResult[] = [];
  for (const { scenario, target } of plan) {
    const progress = options.quiet ? undefined : io.progress;
    try {
      const result = await runScenario(target, scenario, {
        onProgress: progress && ((p) => progress(formatProgress(p))),
      });
      if (progress) progress('');
      results.push(result);
      io.out(formatSummary(result));
    } catch (error) {
      if (!(error instanceof ArgumentError)) throw error;
      io.err(`${error.message}\n${LOAD_USAGE}`);
      return 2;
    }
  }
  const passed = results.every((r) => r.passed);
  if (options.json)
    await io.writeFile(options.json, JSON.stringify({ tool: 'x0tta6bl4 load', passed, results }, null, 2));
  if (options.html) await io.writeFile(options.html, renderLoadReportHtml(results));
  const broken = results
    .filter((r) => !r.passed)
    .map((r) => (r.summary.ok === 0 ? `${r.scenario} (no call succeeded)` : r.scenario));
  io.out(passed ? 'all thresholds held' : `thresholds broken in: ${broken.join(', ')}`);
  return passed ? 0 : 1;
}
