/**
 * The executor interface: how the engine touches the world. The simulator implements it; so can
 * a Kubernetes client, an SSH runner or a mesh controller. Whether an action healed anything is
 * judged by the loop from telemetry, not by the executor's say-so; `verify` is an optional
 * extra check such as a health probe.
 */
import type { Target } from '../domain/targets.ts';

/** One action the engine wants carried out. */
export interface ActionRequest {
  /** The action's id, unique within the run. */
  id: string;
  /** The incident it is meant to heal. */
  incidentId: string;
  /** The action's name, e.g. `restart-node`. */
  action: string;
  /** A node, or a link between two nodes. */
  target: Target;
}

/** Outcome of a dry run or an application. */
export interface ExecutionResult {
  /** Whether the dry run found it applicable, or the application succeeded. */
  ok: boolean;
  /** Why it failed or was refused. */
  reason?: string;
}

/** What carries actions out: the simulator, a webhook, a command (see the module's comment). */
export interface Executor {
  /** Checks the action could be applied (known action, existing target) without doing it. */
  dryRun(request: ActionRequest): Promise<ExecutionResult>;
  /** Carries the action out; resolves when it has completed or failed. */
  apply(request: ActionRequest): Promise<ExecutionResult>;
  /** Undoes an applied action's lasting effects (a quarantine, a reroute, a rate limit). */
  rollback(request: ActionRequest): Promise<ExecutionResult>;
  /** Optional out-of-band check that the target is healthy after the action. */
  verify?(request: ActionRequest): Promise<boolean>;
  /**
   * Optional out-of-band check that a node is up (a ping, its management port): a node whose
   * telemetry stopped but which answers has not crashed; its monitoring agent is what failed.
   */
  reachable?(node: string): Promise<boolean>;
}
