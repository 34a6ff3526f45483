/**
 * The executor of an engine that only plans: it judges whether an action could be taken (a known
 * action on a well-formed target of the right kind, on known nodes when it is told them) and
 * never takes one. It is the default of `serve` until the operator configures a webhook or
 * command executor, and what `replay` uses: nothing the engine decides reaches a real system.
 */
import type { ActionScope } from '../domain/actions.ts';
import { checkTarget, targetNodes, targetScope } from '../domain/targets.ts';
import { ArgumentError } from '../errors.ts';
import type { ActionSpec } from '../plan/actions.ts';
import type { ActionRequest, ExecutionResult, Executor } from './executor.ts';

/** Options of {@link PlanOnlyExecutor}. */
export interface PlanOnlyOptions {
  /** Whether a node id is known (e.g. in the topology); when given, targets on unknown nodes are refused. */
  isNode?: (id: string) => boolean;
}

/** Why `apply` and `rollback` refuse. */
export const PLAN_ONLY_REASON =
  'plan-only executor: nothing is applied here (configure a webhook or command executor)';

/** Checks actions in dry runs and applies none (see the module's comment). */
export class PlanOnlyExecutor implements Executor {
  /** Known actions and the target kinds they take ('any' when only their names were given). */
  readonly #scopes: ReadonlyMap<string, ActionScope>;
  readonly #isNode: ((id: string) => boolean) | undefined;

  /**
   * An executor knowing `actions` (the planner's catalogue, or bare names, which take any target).
   * Throws ArgumentError for an empty list or a nameless action.
   */
  constructor(actions: readonly ActionSpec[] | readonly string[], options: PlanOnlyOptions = {}) {
    if (!Array.isArray(actions) || actions.length === 0)
      throw new ArgumentError('actions', 'expected a non-empty list of action specs or names');
    const scopes = new Map<string, ActionScope>();
    actions.forEach((action: ActionSpec | string, i) => {
      const name = typeof action === 'string' ? action : action?.name;
      if (typeof name !== 'string' || name === '')
        throw new ArgumentError(`actions[${i}]`, 'expected an action name or a spec with a name');
      scopes.set(name, typeof action === 'string' ? 'any' : action.scope);
    });
    if (options.isNode !== undefined && typeof options.isNode !== 'function')
      throw new ArgumentError('options.isNode', 'expected a function');
    this.#scopes = scopes;
    this.#isNode = options.isNode;
  }

  /** Whether the action is known and its target well-formed, of the kind it takes, and on known nodes. */
  async dryRun(request: ActionRequest): Promise<ExecutionResult> {
    const scope = this.#scopes.get(request?.action);
    if (scope === undefined)
      return { ok: false, reason: `unknown action ${JSON.stringify(request?.action)}` };
    try {
      checkTarget(request.target);
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
    const kind = targetScope(request.target);
    if (scope !== 'any' && scope !== kind)
      return { ok: false, reason: `${request.action} takes a ${scope}, not a ${kind}` };
    const unknown = this.#isNode ? targetNodes(request.target).filter((id) => !this.#isNode!(id)) : [];
    if (unknown.length > 0)
      return { ok: false, reason: `unknown node ${unknown.map((id) => JSON.stringify(id)).join(' and ')}` };
    return { ok: true };
  }

  /** Refuses: nothing is applied here. */
  async apply(_request: ActionRequest): Promise<ExecutionResult> {
    return { ok: false, reason: PLAN_ONLY_REASON };
  }

  /** Refuses: nothing was applied, so nothing is undone. */
  async rollback(_request: ActionRequest): Promise<ExecutionResult> {
    return { ok: false, reason: PLAN_ONLY_REASON };
  }
}
