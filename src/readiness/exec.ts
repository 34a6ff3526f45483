/** Runs a program for a check and captures what it printed (node:child_process). */

/** How a program ended. */
export interface ExecResult {
  /** Exit code; null when it was killed (e.g. timed out). */
  code: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Runs `file` with `args` in `cwd`, never throwing for a non-zero exit. */
export async function execProgram(
  file: string,
  args: readonly string[],
  cwd: string,
  timeoutMs: number,
): Promise<ExecResult> {
  const { execFile } = await import('node:child_process');
  const began = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        // ENOENT and the like mean the program never ran: that is the check's failure, not an exit code.
        if (error && typeof error.code === 'string') return reject(error);
        resolve({
          code,
          stdout: String(stdout),
          stderr: String(stderr),
          durationMs: Math.round(performance.now() - began),
        });
      },
    );
  });
}
