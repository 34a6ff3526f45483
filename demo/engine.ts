/**
 * The playground's engine, as its worker exposes it to the page through comlink: one mesh at a
 * time (a new start stops the previous one), its controls, its live view, and the runbooks its
 * diagnoses cite. Everything here runs in the worker, never on the page's thread.
 */
import type { Target } from '../src/domain/targets.ts';
import { ArgumentError } from '../src/errors.ts';
import type { RagDocument } from '../src/rag/document.ts';
import { RUNBOOKS } from '../src/rag/runbooks.generated.ts';
import type { FaultOutcome, MeshInfo, NodeSeries, StartOptions, Story, View } from './protocol.ts';
import { MeshSession } from './session.ts';

/** The worker's API (see the file comment). */
export class PlaygroundEngine {
  #session: MeshSession | undefined;
  /** The start in progress, so that calls made meanwhile wait for its mesh. */
  #starting: Promise<MeshSession> | undefined;

  /** Stops the running mesh, if any, and starts a new one; resolves with its layout once it runs. */
  async start(options: StartOptions): Promise<MeshInfo> {
    const previous = this.#starting;
    this.#starting = (async () => {
      await previous?.catch(() => undefined);
      await this.#session?.stop();
      this.#session = undefined;
      this.#session = await MeshSession.create(options);
      return this.#session;
    })();
    return (await this.#starting).info;
  }

  setSpeed(speed: number): void {
    this.#current().setSpeed(speed);
  }

  pause(): void {
    this.#current().pause();
  }

  resume(): void {
    this.#current().resume();
  }

  step(): Promise<void> {
    return this.#current().step();
  }

  /** Injects a fault (see MeshSession.inject); the error names what was wrong. */
  inject(kind: string, target: Target, severity?: number): FaultOutcome {
    return this.#current().inject(kind, target, severity);
  }

  view(): View {
    return this.#current().view();
  }

  stories(limit?: number): Story[] {
    return this.#current().stories(limit);
  }

  faults(): FaultOutcome[] {
    return this.#current().faults();
  }

  series(node: string): NodeSeries {
    return this.#current().series(node);
  }

  /** A shipped runbook by id, to read what a diagnosis cited. */
  runbook(id: string): RagDocument | undefined {
    return RUNBOOKS.find((r) => r.id === id);
  }

  #current(): MeshSession {
    if (!this.#session) throw new ArgumentError('mesh', 'no mesh is running: start one first');
    return this.#session;
  }
}
