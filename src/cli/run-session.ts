/**
 * The durable side of `x0tta6bl4 run`: the store (a directory opened under its writer lock, or
 * memory), the signing keys (the operator's key file, or a key made for this run), the signed
 * audit log, and the run's record. A session starts with a `run.start` entry and the run's
 * record; `finish()` appends `run.end`, seals everything, records the log's checkpoint (entries
 * and head) in the store and the `--checkpoint` file, and lets the store go.
 *
 * With a store directory the session also carries the engine's learning across runs
 * (src/run/learning.ts): `restoreLearning()` before the run starts from the models the last run
 * registered, `saveLearning()` after it registers what this one learnt (each step audited).
 *
 * `--store postgres://...` keeps all of it on a PostgreSQL server that several engines share
 * (src/knowledge/postgres-store.ts): the run signs its own audit chain, named by its run id.
 *
 * Without a store directory or server the log lives in memory and the `--audit` file is rewritten
 * atomically at every seal (at least once a second while entries arrive), so a killed run
 * leaves a verifiable file missing at most its last second, never a half-written one.
 */
import { hostname } from 'node:os';
import process from 'node:process';
import { newRunId } from '../knowledge/ids.ts';
import { MemoryStore } from '../knowledge/memory-store.ts';
import type { PGliteStore } from '../knowledge/pglite-store.ts';
import { RUN_END_KIND, RUN_START_KIND, type RunRecord, type RunStore } from '../knowledge/runs.ts';
import { isPostgresUrl } from '../knowledge/sql.ts';
import type { ModelStore, ModelVersionRecord } from '../knowledge/models.ts';
import type { ModelAuditLog } from '../mlops/registry.ts';
import type { KnowledgeStore } from '../knowledge/store.ts';
import { AuditLogSink } from '../loop/audit-sink.ts';
import type { RagStore } from '../rag/store.ts';
import {
  type LearntModels,
  type RestoredLearning,
  restoreLearning,
  type SaveLearningOptions,
  saveLearning,
} from '../run/learning.ts';
import type { AuditEntry, BatchSeal, StoredEntry, UnsealedEntry } from '../security/audit-entry.ts';
import { AuditLog, type AuditCheckpoint } from '../security/audit-log.ts';
import { MemoryAuditStore, exportAuditFile, type AuditStore } from '../security/audit-store.ts';
import { NodeKeys } from '../security/keys.ts';
import type { OptionSpecs, OptionValues } from './args.ts';
import { writeFileAtomic, writeJsonAtomic } from './atomic-write.ts';
import { inputName } from './input.ts';
import { loadOperatorKeys } from './operator-keys.ts';

/**
 * The command-line options a {@link RunSession} is opened from, declared once for every command
 * that opens one (`run`, `serve`): spread them into the command's options.
 */
export const RUN_SESSION_OPTIONS = {
  store: {
    type: 'string',
    value: 'memory|DIR|URL',
    default: 'memory',
    help: 'where knowledge and the audit log live: memory, a PGlite directory, or a postgres:// server',
  },
  audit: {
    type: 'string',
    value: 'FILE',
    default: 'audit.json',
    help: 'the audit log file with --store memory',
  },
  keys: {
    type: 'input',
    help: 'sign the log with this key file (x0tta6bl4 keys generate); else a key made at start dies at exit',
  },
  'passphrase-env': {
    type: 'string',
    value: 'VAR',
    help: "the variable holding the key file's passphrase",
  },
} as const satisfies OptionSpecs;

/** Options of {@link RunSession.open}, from the command line of `run` or `serve`. */
export interface RunSessionOptions {
  /** 'memory', a store directory, or a PostgreSQL server's `postgres://` URL. */
  store: string;
  /** The audit file of a memory run. */
  auditFile: string;
  /** The operator's key file (`x0tta6bl4 keys generate`); else a key made for this run. */
  keyFile?: string;
  /** The environment variable holding the key file's passphrase. */
  passphraseEnv?: string;
  /** Where to write the log's checkpoint at the end. */
  checkpointFile?: string;
  /** Prints a notice (to stderr). */
  notice(line: string): void;
}

/** The part of {@link RunSessionOptions} the options of {@link RUN_SESSION_OPTIONS} give, from their parsed values. */
export function sessionOptionsFrom(
  values: OptionValues<typeof RUN_SESSION_OPTIONS>,
): Pick<RunSessionOptions, 'store' | 'auditFile' | 'keyFile' | 'passphraseEnv'> {
  return {
    store: values.store,
    auditFile: values.audit,
    keyFile: values.keys,
    passphraseEnv: values['passphrase-env'],
  };
}

/** How a run ended. */
export type RunEnd = Exclude<RunRecord['status'], 'running'> | 'failed';

/** An open store, keys and audit log for one run (see the file comment). */
export class RunSession {
  readonly runId: string;
  readonly knowledge: KnowledgeStore & RunStore & ModelStore;
  readonly ragStore: RagStore | undefined;
  readonly sink: AuditLogSink;
  /** Who signs: the key file given, or a note that the key dies with the run. */
  readonly signer: string;
  /** The keys that sign the log (`serve` also answers sealed-telemetry handshakes with them). */
  readonly keys: NodeKeys;
  readonly #log: AuditLog;
  readonly #record: RunRecord;
  readonly #checkpointFile: string | undefined;
  readonly #close: () => Promise<void>;
  readonly #durable: boolean;
  readonly #auditChain: string;

  private constructor(parts: {
    record: RunRecord;
    knowledge: KnowledgeStore & RunStore & ModelStore;
    durable: boolean;
    ragStore: RagStore | undefined;
    log: AuditLog;
    signer: string;
    keys: NodeKeys;
    auditChain: string;
    checkpointFile: string | undefined;
    close: () => Promise<void>;
  }) {
    this.runId = parts.record.id;
    this.#record = parts.record;
    this.knowledge = parts.knowledge;
    this.ragStore = parts.ragStore;
    this.#log = parts.log;
    this.sink = new AuditLogSink(parts.log);
    this.signer = parts.signer;
    this.keys = parts.keys;
    this.#checkpointFile = parts.checkpointFile;
    this.#close = parts.close;
    this.#durable = parts.durable;
    this.#auditChain = parts.auditChain;
  }

  /**
   * Loads the keys, opens the store (StoreLockedError or NotAStoreError for a directory that is
   * busy or not a store), opens the log (sealing a tail an interrupted run left), and records
   * the run's start in both.
   */
  static async open(options: RunSessionOptions): Promise<RunSession> {
    const { keys, signer } = await loadKeys(options);
    const record: RunRecord = {
      id: newRunId(),
      startedAt: Date.now(),
      host: hostname(),
      pid: process.pid,
      status: 'running',
    };
    const opened =
      options.store === 'memory'
        ? memoryStore(options.auditFile, keys)
        : isPostgresUrl(options.store)
          ? await postgresServer(options.store, keys, record.id)
          : await storeDirectory(options.store, keys);
    try {
      const log = await AuditLog.open(opened.audit, keys);
      if (log.recovered > 0)
        options.notice(`sealed ${log.recovered} audit entries an interrupted run left unsealed`);
      await log.append({
        kind: RUN_START_KIND,
        actor: 'engine',
        data: { runId: record.id, host: record.host, pid: record.pid, keyId: keys.signingKey(Date.now()).id },
      });
      await opened.knowledge.putRun(record);
      return new RunSession({
        record,
        knowledge: opened.knowledge,
        durable: options.store !== 'memory',
        ragStore: opened.ragStore,
        log,
        signer,
        keys,
        auditChain: opened.auditChain,
        checkpointFile: options.checkpointFile,
        close: opened.close,
      });
    } catch (error) {
      await opened.close();
      throw error;
    }
  }

  /**
   * What earlier runs on this store learnt (undefined for a memory store, which holds none),
   * with a notice of what was restored and of any model left out.
   */
  async restoreLearning(notice: (line: string) => void): Promise<RestoredLearning | undefined> {
    if (!this.#durable) return undefined;
    const restored = await restoreLearning(this.knowledge);
    for (const line of restored.notes) notice(`learning: ${line}`);
    const versions = Object.entries(restored.versions).map(([key, version]) => `${key}@${version}`);
    notice(
      versions.length > 0
        ? `learning restored from the store: ${versions.join(', ')}`
        : 'learning: the store holds no learnt models yet; the engine starts fresh',
    );
    return restored;
  }

  /**
   * Registers what the run learnt as the next version of each model (parent: the version
   * `restored`), with the figures it learnt them by and the run's id, audited in the run's log;
   * nothing for a memory store.
   */
  async saveLearning(
    learnt: LearntModels,
    restored: RestoredLearning,
    figures: Pick<SaveLearningOptions, 'dataWindow' | 'metrics'>,
  ): Promise<ModelVersionRecord[]> {
    if (!this.#durable) return [];
    return saveLearning(this.knowledge, learnt, {
      ...figures,
      restored,
      audit: this.#log,
      tags: [`run:${this.runId}`],
    });
  }

  /** The run's signed audit log, as the model registry records into it (the shadow's promotions and rollbacks). */
  get modelAudit(): ModelAuditLog {
    return this.#log;
  }

  /** The log's state so far (for progress reports). */
  checkpoint(): AuditCheckpoint {
    return this.#log.checkpoint();
  }

  /**
   * Ends the run: closes the loop's audit sink, appends `run.end`, seals, records the checkpoint
   * (store and `--checkpoint` file) and closes the store. The store is closed even when sealing
   * fails; that failure is then rethrown.
   */
  async finish(status: RunEnd): Promise<AuditCheckpoint> {
    try {
      await this.sink.close();
      await this.#log.append({ kind: RUN_END_KIND, actor: 'engine', data: { runId: this.runId, status } });
      await this.#log.flush();
      const checkpoint = this.#log.checkpoint();
      await this.knowledge.putRun({
        ...this.#record,
        status: status === 'failed' ? 'interrupted' : status,
        endedAt: Date.now(),
        audit: {
          entries: checkpoint.entries,
          head: checkpoint.head,
          ...(this.#auditChain === '' ? {} : { chain: this.#auditChain }),
        },
      });
      if (this.#checkpointFile) await writeJsonAtomic(this.#checkpointFile, checkpoint);
      return checkpoint;
    } finally {
      await this.#close();
    }
  }
}

interface OpenedStore {
  knowledge: KnowledgeStore & RunStore & ModelStore;
  ragStore: RagStore | undefined;
  audit: AuditStore;
  /** The audit chain the run signs: its run id on a server, '' where the store keeps one. */
  auditChain: string;
  close(): Promise<void>;
}

async function loadKeys(options: RunSessionOptions): Promise<{ keys: NodeKeys; signer: string }> {
  if (options.keyFile === undefined) {
    options.notice(
      'signing with a key made for this run (its secret is discarded at exit): the log can only be verified with --trust-embedded; sign with your own key with x0tta6bl4 keys generate and run --keys',
    );
    return { keys: NodeKeys.generate({ owner: 'engine' }), signer: 'a key made for this run' };
  }
  const keys = await loadOperatorKeys(options.keyFile, options.passphraseEnv);
  return { keys, signer: inputName(options.keyFile) };
}

async function storeDirectory(path: string, keys: NodeKeys): Promise<OpenedStore> {
  const [{ openStoreForWriting }, { PGliteAuditStore }, { PGliteRagStore }] = await Promise.all([
    import('../knowledge/store-directory.ts'),
    import('../knowledge/pglite-audit-store.ts'),
    import('../knowledge/pglite-rag-store.ts'),
  ]);
  const opened = await openStoreForWriting(path);
  try {
    const knowledge: PGliteStore = opened.knowledge;
    const audit = await PGliteAuditStore.fromDatabase(knowledge.database);
    await audit.putKeys(keys.ring());
    return {
      knowledge,
      ragStore: await PGliteRagStore.fromDatabase(knowledge.database),
      audit,
      auditChain: '',
      close: () => opened.close(),
    };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

/** The store on a PostgreSQL server: the run signs the audit chain named by its run id. */
async function postgresServer(url: string, keys: NodeKeys, runId: string): Promise<OpenedStore> {
  const { PostgresStore } = await import('../knowledge/postgres-store.ts');
  const knowledge = await PostgresStore.open(url);
  try {
    const audit = knowledge.auditStore(runId);
    await audit.putKeys(keys.ring());
    return {
      knowledge,
      ragStore: knowledge.ragStore(),
      audit,
      auditChain: runId,
      close: () => knowledge.close(),
    };
  } catch (error) {
    await knowledge.close();
    throw error;
  }
}

function memoryStore(auditFile: string, keys: NodeKeys): OpenedStore {
  return {
    knowledge: new MemoryStore(),
    ragStore: undefined,
    audit: new AuditFileStore(auditFile, keys),
    auditChain: '',
    close: async () => {},
  };
}

/** A memory audit store that rewrites its {@link AuditFile} atomically after every seal. */
class AuditFileStore implements AuditStore {
  readonly #memory = new MemoryAuditStore();
  constructor(
    readonly path: string,
    readonly keys: NodeKeys,
  ) {}

  appendEntries(entries: readonly UnsealedEntry[]): Promise<void> {
    return this.#memory.appendEntries(entries);
  }
  async sealBatch(entries: readonly AuditEntry[], seal: BatchSeal): Promise<void> {
    await this.#memory.sealBatch(entries, seal);
    const file = await exportAuditFile(this.#memory, this.keys.ring());
    await writeFileAtomic(this.path, `${JSON.stringify(file, null, 1)}\n`);
  }
  size(): Promise<{ entries: number; seals: number }> {
    return this.#memory.size();
  }
  entries(from: number, to: number): Promise<StoredEntry[]> {
    return this.#memory.entries(from, to);
  }
  seals(from: number, to: number): Promise<BatchSeal[]> {
    return this.#memory.seals(from, to);
  }
}
