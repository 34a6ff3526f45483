/**
 * The simulator behind the engine's `Executor` interface. Actions take simulated time, so
 * `apply` resolves when the simulator completes the ticket; the driver calls `settle()` after
 * every simulator tick to deliver those completions. Requests carry typed targets, so a node
 * named `edge-1` is acted on as the node it is.
 */
import type { ActionKind } from '../domain/actions.ts';
import type { ActionRequest, ExecutionResult, Executor } from '../execute/executor.ts';
import type { ActionTicket, MeshSimulator, SimAction } from '../sim/index.ts';

/** The simulator as an Executor; call `settle()` after each simulator tick. */
export class SimulatorExecutor implements Executor {
  readonly #waiting: Array<{ ticket: ActionTicket; resolve: (r: ExecutionResult) => void }> = [];

  /** An executor over `sim`. */
  constructor(private readonly sim: MeshSimulator) {}

  /** Checks the action is one the simulator knows and its target exists and fits it. */
  async dryRun(request: ActionRequest): Promise<ExecutionResult> {
    try {
      this.sim.check(actionOf(request));
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
  }

  apply(request: ActionRequest): Promise<ExecutionResult> {
    let ticket: ActionTicket;
    try {
      ticket = this.sim.apply(actionOf(request));
    } catch (error) {
      return Promise.resolve({ ok: false, reason: (error as Error).message });
    }
    if (ticket.status === 'rejected') return Promise.resolve({ ok: false, reason: ticket.reason });
    return new Promise((resolve) => this.#waiting.push({ ticket, resolve }));
  }

  async rollback(request: ActionRequest): Promise<ExecutionResult> {
    return this.sim.revert(actionOf(request));
  }

  /** Whether the node is up: not crashed, restarting or taken down by a planned change. */
  async reachable(node: string): Promise<boolean> {
    return this.sim.reachable(node);
  }

  /** Resolves the promises of tickets the simulator has completed. */
  settle(): void {
    for (let i = this.#waiting.length - 1; i >= 0; i--) {
      const { ticket, resolve } = this.#waiting[i];
      if (ticket.status === 'running') continue;
      this.#waiting.splice(i, 1);
      resolve(
        ticket.status === 'succeeded' ? { ok: true } : { ok: false, reason: ticket.reason ?? ticket.status },
      );
    }
  }
}

/** The request as a simulator action (the simulator refuses an action name it does not know). */
function actionOf(request: ActionRequest): SimAction {
  return { kind: request.action as ActionKind, target: request.target };
}
