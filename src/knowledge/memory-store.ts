import type { KnowledgeStore } from './store.ts';
import type { ActionRecord, IncidentRecord, Posterior } from './records.ts';

/** A volatile store in plain Maps; values are cloned so callers cannot alias stored state. */
export class MemoryStore implements KnowledgeStore {
  readonly #incidents = new Map<string, IncidentRecord>();
  readonly #actions = new Map<string, ActionRecord>();
  readonly #posteriors = new Map<string, Posterior>();
  readonly #values = new Map<string, unknown>();

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
  async close(): Promise<void> {}
}
