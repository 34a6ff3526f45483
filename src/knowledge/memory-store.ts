import type { KnowledgeStore } from './store.ts';
import type { ActionRecord, IncidentRecord, Posterior } from './records.ts';
import type { RunRecord, RunStore } from './runs.ts';
import type { ModelAliasEvent, ModelStore, ModelVersionRecord } from './models.ts';

/** A volatile store in plain Maps; values are cloned so callers cannot alias stored state. */
export class MemoryStore implements KnowledgeStore, RunStore, ModelStore {
  readonly #incidents = new Map<string, IncidentRecord>();
  readonly #actions = new Map<string, ActionRecord>();
  readonly #posteriors = new Map<string, Posterior>();
  readonly #values = new Map<string, unknown>();
  readonly #runs = new Map<string, RunRecord>();
  readonly #modelVersions = new Map<string, ModelVersionRecord>();
  readonly #aliasEvents = new Map<string, ModelAliasEvent>();

  async putIncident(incident: IncidentRecord): Promise<void> {
    this.#incidents.set(incident.id, structuredClone(incident));
  }
  async putAction(action: ActionRecord): Promise<void> {
    this.#actions.set(action.id, structuredClone(action));
  }
  async putPosterior(posterior: Posterior): Promise<void> {
    this.#posteriors.set(`${posterior.signature}\u0000${posterior.action}`, { ...posterior });
  }
  async putValue(key: string, value: unknown): Promise<void> {
    this.#values.set(key, structuredClone(value));
  }
  async getValue<T>(key: string): Promise<T | undefined> {
    return structuredClone(this.#values.get(key)) as T | undefined;
  }
  async listIncidents(): Promise<IncidentRecord[]> {
    return [...this.#incidents.values()].map((i) => structuredClone(i));
  }
  async listActions(incidentId?: string): Promise<ActionRecord[]> {
    return [...this.#actions.values()]
      .filter((a) => incidentId === undefined || a.incidentId === incidentId)
      .map((a) => structuredClone(a));
  }
  async listPosteriors(): Promise<Posterior[]> {
    return [...this.#posteriors.values()].map((p) => ({ ...p }));
  }
  async putRun(run: RunRecord): Promise<void> {
    this.#runs.set(run.id, structuredClone(run));
  }
  async listRuns(): Promise<RunRecord[]> {
    return [...this.#runs.values()]
      .sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1))
      .map((r) => structuredClone(r));
  }
  async addModelVersion(record: ModelVersionRecord): Promise<boolean> {
    const key = `${record.name}\u0000${record.version}`;
    if (this.#modelVersions.has(key)) return false;
    this.#modelVersions.set(key, structuredClone(record));
    return true;
  }
  async listModelVersions(name?: string): Promise<ModelVersionRecord[]> {
    return [...this.#modelVersions.values()]
      .filter((m) => name === undefined || m.name === name)
      .sort((a, b) => compareText(a.name, b.name) || a.version - b.version)
      .map((m) => structuredClone(m));
  }
  async addModelAliasEvent(event: ModelAliasEvent): Promise<boolean> {
    const key = `${event.name}\u0000${event.alias}\u0000${event.seq}`;
    if (this.#aliasEvents.has(key)) return false;
    this.#aliasEvents.set(key, structuredClone(event));
    return true;
  }
  async listModelAliasEvents(name?: string): Promise<ModelAliasEvent[]> {
    return [...this.#aliasEvents.values()]
      .filter((e) => name === undefined || e.name === name)
      .sort((a, b) => compareText(a.name, b.name) || compareText(a.alias, b.alias) || a.seq - b.seq)
      .map((e) => structuredClone(e));
  }
  async close(): Promise<void> {}
}

/** Orders strings by UTF-16 code units (PostgreSQL's C collation orders ASCII names the same way). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
