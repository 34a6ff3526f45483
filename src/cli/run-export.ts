/**
 * The files of `x0tta6bl4 run --export <dir>`: telemetry.ndjson (or telemetry.csv), routes.ndjson,
 * topology.json and truth.json (see src/run/export.ts for what each holds). A day of telemetry
 * is some 35 million samples, so it is written as the run goes, through a buffer, never held.
 */
import { closeSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { FaultOutcome } from '../run/evaluate.ts';
import { RunExport, type TelemetryFormat, truthFile } from '../run/export.ts';
import type { FaultRecord, Topology } from '../sim/index.ts';
import { UsageError } from './args.ts';
import { writeJsonAtomic } from './atomic-write.ts';

/** Bytes gathered before a write: few system calls, little memory. */
const BUFFER_BYTES = 1 << 20;

/** A file written through a buffer. */
class BufferedFile {
  readonly #fd: number;
  #parts: string[] = [];
  #size = 0;

  constructor(path: string) {
    this.#fd = openSync(path, 'w');
  }

  write(text: string): void {
    this.#parts.push(text);
    this.#size += text.length;
    if (this.#size >= BUFFER_BYTES) this.flush();
  }

  flush(): void {
    if (this.#size === 0) return;
    writeSync(this.#fd, this.#parts.join(''));
    this.#parts = [];
    this.#size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.#fd);
  }
}

/** An export folder being written: hand `onFrame` to the run, then `finish` with its outcome. */
export class ExportFolder {
  readonly #telemetry: BufferedFile;
  readonly #routes: BufferedFile;
  readonly #export: RunExport;
  #closed = false;

  /**
   * Creates `dir` (and its parents) and opens its telemetry files; a UsageError naming `--export`
   * when it cannot, so a run never starts that could not write its export.
   */
  constructor(
    readonly dir: string,
    format: TelemetryFormat,
  ) {
    if (statSync(dir, { throwIfNoEntry: false })?.isFile())
      throw new UsageError('--export', `${dir} is a file, not a folder`);
    try {
      mkdirSync(dir, { recursive: true });
      this.#telemetry = new BufferedFile(join(dir, `telemetry.${format}`));
      this.#routes = new BufferedFile(join(dir, 'routes.ndjson'));
    } catch (error) {
      throw new UsageError('--export', `cannot write ${dir}: ${(error as Error).message}`);
    }
    this.#export = new RunExport(
      format,
      (text) => this.#telemetry.write(text),
      (text) => this.#routes.write(text),
    );
  }

  /** The run's frames go here (HealingRunOptions.onFrame). */
  readonly onFrame = (...args: Parameters<RunExport['frame']>): void => this.#export.frame(...args);

  /** Closes the telemetry and writes topology.json and truth.json. */
  async finish(run: {
    seed: number;
    ticks: number;
    topology: Topology;
    groundTruth: readonly FaultRecord[];
    outcomes: readonly FaultOutcome[];
  }): Promise<void> {
    this.close();
    const healedBy = new Map(run.outcomes.map((o) => [o.id, o.healedBy]));
    await writeJsonAtomic(join(this.dir, 'topology.json'), this.#export.topology(run.topology));
    await writeJsonAtomic(
      join(this.dir, 'truth.json'),
      truthFile({
        seed: run.seed,
        ticks: run.ticks,
        nodes: run.topology.nodeCount,
        faults: run.groundTruth,
        healedBy: (id) => healedBy.get(id),
      }),
    );
  }

  /** Flushes and closes the telemetry files (also when the run failed); again does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#telemetry.close();
    this.#routes.close();
  }
}
