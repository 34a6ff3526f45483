/**
 * `x0tta6bl4 readiness`: runs the production-readiness checks (src/readiness), prints a table,
 * writes the JSON and HTML reports, and exits 0 when no critical check failed, 1 when one did
 * (or, with --strict, when a critical check could not apply), 2 on bad usage.
 */
import { writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { NotAStoreError, assertStoreDirectory } from '../knowledge/existing-store.ts';
import { READINESS_CHECKS } from '../readiness/catalog.ts';
import { createContext } from '../readiness/context.ts';
import { renderReadinessReportHtml } from '../readiness/report-html.ts';
import { formatReport } from '../readiness/report-text.ts';
import { exitCode, runChecks } from '../readiness/runner.ts';

const USAGE = `usage: x0tta6bl4 readiness [--out readiness.json] [--html readiness.html] [--json] [--quiet]
                           [--keys public-keys.json] [--store knowledge-dir]
                           [--only id-or-category-prefix]... [--strict] [--list]

  --keys    the deployment's public keys (x0tta6bl4-keys/1) to check for validity and expiry
  --store   the deployment's PGlite knowledge store, for rollback versions and configuration
            (an existing store: any other path is a usage error)
  --only    run only checks whose id or category starts with this (repeatable)
  --strict  also fail when a critical check is not applicable
exit codes: 0 ready, 1 a critical check failed, 2 usage error`;

/** Runs the command with `argv` (the arguments after `readiness`); resolves to the exit code. */
export async function runReadinessCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        out: { type: 'string', default: 'readiness.json' },
        html: { type: 'string', default: 'readiness.html' },
        json: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        keys: { type: 'string' },
        store: { type: 'string' },
        only: { type: 'string', multiple: true },
        strict: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const only = values.only ?? [];
  const checks = READINESS_CHECKS.filter(
    (c) =>
      only.length === 0 ||
      only.some((p) => c.id.startsWith(p) || c.category.toLowerCase().startsWith(p.toLowerCase())),
  );
  if (values.list) {
    for (const c of checks)
      console.log(
        `${c.id.padEnd(32)} ${c.category.padEnd(15)} ${c.critical ? 'critical ' : '         '}${c.title}`,
      );
    return 0;
  }
  if (checks.length === 0) {
    console.error(`no check matches --only ${only.join(', ')}\n${USAGE}`);
    return 2;
  }

  if (values.store !== undefined) {
    // Checked here, before any check opens it: PGlite would make a database of any folder.
    try {
      await assertStoreDirectory(values.store, '--store');
    } catch (error) {
      if (!(error instanceof NotAStoreError)) throw error;
      console.error(`${error.message}\n${USAGE}`);
      return 2;
    }
  }
  const context = await createContext({ keysPath: values.keys, storePath: values.store });
  const progress = !values.quiet && !values.json && process.stderr.isTTY === true;
  const colour = !values.json && process.stdout.isTTY === true;
  let report;
  try {
    report = await runChecks(checks, context, {
      strict: values.strict,
      runtime: `node ${process.versions.node}, ${process.platform}-${process.arch}, ${availableParallelism()} cores, load ${loadavg()[0].toFixed(1)}`,
      onCheckStart: progress
        ? (c, i, n) => process.stderr.write(`\r\x1b[K[${i + 1}/${n}] ${c.id} ...`)
        : undefined,
    });
  } finally {
    if (progress) process.stderr.write('\r\x1b[K');
    await context.dispose();
  }
  const json = `${JSON.stringify(report, null, 2)}\n`;
  await writeFile(values.out!, json);
  await writeFile(values.html!, renderReadinessReportHtml(report));
  if (values.json) process.stdout.write(json);
  else if (!values.quiet)
    console.log(`\n${formatReport(report, { colour })}\nreports written to ${values.out} and ${values.html}`);
  return exitCode(report);
}
