/** Runs a CLI function with console output captured: its exit code and everything it printed. */
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
