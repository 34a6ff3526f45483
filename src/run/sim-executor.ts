/**
 * The simulator behind the engine's `Executor` interface. Actions take simulated time, so
 * `apply` resolves when the simulator completes the ticket; the driver calls `settle()` after
 * every simulator tick to deliver those completions.
 */
import type { ActionRequest, Executor, ExecutionResult } from '../execute/executor.ts';
import type { ActionSpec } from '../plan/actions.ts';
import {
  ACTION_KINDS,
  ACTIONS,
  type ActionKind,
  type ActionTicket,
  type MeshSimulator,
} from '../sim/index.ts';

/** The simulator as an Executor; call `settle()` after each simulator tick. */
export class SimulatorExecutor implements Executor {
  readonly #waiting: Array<{ ticket: ActionTicket; resolve: (r: ExecutionResult) => void }> = [];

  constructor(private readonly sim: MeshSimulator) {}

  async dryRun(request: ActionRequest): Promise<ExecutionResult> {
    if (!(ACTION_KINDS as readonly string[]).includes(request.action))
      return { ok: false, reason: `unknown action ${request.action}` };
    const isLink = request.target.includes('-');
    const exists = isLink
      ? this.sim.topology.linkIds.includes(request.target)
      : this.sim.topology.nodeIds.includes(request.target);
    return exists ? { ok: true } : { ok: false, reason: `unknown target ${request.target}` };
  }

  apply(request: ActionRequest): Promise<ExecutionResult> {
    let ticket: ActionTicket;
    try {
      ticket = this.sim.apply({ kind: request.action as ActionKind, target: targetOf(request.target) });
    } catch (error) {
      return Promise.resolve({ ok: false, reason: (error as Error).message });
    }
    if (ticket.status === 'rejected') return Promise.resolve({ ok: false, reason: ticket.reason });
    return new Promise((resolve) => this.#waiting.push({ ticket, resolve }));
  }

  async rollback(request: ActionRequest): Promise<ExecutionResult> {
    return this.sim.revert({ kind: request.action as ActionKind, target: targetOf(request.target) });
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

function targetOf(id: string): { node: string } | { link: string } {
  return id.includes('-') ? { link: id } : { node: id };
}

/**
 * The simulator's action catalogue in the planner's terms: cost scaled to 0..1, risk = the
 * chance it fails plus a share for lasting side effects (holds), duration and hold in ticks. Rerouting
 * around a node is a stopgap (it moves the traffic; the node stays as it was) that needs another
 * path to exist, and a quarantine takes its node out of service, as everywhere.
 */
export function simulatorActions(): ActionSpec[] {
  return ACTION_KINDS.map((name) => {
    const p = ACTIONS[name];
    const target = p.heals.node && p.heals.link ? 'any' : p.heals.link ? 'link' : 'node';
    const spec: ActionSpec = {
      name,
      target,
      cost: p.cost / 10,
      risk: p.failureProbability + (p.holdTicks > 0 ? 0.1 : 0),
      duration: p.duration,
      ...(p.holdTicks > 0 ? { lapsesAfter: p.holdTicks } : {}),
    };
    if (name === 'reroute') return { ...spec, stopgapOn: 'node', detours: true };
    return name === 'quarantine-node' ? { ...spec, isolates: true } : spec;
  });
}
