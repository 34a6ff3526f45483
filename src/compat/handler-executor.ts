/**
 * The loop's `Executor` over plain functions supplied by the caller, one per action name. An
 * action without a handler can be chosen but not carried out: applying it fails with a reason
 * that says so, and nothing pretends it ran.
 */
import type { ActionRequest, ExecutionResult, Executor } from '../execute/executor.ts';

/** Carries out one action; `false` (or a throw) means it failed. */
// biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing succeeded
export type ActionHandler = (request: ActionRequest) => boolean | void | Promise<boolean | void>;

/** Handlers of one action: `apply` and, when its effect can be undone, `rollback`. */
export interface ActionHandlers {
  /** Carries the action out. */
  apply?: ActionHandler;
  /** Undoes it, when that is possible. */
  rollback?: ActionHandler;
}

/** An `Executor` that calls the handlers registered per action name. */
export class HandlerExecutor implements Executor {
  readonly handlers = new Map<string, ActionHandlers>();

  /** Succeeds when the action has an `apply` handler. */
  async dryRun(request: ActionRequest): Promise<ExecutionResult> {
    return this.handlers.get(request.action)?.apply ? { ok: true } : missing(request, 'apply');
  }

  /** Calls the action's `apply` handler. */
  async apply(request: ActionRequest): Promise<ExecutionResult> {
    return run(request, this.handlers.get(request.action)?.apply, 'apply');
  }

  /** Calls the action's `rollback` handler. */
  async rollback(request: ActionRequest): Promise<ExecutionResult> {
    return run(request, this.handlers.get(request.action)?.rollback, 'rollback');
  }
}

async function run(
  request: ActionRequest,
  handler: ActionHandler | undefined,
  step: 'apply' | 'rollback',
): Promise<ExecutionResult> {
  if (!handler) return missing(request, step);
  const result = await handler({ ...request });
  return result === false
    ? { ok: false, reason: `${step} handler of "${request.action}" returned false` }
    : { ok: true };
}

function missing(request: ActionRequest, step: 'apply' | 'rollback'): ExecutionResult {
  return { ok: false, reason: `no ${step} handler for "${request.action}"` };
}
