/** Runs `x0tta6bl4 audit` in-process and keeps what it prints (quietly.ts does the same for any command). */
import { runAuditCommand } from '../src/cli/audit.ts';

/** Runs `x0tta6bl4 audit` with `argv`, collecting what it prints. */
export async function runAudit(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAuditCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}
