import type { KnowledgeStore } from './store.ts';
import type { ActionRecord, IncidentRecord, Posterior } from './records.ts';
import type { RunRecord, RunStore } from './runs.ts';

/** A volatile store in plain Maps; values are cloned so callers cannot alias stored state. */
export class MemoryStore implements KnowledgeStore, RunStore {
  readonly #incidents = new Map<string, IncidentRecord>();
  readonly #actions = new Map<string, ActionRecord>();
  readonly #posteriors = new Map<string, Posterior>();
  readonly #values = new Map<string, unknown>();
  readonly #runs = new Map<string, RunRecord>();

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
  async close(): Promise<void> {}
}
