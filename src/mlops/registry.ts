/**
 * The model registry: versions of every learnt model (detector parameters and state, the
 * scoring adapter, ONNX models, embedders, success posteriors, the RAG index of past incidents)
 * in the knowledge store, each with its lineage, tags and a digest of its artefact, and aliases
 * (`champion`, `challenger`) moved by promotion and rollback. An alias is a stack: `promote`
 * pushes a version, `rollback` pops back to the one promoted before it (skipping any whose
 * artefact no longer matches its digest), so repeated rollbacks walk back through the promotions
 * instead of bouncing between two versions.
 *
 * Every registration, promotion and rollback is appended to the audit log when one is given,
 * before the store is written (as the loop audits an action before running it): the log never
 * misses a change the store holds.
 */
import { ArgumentError } from '../errors.ts';
import type {
  ModelAliasEvent,
  ModelKind,
  ModelLineage,
  ModelStore,
  ModelVersionRecord,
} from '../knowledge/models.ts';
import { toHex, utf8 } from '../security/bytes.ts';
import { canonicalJson, type JsonValue } from '../security/canonical.ts';
import type { AuditEvent } from '../security/audit-entry.ts';
import { sha256 } from '../security/pq.ts';
import { ModelNotFoundError, ModelTransitionError } from './errors.ts';

/** The kinds of model the registry holds. */
export const MODEL_KINDS: readonly ModelKind[] = [
  'detector',
  'scoring-adapter',
  'onnx',
  'embedder',
  'success-rates',
  'rag-index',
];

/** The alias the engine acts on. */
export const CHAMPION = 'champion';
/** The alias of a version evaluated beside the champion (shadow), never acted on. */
export const CHALLENGER = 'challenger';

/** Where the registry records its changes: an AuditLog (src/security/audit-log.ts) or anything with its `append`. */
export interface ModelAuditLog {
  /** Records one event; the registry awaits it before it answers. */
  append(event: AuditEvent): Promise<unknown>;
}

/** Options of {@link ModelRegistry}. */
export interface ModelRegistryOptions {
  /** Receives a `model.register`, `model.promote` or `model.rollback` entry before each change is stored. */
  audit?: ModelAuditLog;
  /** The audit entries' actor (default 'registry'; the CLI passes 'operator'). */
  actor?: string;
  /** Wall clock in ms since the epoch (default Date.now). */
  now?: () => number;
}

/** What {@link ModelRegistry.register} needs; everything but name, kind and artefact is optional. */
export interface RegisterModel {
  /** The model's name (lower case letters, digits, `.`, `_`, `-`). */
  name: string;
  /** What the model is; a name keeps one kind. */
  kind: ModelKind;
  /** The model as JSON (parameters and state, weights, an ONNX file in base64...). */
  artefact: unknown;
  /** Default: the current champion's version, else the newest version, else null. */
  parent?: number | null;
  /** null;|The telemetry it learnt from, in ticks (default null). */
  dataWindow?: { from: number; to: number } | null;
  /** Hyper-parameters and settings it was built with. */
  parameters?: Record<string, unknown>;
  /** Figures measured when it was registered. */
  metrics?: Record<string, number>;
  /** Free labels. */
  tags?: string[];
}

/** One model as `models list` shows it. */
export interface ModelSummary {
  /** The model's name. */
  name: string;
  /** What the model is. */
  kind: ModelKind;
  /** Versions registered. */
  versions: number;
  /** The newest version. */
  latest: number;
  /** Alias -> version it points at now. */
  aliases: Record<string, number>;
}

/** What differs between two versions (of one model or of two). */
export interface ModelDiff {
  /** The first version compared, `<name>@<version>`. */
  a: string;
  /** The second version compared, `<name>@<version>`. */
  b: string;
  /** Whether their artefacts have the same digest. */
  sameArtefact: boolean;
  /** Parameters whose values differ, with both values (absent is undefined). */
  parameters: Record<string, { a: unknown; b: unknown }>;
  /** Metrics of either, with b - a where both have them. */
  metrics: Record<string, { a?: number; b?: number; delta?: number }>;
  /** Tags b has that a has not, and the reverse. */
  tags: { added: string[]; removed: string[] };
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const ALIAS = /^[a-z][a-z0-9-]{0,63}$/;
const TAG = /^[^\s@]{1,64}$/;

/** SHA-256 (hex) of an artefact's canonical JSON. */
export function artefactDigest(artefact: unknown): string {
  return toHex(sha256(utf8(canonicalJson(artefact, 'artefact'))));
}

/** True when a version's artefact still matches the digest it was registered with. */
export function isIntactVersion(record: ModelVersionRecord): boolean {
  try {
    return record.digest === artefactDigest(record.artefact);
  } catch {
    return false;
  }
}

/** Splits `name@version` or `name@alias` (or a bare name) into its parts; ArgumentError when malformed. */
export function parseModelRef(ref: string): { name: string; version?: number; alias?: string } {
  if (typeof ref !== 'string') throw new ArgumentError('model', 'expected name[@version|@alias]');
  const at = ref.indexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  checkName(name);
  if (at < 0) return { name };
  const selector = ref.slice(at + 1);
  if (/^[1-9][0-9]*$/.test(selector)) return { name, version: Number(selector) };
  if (ALIAS.test(selector)) return { name, alias: selector };
  throw new ArgumentError('model', `"${ref}": expected name@<version number> or name@<alias>`);
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name))
    throw new ArgumentError(
      'name',
      `expected a model name of lower-case letters, digits, '.', '_' or '-' (at most 128), got ${JSON.stringify(name)}`,
    );
  return name;
}

function checkAlias(alias: unknown): string {
  if (typeof alias !== 'string' || !ALIAS.test(alias))
    throw new ArgumentError(
      'alias',
      `expected a lower-case alias such as "champion", got ${JSON.stringify(alias)}`,
    );
  return alias;
}

/** The alias's stack of versions after replaying its events in order (top = current). */
function aliasStack(events: readonly ModelAliasEvent[]): number[] {
  const stack: number[] = [];
  for (const event of events) {
    if (event.action === 'promote') {
      if (stack.at(-1) !== event.version) stack.push(event.version);
    } else {
      while (stack.length > 0 && stack.at(-1) !== event.version) stack.pop();
    }
  }
  return stack;
}

/** Versioned models with lineage and aliases, over a {@link ModelStore}; see the module comment. */
export class ModelRegistry {
  readonly #store: ModelStore;
  readonly #audit: ModelAuditLog | undefined;
  readonly #actor: string;
  readonly #now: () => number;

  /** A registry over `store`; throws an `ArgumentError` if it is no model store. */
  constructor(store: ModelStore, options: ModelRegistryOptions = {}) {
    if (!store || typeof store.addModelVersion !== 'function')
      throw new ArgumentError(
        'store',
        'expected a knowledge store with model tables (MemoryStore or PGliteStore)',
      );
    if (options.audit !== undefined && typeof options.audit.append !== 'function')
      throw new ArgumentError('options.audit', 'expected an AuditLog (an object with append)');
    const actor = options.actor ?? 'registry';
    if (typeof actor !== 'string' || actor === '')
      throw new ArgumentError('options.actor', 'expected a non-empty string');
    this.#store = store;
    this.#audit = options.audit;
    this.#actor = actor;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Registers the next version of `input.name` and returns it. When another writer sharing the
   * store (an engine on the same PostgreSQL server) takes that version number first, the next
   * one is tried, a few times, each attempt audited.
   */
  async register(input: RegisterModel): Promise<ModelVersionRecord> {
    if (!input || typeof input !== 'object') throw new ArgumentError('model', 'expected an object');
    const name = checkName(input.name);
    if (!MODEL_KINDS.includes(input.kind))
      throw new ArgumentError(
        'kind',
        `expected one of ${MODEL_KINDS.join(', ')}, got ${JSON.stringify(input.kind)}`,
      );
    const digest = artefactDigest(input.artefact);
    for (let attempt = 1; ; attempt++) {
      const record = await this.#registerOnce(input, name, digest);
      if (record) return record;
      if (attempt === CONCURRENT_ATTEMPTS)
        throw new ModelTransitionError(
          `${name} was registered by other writers meanwhile, ${attempt} times in a row`,
        );
    }
  }

  /** One attempt of {@link register}: the record, or undefined when another writer took its version. */
  async #registerOnce(
    input: RegisterModel,
    name: string,
    digest: string,
  ): Promise<ModelVersionRecord | undefined> {
    // The champion first: a version is registered before it is promoted, so a history read after
    // it holds it, even when another writer registers and promotes in between.
    const champion = aliasStack(await this.#aliasEvents(name, CHAMPION)).at(-1);
    const history = await this.#store.listModelVersions(name);
    const latest = history.at(-1);
    if (latest && latest.kind !== input.kind)
      throw new ArgumentError('kind', `${name} is a ${latest.kind} model, not ${input.kind}`);
    const version = (latest?.version ?? 0) + 1;
    const parent = input.parent === undefined ? (champion ?? latest?.version ?? null) : input.parent;
    if (parent !== null && !history.some((v) => v.version === parent))
      throw new ArgumentError('parent', `${name} has no version ${parent}`);
    const lineage: ModelLineage = {
      parent,
      dataWindow: checkWindow(input.dataWindow ?? null),
      parameters: { ...(input.parameters ?? {}) },
      metrics: checkMetrics(input.metrics ?? {}),
    };
    canonicalJson(lineage.parameters, 'parameters');
    const tags = [...new Set(input.tags ?? [])];
    for (const tag of tags)
      if (typeof tag !== 'string' || !TAG.test(tag))
        throw new ArgumentError(
          'tags',
          `expected tags of 1-64 characters without spaces or '@', got ${JSON.stringify(tag)}`,
        );
    const record: ModelVersionRecord = {
      name,
      version,
      kind: input.kind,
      createdAt: this.#now(),
      digest,
      artefact: input.artefact,
      lineage,
      tags,
    };
    await this.#record('model.register', { name, version, kind: input.kind, digest, parent, tags });
    return (await this.#store.addModelVersion(record)) ? record : undefined;
  }

  /** Every version of `name`, oldest first (ModelNotFoundError when it has none). */
  async versions(name: string): Promise<ModelVersionRecord[]> {
    const history = await this.#store.listModelVersions(checkName(name));
    if (history.length === 0) throw new ModelNotFoundError(`no model named ${name} is registered`);
    return history;
  }

  /**
   * The version `ref` names: `name@3`, `name@champion`, or a bare name (its champion, else its
   * newest version). ModelNotFoundError when there is none.
   */
  async get(ref: string): Promise<ModelVersionRecord> {
    const { name, version, alias } = parseModelRef(ref);
    const history = await this.versions(name);
    let wanted = version;
    if (alias !== undefined) {
      wanted = (await this.aliases(name))[alias];
      if (wanted === undefined) throw new ModelNotFoundError(`${name} has no alias ${alias}`);
    } else if (wanted === undefined) {
      wanted = (await this.aliases(name))[CHAMPION] ?? history.at(-1)!.version;
    }
    const found = history.find((v) => v.version === wanted);
    if (!found)
      throw new ModelNotFoundError(`${name} has no version ${wanted} (it has 1-${history.at(-1)!.version})`);
    return found;
  }

  /** Alias -> version for `name` (empty when none is set). */
  async aliases(name: string): Promise<Record<string, number>> {
    const events = await this.#store.listModelAliasEvents(checkName(name));
    const out: Record<string, number> = {};
    for (const alias of new Set(events.map((e) => e.alias))) {
      const top = aliasStack(events.filter((e) => e.alias === alias)).at(-1);
      if (top !== undefined) out[alias] = top;
    }
    return out;
  }

  /** The events of `name`'s `alias`, oldest first: the promotion and rollback history. */
  async aliasHistory(name: string, alias = CHAMPION): Promise<ModelAliasEvent[]> {
    return this.#aliasEvents(checkName(name), checkAlias(alias));
  }

  /** Every registered model, by name. */
  async models(): Promise<ModelSummary[]> {
    const versions = await this.#store.listModelVersions();
    const names = [...new Set(versions.map((v) => v.name))];
    const out: ModelSummary[] = [];
    for (const name of names) {
      const own = versions.filter((v) => v.name === name);
      out.push({
        name,
        kind: own.at(-1)!.kind,
        versions: own.length,
        latest: own.at(-1)!.version,
        aliases: await this.aliases(name),
      });
    }
    return out;
  }

  /**
   * Points `alias` (default champion) of `name` at `version`; returns the stored event. When
   * another writer moves the alias at the same moment, the promotion goes after its change (a
   * few times at most).
   */
  async promote(
    name: string,
    version: number,
    options: { alias?: string; reason?: string } = {},
  ): Promise<ModelAliasEvent> {
    const alias = checkAlias(options.alias ?? CHAMPION);
    const target = await this.get(`${checkName(name)}@${checkVersion(version)}`);
    if (!isIntactVersion(target))
      throw new ModelTransitionError(
        `${name}@${version} does not match its digest: refusing to promote a corrupted version`,
      );
    for (let attempt = 1; ; attempt++) {
      const events = await this.#aliasEvents(name, alias);
      const from = aliasStack(events).at(-1) ?? null;
      const change = { name, alias, action: 'promote' as const, version, reason: options.reason };
      try {
        return await this.#move(events, change, from);
      } catch (error) {
        if (!(error instanceof ConcurrentChangeError) || attempt === CONCURRENT_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * The version a rollback of `alias` (default champion) would return to: the newest intact
   * version promoted before the current one; undefined when there is none.
   */
  async rollbackTarget(name: string, alias = CHAMPION): Promise<ModelVersionRecord | undefined> {
    const stack = aliasStack(await this.#aliasEvents(checkName(name), checkAlias(alias)));
    const history = await this.#store.listModelVersions(name);
    for (let i = stack.length - 2; i >= 0; i--) {
      const candidate = history.find((v) => v.version === stack[i]);
      if (candidate && isIntactVersion(candidate)) return candidate;
    }
    return undefined;
  }

  /** Returns `alias` (default champion) of `name` to {@link rollbackTarget}; returns the stored event. */
  async rollback(name: string, options: { alias?: string; reason?: string } = {}): Promise<ModelAliasEvent> {
    const alias = checkAlias(options.alias ?? CHAMPION);
    const events = await this.#aliasEvents(checkName(name), alias);
    const from = aliasStack(events).at(-1);
    if (from === undefined) throw new ModelTransitionError(`${name} has no ${alias} to roll back`);
    const target = await this.rollbackTarget(name, alias);
    if (!target)
      throw new ModelTransitionError(
        `${name}@${alias} (version ${from}) has no earlier intact version to roll back to`,
      );
    return this.#move(
      events,
      { name, alias, action: 'rollback', version: target.version, reason: options.reason },
      from,
    );
  }

  /** What differs between two versions, given as refs (`name@version`, `name@alias`, `name`). */
  async diff(refA: string, refB: string): Promise<ModelDiff> {
    const [a, b] = [await this.get(refA), await this.get(refB)];
    const parameters: ModelDiff['parameters'] = {};
    for (const key of new Set(
      [...Object.keys(a.lineage.parameters), ...Object.keys(b.lineage.parameters)].sort(),
    )) {
      const [va, vb] = [a.lineage.parameters[key], b.lineage.parameters[key]];
      if (
        canonicalJson(va ?? null) !== canonicalJson(vb ?? null) ||
        (va === undefined) !== (vb === undefined)
      )
        parameters[key] = { a: va, b: vb };
    }
    const metrics: ModelDiff['metrics'] = {};
    for (const key of new Set(
      [...Object.keys(a.lineage.metrics), ...Object.keys(b.lineage.metrics)].sort(),
    )) {
      const [ma, mb] = [a.lineage.metrics[key], b.lineage.metrics[key]];
      metrics[key] = { a: ma, b: mb, ...(ma !== undefined && mb !== undefined ? { delta: mb - ma } : {}) };
    }
    return {
      a: `${a.name}@${a.version}`,
      b: `${b.name}@${b.version}`,
      sameArtefact: a.digest === b.digest,
      parameters,
      metrics,
      tags: {
        added: b.tags.filter((t) => !a.tags.includes(t)),
        removed: a.tags.filter((t) => !b.tags.includes(t)),
      },
    };
  }

  async #aliasEvents(name: string, alias: string): Promise<ModelAliasEvent[]> {
    return (await this.#store.listModelAliasEvents(name)).filter((e) => e.alias === alias);
  }

  async #move(
    events: readonly ModelAliasEvent[],
    change: Pick<ModelAliasEvent, 'name' | 'alias' | 'action' | 'version' | 'reason'>,
    from: number | null,
  ): Promise<ModelAliasEvent> {
    const event: ModelAliasEvent = {
      name: change.name,
      alias: change.alias,
      seq: (events.at(-1)?.seq ?? -1) + 1,
      action: change.action,
      version: change.version,
      at: this.#now(),
      ...(change.reason === undefined ? {} : { reason: String(change.reason) }),
    };
    await this.#record(`model.${change.action}`, {
      name: event.name,
      alias: event.alias,
      from,
      to: event.version,
      ...(event.reason === undefined ? {} : { reason: event.reason }),
    });
    if (!(await this.#store.addModelAliasEvent(event)))
      throw new ConcurrentChangeError(`${event.name}@${event.alias} was changed by another writer meanwhile`);
    return event;
  }

  async #record(kind: string, data: Record<string, JsonValue>): Promise<void> {
    await this.#audit?.append({ kind, actor: this.#actor, data });
  }
}

/** How many times a registration or promotion is tried when other writers keep getting there first. */
const CONCURRENT_ATTEMPTS = 5;

/** An alias another writer moved between reading its events and adding one. */
class ConcurrentChangeError extends ModelTransitionError {}

function checkVersion(version: unknown): number {
  if (!Number.isInteger(version) || (version as number) < 1)
    throw new ArgumentError('version', `expected an integer >= 1, got ${String(version)}`);
  return version as number;
}

function checkWindow(window: { from: number; to: number } | null): { from: number; to: number } | null {
  if (window === null) return null;
  if (!window || !Number.isFinite(window.from) || !Number.isFinite(window.to) || window.to < window.from)
    throw new ArgumentError('dataWindow', 'expected { from, to } with finite from <= to (ticks)');
  return { from: window.from, to: window.to };
}

function checkMetrics(metrics: Record<string, number>): Record<string, number> {
  if (!metrics || typeof metrics !== 'object')
    throw new ArgumentError('metrics', 'expected an object of numbers');
  for (const [key, value] of Object.entries(metrics))
    if (!Number.isFinite(value))
      throw new ArgumentError(`metrics.${key}`, `expected a finite number, got ${String(value)}`);
  return { ...metrics };
}
