/**
 * `x0tta6bl4 readiness`: runs the production-readiness checks (src/readiness), prints a table
 * (or with --json the report as JSON), writes the JSON (--out) and HTML (--html) reports when
 * asked, and exits 0 when no critical check failed, 1 when one did (or, with --strict, when a
 * critical check could not apply), 2 on bad usage.
 */
import { writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import process from 'node:process';
import { NotAStoreError, assertStoreDirectory } from '../knowledge/existing-store.ts';
import { isPostgresUrl } from '../knowledge/sql.ts';
import { READINESS_CHECKS } from '../readiness/catalog.ts';
import { createContext } from '../readiness/context.ts';
import { renderReadinessReportHtml } from '../readiness/report-html.ts';
import { formatReport } from '../readiness/report-text.ts';
import { exitCode, runChecks } from '../readiness/runner.ts';
import {
  type CommandIo,
  UsageError,
  asUsageError,
  consoleIo,
  defineCommand,
  runCommandSpec,
} from './args.ts';
import { Progress, useColour } from './terminal.ts';

/** The command's declaration: usage, options and exit codes. */
export const READINESS_COMMAND = defineCommand({
  name: 'readiness',
  summary: "check a deployment's production readiness",
  usage: [
    '[--keys public-keys.json] [--store <dir>] [--only <prefix>]... [--strict]',
    '    [--out readiness.json] [--html readiness.html] [--json] [--quiet] [--list]',
  ],
  options: {
    keys: {
      type: 'input',
      standardInput: false,
      help: "the deployment's public keys (x0tta6bl4-keys/1), checked for validity and expiry",
    },
    store: {
      type: 'string',
      value: 'DIR',
      help: "the deployment's knowledge store (an existing one), for rollback versions and configuration",
    },
    only: {
      type: 'string',
      value: 'PREFIX',
      multiple: true,
      help: 'run only checks whose id or category starts so',
    },
    strict: { type: 'boolean', help: 'also fail when a critical check is not applicable' },
    out: { type: 'output', help: 'write the report as JSON' },
    html: { type: 'output', help: 'write the report as a self-contained HTML page' },
    json: { type: 'boolean', help: 'print the report as JSON on stdout' },
    quiet: { type: 'boolean', help: 'print nothing; the exit code says it' },
    list: { type: 'boolean', help: 'list the checks (those --only selects) and run none' },
  },
  exitCodes: '0 ready, 1 a critical check failed, 2 usage error',
});

/** Runs the command with `argv` (the arguments after `readiness`); resolves to the exit code. */
export function runReadinessCommand(argv: string[], io: CommandIo = consoleIo): Promise<number> {
  return runCommandSpec(READINESS_COMMAND, argv, io, async ({ values }) => {
    const only = values.only;
    const checks = READINESS_CHECKS.filter(
      (c) =>
        only.length === 0 ||
        only.some((p) => c.id.startsWith(p) || c.category.toLowerCase().startsWith(p.toLowerCase())),
    );
    if (values.list) {
      for (const c of checks)
        io.out(
          `${c.id.padEnd(32)} ${c.category.padEnd(15)} ${c.critical ? 'critical ' : '         '}${c.title}`,
        );
      return 0;
    }
    if (checks.length === 0) throw new UsageError('--only', `no check matches ${only.join(', ')}`);
    if (values.store !== undefined && !isPostgresUrl(values.store)) {
      // Checked here, before any check opens it: PGlite would make a database of any folder.
      try {
        await assertStoreDirectory(values.store, '--store');
      } catch (error) {
        if (!(error instanceof NotAStoreError)) throw error;
        throw asUsageError(error);
      }
    }
    const context = await createContext({ keysPath: values.keys, storePath: values.store });
    const progress = new Progress({ shown: !values.quiet && !values.json });
    let report: Awaited<ReturnType<typeof runChecks>>;
    try {
      report = await runChecks(checks, context, {
        strict: values.strict,
        runtime: `node ${process.versions.node}, ${process.platform}-${process.arch}, ${availableParallelism()} cores, load ${loadavg()[0].toFixed(1)}`,
        onCheckStart: (c, i, n) => progress.update(i, n, `check ${i + 1}/${n}: ${c.id}`),
      });
    } finally {
      progress.clear();
      await context.dispose();
    }
    const json = JSON.stringify(report, null, 2);
    if (values.out !== undefined) await writeFile(values.out, `${json}\n`);
    if (values.html !== undefined) await writeFile(values.html, renderReadinessReportHtml(report));
    if (values.json) io.out(json);
    else if (!values.quiet) {
      const written = [values.out, values.html].filter((path) => path !== undefined);
      io.out(`\n${formatReport(report, { colour: useColour(process.stdout) })}`);
      if (written.length > 0) io.out(`reports written to ${written.join(' and ')}`);
    }
    return exitCode(report);
  });
}
