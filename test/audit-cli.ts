/** Helpers of the command-line tests: run a command in-process and keep what it prints. */
import { runAuditCommand } from '../src/cli/audit.ts';

/** Runs `x0tta6bl4 audit` with `argv`, collecting what it prints. */
export async function runAudit(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAuditCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

/** Runs a CLI function with console output captured. */
export async function quietly(run: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const { log, error, warn } = console;
  console.log = console.error = console.warn = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    return { code: await run(), out: lines.join('\n') };
  } finally {
    Object.assign(console, { log, error, warn });
  }
}
