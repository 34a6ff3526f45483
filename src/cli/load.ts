/**
 * `x0tta6bl4 load`: runs presets or a custom scenario against a named target (or a URL),
 * shows a progress line on a terminal, prints a summary (or with --json the results as JSON),
 * writes JSON (--out) and HTML (--html) reports when asked, and returns the exit code: 0 when
 * every threshold held, 1 when one broke or no call succeeded, 2 for a usage error.
 */
import { ArgumentError } from '../errors.ts';
import { httpTarget } from '../load/http-target.ts';
import type { LoadProgress } from '../load/progress.ts';
import { PLAN_PRESETS, PRESETS, presetScenario } from '../load/presets.ts';
import { formatSummary } from '../load/report-text.ts';
import { renderLoadReportHtml } from '../load/report-html.ts';
import { type LoadResult, runScenario } from '../load/run.ts';
import type { Scenario } from '../load/scenario.ts';
import type { LoadTarget } from '../load/target.ts';
import {
  type CommandIo,
  type OptionValues,
  UsageError,
  asUsageError,
  consoleIo,
  defineCommand,
  runCommandSpec,
} from './args.ts';
import { Progress } from './terminal.ts';

/** Where the command writes; injectable for tests. */
export interface LoadCommandIO extends CommandIo {
  /** Shows how far a scenario has got; omit to show nothing. */
  progress?: { update(done: number, total: number, detail: string): void; clear(): void };
  writeFile(path: string, text: string): Promise<void>;
}

/** The registered targets, or a function that builds them (only when a scenario runs). */
export type LoadTargets = Record<string, LoadTarget> | (() => Promise<Record<string, LoadTarget>>);

const MAX = Number.MAX_SAFE_INTEGER;

/** The command's declaration: usage, options and exit codes. */
export const LOAD_COMMAND = defineCommand({
  name: 'load',
  summary: 'load-test the engine or an HTTP endpoint: presets, k6-style thresholds, JSON and HTML reports',
  usage: [
    '--preset NAME|all [--scale X] [--target NAME | --url URL] [--threshold EXPR]...',
    '    [--out FILE] [--html FILE] [--json] [--quiet]',
    '(--rate N | --concurrency N) --duration S [--target NAME | --url URL] [options]',
  ],
  details:
    'An open model (--rate: calls start on schedule whatever earlier ones do, latency from the intended\n' +
    'start, late starts dropped) or a closed model (--concurrency loops). Every run is held to ok>0.',
  options: {
    preset: {
      type: 'string',
      choices: [...Object.keys(PRESETS), 'all'],
      help: 'a preset scenario, or all (the five plan presets)',
    },
    scale: {
      type: 'number',
      min: 0,
      aboveMin: true,
      max: 1000,
      default: 1,
      help: 'multiply preset durations',
    },
    target: { type: 'string', value: 'NAME', help: 'the registered target to load (default: the engine)' },
    url: { type: 'string', value: 'URL', help: 'load an HTTP endpoint instead' },
    method: { type: 'string', value: 'M', help: 'HTTP method for --url (default GET)' },
    rate: {
      type: 'number',
      min: 0,
      aboveMin: true,
      max: 1_000_000,
      help: 'custom open model: calls per second',
    },
    concurrency: {
      type: 'integer',
      min: 1,
      max: 100_000,
      help: 'custom closed model with N loops; with --rate: cap on calls in flight',
    },
    duration: {
      type: 'number',
      value: 'S',
      min: 0,
      aboveMin: true,
      max: 86_400,
      help: 'custom scenario length, seconds',
    },
    batch: { type: 'integer', min: 1, max: MAX, help: 'units of work per call, e.g. samples per batch' },
    timeout: {
      type: 'number',
      value: 'MS',
      min: 0,
      aboveMin: true,
      max: 3_600_000,
      help: "per-call timeout, ms; default the preset's, else 10000",
    },
    'max-in-flight': { type: 'integer', min: 1, max: MAX, help: 'cap on calls in flight (open model)' },
    threshold: { type: 'string', value: 'EXPR', multiple: true, help: "a threshold, e.g. 'p(95)<100'" },
    out: { type: 'output', help: 'write the results as JSON' },
    html: { type: 'output', help: 'write a self-contained HTML report' },
    json: { type: 'boolean', help: 'print the results as JSON on stdout (no summary)' },
    quiet: { type: 'boolean', help: 'no progress line' },
  },
  exitCodes: '0 all thresholds held, 1 a threshold broke or no call succeeded, 2 usage error',
});

type Options = OptionValues<typeof LOAD_COMMAND.options>;

function customScenario(o: Options): Scenario {
  if (o.duration === undefined) throw new UsageError('--duration', 'a custom scenario needs --duration');
  const durationMs = o.duration * 1000;
  const common = { name: 'custom', timeoutMs: o.timeout, batchSize: o.batch, thresholds: o.threshold };
  if (o.rate !== undefined) {
    return {
      ...common,
      model: 'open',
      stages: [{ rate: o.rate, durationMs }],
      maxInFlight: o['max-in-flight'] ?? o.concurrency,
    };
  }
  if (o.concurrency !== undefined)
    return { ...common, model: 'closed', stages: [{ concurrency: o.concurrency, durationMs }] };
  throw new UsageError('--rate', 'give --preset, or --rate and/or --concurrency with --duration');
}

/** Applies command-line overrides to a preset's scenario. */
function tuned(scenario: Scenario, o: Options): Scenario {
  const thresholds = [...(scenario.thresholds ?? []), ...o.threshold];
  const base = {
    ...scenario,
    thresholds,
    timeoutMs: o.timeout ?? scenario.timeoutMs,
    batchSize: o.batch ?? scenario.batchSize,
  };
  return base.model === 'open' ? { ...base, maxInFlight: o['max-in-flight'] ?? base.maxInFlight } : base;
}

function pickTarget(o: Options, targets: Record<string, LoadTarget>, preset: string | undefined): LoadTarget {
  if (o.url !== undefined) return httpTarget(o.url, { method: o.method });
  const names = Object.keys(targets);
  const name =
    o.target ?? (preset === 'ingest' && targets.ingest ? 'ingest' : targets.default ? 'default' : names[0]);
  if (name === undefined) throw new UsageError('--target', 'no targets are registered; use --url');
  const target = targets[name];
  if (typeof target !== 'function')
    throw new UsageError('--target', `unknown target '${name}' (known: ${names.join(', ')})`);
  return target;
}

/** The default IO: console, a progress line on stderr when it is a terminal, node:fs for files. */
function defaultIO(): LoadCommandIO {
  return {
    ...consoleIo,
    progress: new Progress(),
    writeFile: async (path, text) => {
      const fs = await import('node:fs/promises');
      await fs.writeFile(path, text);
    },
  };
}

/** What the progress line says besides the percentage and the time left. */
function progressDetail(p: LoadProgress): string {
  return `${p.scenario}: stage ${p.stage + 1}, ${p.completed} done, ${p.errors} errors, ${p.dropped} dropped, ${p.inFlight} in flight`;
}

/** Rethrows an engine ArgumentError about the scenario (a bad threshold...) as a usage error. */
function rethrowAsUsage(error: unknown): never {
  throw error instanceof ArgumentError ? asUsageError(error) : error;
}

/**
 * Runs `x0tta6bl4 load` with `argv` (the arguments after `load`) against the registered
 * `targets`; resolves to the process exit code.
 */
export function runLoadCommand(
  argv: string[],
  targets: LoadTargets,
  io: LoadCommandIO = defaultIO(),
): Promise<number> {
  return runCommandSpec(LOAD_COMMAND, argv, io, async ({ values: options }) => {
    const registered = typeof targets === 'function' ? await targets() : targets;
    const names =
      options.preset === 'all' ? PLAN_PRESETS : options.preset !== undefined ? [options.preset] : [];
    let plan: Array<{ scenario: Scenario; target: LoadTarget }>;
    try {
      plan =
        names.length > 0
          ? names.map((name) => ({
              scenario: tuned(presetScenario(name, options.scale), options),
              target: pickTarget(options, registered, name),
            }))
          : [{ scenario: customScenario(options), target: pickTarget(options, registered, undefined) }];
    } catch (error) {
      rethrowAsUsage(error);
    }

    const progress = options.quiet || options.json ? undefined : io.progress;
    const results: LoadResult[] = [];
    for (const { scenario, target } of plan) {
      const result = await runScenario(target, scenario, {
        onProgress: progress && ((p) => progress.update(p.elapsedMs, p.plannedMs, progressDetail(p))),
      }).catch(rethrowAsUsage);
      progress?.clear();
      results.push(result);
      if (!options.json) io.out(formatSummary(result));
    }
    const passed = results.every((r) => r.passed);
    const report = { tool: 'x0tta6bl4 load', passed, results };
    if (options.out) await io.writeFile(options.out, JSON.stringify(report, null, 2));
    if (options.html) await io.writeFile(options.html, renderLoadReportHtml(results));
    const broken = results
      .filter((r) => !r.passed)
      .map((r) => (r.summary.ok === 0 ? `${r.scenario} (no call succeeded)` : r.scenario));
    if (options.json) io.out(JSON.stringify(report, null, 2));
    else io.out(passed ? 'all thresholds held' : `thresholds broken in: ${broken.join(', ')}`);
    return passed ? 0 : 1;
  });
}
