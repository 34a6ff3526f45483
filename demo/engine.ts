/**
 * The playground's engine, as its worker exposes it to the page through comlink: one mesh at a
 * time (a new start stops the previous one), its controls, its live view, the runbooks its
 * diagnoses cite and its RAG search, and the signed audit log in the database the meshes share.
 * Everything here runs in the worker, never on the page's thread.
 */
import type { Target } from '../src/domain/targets.ts';
import { ArgumentError } from '../src/errors.ts';
import type { RagDocument } from '../src/rag/document.ts';
import { RUNBOOKS } from '../src/rag/runbooks.generated.ts';
import type {
  AuditState,
  AuditVerdict,
  FaultOutcome,
  MeshInfo,
  NodeSeries,
  RagHit,
  StartOptions,
  Storage,
  Story,
  View,
} from './protocol.ts';
import { MeshSession } from './session.ts';
import { storyFromRecords } from './stories.ts';
import { PlaygroundStores } from './stores.ts';

/** The playground's database in IndexedDB; PGlite names the IndexedDB database after it. */
const DATABASE = 'x0tta6bl4-playground';
/** Where each kind of storage puts the database. */
const DATA_DIRS: Record<Storage, string> = { indexeddb: `idb://${DATABASE}`, memory: 'memory://' };
/** Past incidents shown after a reload. */
const HISTORY = 20;

/** The worker's API (see the file comment). */
export class PlaygroundEngine {
  #session: MeshSession | undefined;
  /** The start in progress, so that calls made meanwhile wait for its mesh. */
  #starting: Promise<MeshSession> | undefined;
  #stores: Promise<PlaygroundStores> | undefined;
  #storage: Storage = 'indexeddb';

  /**
   * Chooses where the database lives and opens it (before the first start; the default is
   * IndexedDB). Resolves with how many incidents it already holds.
   */
  async openStorage(storage: Storage): Promise<number> {
    if (!Object.hasOwn(DATA_DIRS, storage))
      throw new ArgumentError('storage', `expected indexeddb or memory, got ${JSON.stringify(storage)}`);
    if (this.#stores && storage !== this.#storage) await this.#closeStores();
    this.#storage = storage;
    return (await (await this.#openStores()).history()).incidents.length;
  }

  /** Incidents of earlier meshes and visits, read back from the store, newest first. */
  async history(): Promise<Story[]> {
    const { incidents, actions } = await (await this.#openStores()).history();
    const current = this.#session?.runId;
    return incidents
      .filter((i) => current === undefined || !i.id.startsWith(`${current}-`))
      .sort((a, b) => (a.id < b.id ? 1 : -1))
      .slice(0, HISTORY)
      .map((i) =>
        storyFromRecords(
          i,
          actions.filter((a) => a.incidentId === i.id),
        ),
      );
  }

  /**
   * Forgets everything stored: stops the mesh, deletes the database (its IndexedDB copy too) and
   * opens an empty one. The page starts a new mesh afterwards.
   */
  async reset(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    await this.#session?.stop();
    this.#session = undefined;
    await this.#closeStores();
    if (this.#storage === 'indexeddb') await deleteIndexedDb(DATABASE);
    await this.#openStores();
  }

  /** Stops the running mesh, if any, and starts a new one; resolves with its layout once it runs. */
  async start(options: StartOptions): Promise<MeshInfo> {
    const previous = this.#starting;
    this.#starting = (async () => {
      await previous?.catch(() => undefined);
      await this.#session?.stop();
      this.#session = undefined;
      const stores = await this.#openStores();
      this.#session = await MeshSession.create(options, {
        knowledge: stores.knowledge,
        rag: stores.rag,
        audit: stores.sink,
      });
      return this.#session;
    })();
    return (await this.#starting).info;
  }

  setSpeed(speed: number): void {
    this.#current().setSpeed(speed);
  }

  pause(): void {
    this.#current().pause();
  }

  resume(): void {
    this.#current().resume();
  }

  step(): Promise<void> {
    return this.#current().step();
  }

  /** Injects a fault (see MeshSession.inject); the error names what was wrong. */
  inject(kind: string, target: Target, severity?: number): FaultOutcome {
    return this.#current().inject(kind, target, severity);
  }

  view(): View {
    return this.#current().view();
  }

  stories(limit?: number): Story[] {
    return this.#current().stories(limit);
  }

  faults(): FaultOutcome[] {
    return this.#current().faults();
  }

  series(node: string): NodeSeries {
    return this.#current().series(node);
  }

  /** Runbooks and past incidents ranked for a description of an incident, with their scores. */
  search(query: string, k?: number): Promise<RagHit[]> {
    return this.#current().search(query, k);
  }

  /** The audit log's size and its latest `count` entries. */
  async audit(count = 12): Promise<AuditState> {
    return (await this.#openStores()).auditState(count);
  }

  /** Verifies the audit log; a failure names the first bad entry and why. */
  async verify(): Promise<AuditVerdict> {
    return (await this.#openStores()).verify();
  }

  /** Edits the stored audit entry at `position` behind the log's back; says what changed. */
  async tamper(position: number): Promise<string> {
    return (await this.#openStores()).tamper(position);
  }

  /** A shipped runbook by id, to read what a diagnosis cited. */
  runbook(id: string): RagDocument | undefined {
    return RUNBOOKS.find((r) => r.id === id);
  }

  #openStores(): Promise<PlaygroundStores> {
    this.#stores ??= PlaygroundStores.open(DATA_DIRS[this.#storage]).catch((error) => {
      this.#stores = undefined;
      throw error;
    });
    return this.#stores;
  }

  async #closeStores(): Promise<void> {
    const stores = this.#stores;
    this.#stores = undefined;
    await (await stores?.catch(() => undefined))?.close();
  }

  #current(): MeshSession {
    if (!this.#session) throw new ArgumentError('mesh', 'no mesh is running: start one first');
    return this.#session;
  }
}

/** Deletes the IndexedDB databases PGlite keeps for data directory `name` (its path names them). */
async function deleteIndexedDb(name: string): Promise<void> {
  const all = await indexedDB.databases();
  for (const db of all) {
    if (!db.name?.split('/').includes(name)) continue;
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(db.name!);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error(`IndexedDB database ${db.name} is still open elsewhere`));
    });
  }
}
