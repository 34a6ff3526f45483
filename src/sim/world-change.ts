/**
 * A world that changes under the engine: from a given tick on, one action stops healing one
 * fault kind and another starts to (a vendor patch breaks the usual remedy, a new standby makes
 * another one work). The engine is not told; it has to notice from its outcomes. The simulator
 * applies it (`SimOptions.worldChange`) when an action lands, so a run without it is unchanged.
 */
import { ACTION_KINDS, ACTIONS, type ActionKind } from '../domain/actions.ts';
import { FAULT_SCOPE } from '../domain/faults.ts';
import { ArgumentError } from '../errors.ts';
import { ACTION_EFFECTS } from './actions.ts';
import { SIM_FAULT_KINDS, type SimFaultKind } from './faults.ts';

/** From tick `atTick` on, `stops` no longer heals `kind` and `starts` does. */
export interface WorldChange {
  /** First tick at which actions land under the changed rules. */
  readonly atTick: number;
  /** The fault kind whose remedies change. */
  readonly kind: SimFaultKind;
  /** An action that heals `kind` until the change and never after it. */
  readonly stops: ActionKind;
  /** An action that does not heal `kind` until the change and does after it (on the fault's own target). */
  readonly starts: ActionKind;
}

/**
 * The change if it is one the simulator can make, else an ArgumentError naming the field: `stops`
 * must heal `kind` before the change, `starts` must not, and `starts` must be able to target
 * the kind's scope (a node or a link).
 */
export function checkWorldChange(change: WorldChange, name = 'options.worldChange'): WorldChange {
  if (change === null || typeof change !== 'object') throw new ArgumentError(name, 'must be an object');
  const { atTick, kind, stops, starts } = change;
  if (!Number.isInteger(atTick) || atTick < 0)
    throw new ArgumentError(`${name}.atTick`, `must be an integer >= 0, got ${String(atTick)}`);
  if (!(SIM_FAULT_KINDS as readonly string[]).includes(kind))
    throw new ArgumentError(
      `${name}.kind`,
      `must be one of ${SIM_FAULT_KINDS.join(', ')}, got ${JSON.stringify(kind)}`,
    );
  for (const [field, action] of [
    ['stops', stops],
    ['starts', starts],
  ] as const)
    if (!(ACTION_KINDS as readonly string[]).includes(action))
      throw new ArgumentError(
        `${name}.${field}`,
        `must be one of ${ACTION_KINDS.join(', ')}, got ${JSON.stringify(action)}`,
      );
  const scope = FAULT_SCOPE[kind];
  if (!ACTION_EFFECTS[stops].heals[scope]?.includes(kind))
    throw new ArgumentError(`${name}.stops`, `${stops} does not heal ${kind} to begin with`);
  if (ACTION_EFFECTS[starts].heals[scope]?.includes(kind))
    throw new ArgumentError(`${name}.starts`, `${starts} already heals ${kind}`);
  if (ACTIONS[starts].scope !== 'any' && ACTIONS[starts].scope !== scope)
    throw new ArgumentError(
      `${name}.starts`,
      `${starts} acts on a ${ACTIONS[starts].scope}, ${kind} on a ${scope}`,
    );
  return { atTick, kind, stops, starts };
}
