/**
 * Knowledge, the model registry, the audit log and the RAG documents on a PostgreSQL server,
 * through the `postgres` client (porsager/postgres; Node, Deno and Bun): the same SQL, schema and
 * migrations as PGlite (src/knowledge/sql*.ts), so several engines can share one store. A
 * separate entry point (`x0tta6bl4/knowledge/postgres`), so browsers never load the client.
 *
 * Engines writing together: every record is keyed by an id of its run (src/knowledge/ids.ts) and
 * written in one statement, so no engine overwrites or duplicates another's; migrations run once
 * under an advisory lock however many engines start together; and each engine signs its own
 * audit chain, named by its run id ({@link PostgresStore.auditStore}), verified chain by chain.
 *
 * A server out of reach for a while (refused, cut off, restarting): every statement waits for it,
 * retrying for up to `outageMs`, so the engine's direct reads and writes (runs, the registry, RAG
 * documents) ride out an outage; the loop's knowledge writes wait in its WriteQueue meanwhile,
 * which keeps them, in order, even past `outageMs` and writes them once the server answers
 * again. Knowledge statements are idempotent (keyed upserts), so one retried after its commit
 * went unacknowledged changes nothing; audit writes instead re-check before each retry whether
 * the write had landed, since their positions must not be written twice.
 */
import postgres from 'postgres';
import { ArgumentError } from '../errors.ts';
import { StoreUnreachableError } from './errors.ts';
import { type SqlDatabase, type SqlResult, type SqlSession, isPostgresUrl, migrateStore } from './sql.ts';
import { SqlAuditStore, auditChains } from './sql-audit-store.ts';
import { SqlKnowledgeStore } from './sql-store.ts';
import { SqlRagStore } from './sql-rag-store.ts';

export { SqlAuditStore } from './sql-audit-store.ts';
export { SqlKnowledgeStore } from './sql-store.ts';
export { SqlRagStore } from './sql-rag-store.ts';
export { StoreUnreachableError } from './errors.ts';
export { isPostgresUrl } from './sql.ts';
export type { SqlDatabase, SqlResult, SqlSession } from './sql.ts';

/** Options of {@link PostgresStore.open}. */
export interface PostgresStoreOptions {
  /** Refuse a database that holds no store yet instead of creating one (for readers). */
  existing?: boolean;
  /** How long an audit write waits for an unreachable server before it fails (ms, default 60,000). */
  outageMs?: number;
  /** Connections in the client's pool (default 4). */
  connections?: number;
  /** How long one connection attempt may take (s, default 10). */
  connectTimeoutSeconds?: number;
}

/** `url` without its password, for messages. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** A pooled client of the server at `url`. */
function connect(url: string, connections: number, connectTimeoutSeconds: number) {
  return postgres(url, {
    max: connections,
    connect_timeout: connectTimeoutSeconds,
    onnotice: () => {},
    // The client would look up every array type on each new connection, in a query whose failure
    // (the server going away just then) nothing can catch (porsager/postgres 3.4): the stores
    // bind only text[] and float8[], whose serializers are given here instead.
    fetch_types: false,
    types: {
      // Records go in as the JSON text the stores make (a JSONB column parses it), not re-encoded.
      json: {
        to: 3802,
        from: [114, 3802],
        serialize: (x: unknown) => (typeof x === 'string' ? x : JSON.stringify(x)),
        parse: (x: string) => JSON.parse(x),
      },
      textArray: {
        to: 1009,
        from: [],
        serialize: (xs: readonly unknown[]) =>
          `{${xs.map((x) => `"${String(x).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`,
        parse: (x: string) => x,
      },
      float8Array: {
        to: 1022,
        from: [],
        serialize: (xs: readonly number[]) => `{${xs.map((x) => String(x)).join(',')}}`,
        parse: (x: string) => x,
      },
    },
  });
}

type Client = ReturnType<typeof connect>;

/** The knowledge store on a PostgreSQL server; open with `PostgresStore.open(url)`. */
export class PostgresStore extends SqlKnowledgeStore {
  readonly #db: SqlDatabase;
  readonly #outageMs: number;
  /** The server's URL, without its password. */
  readonly label: string;

  private constructor(db: SqlDatabase, client: Client, label: string, outageMs: number) {
    super(waitingOutOutages(db, outageMs), () => client.end({ timeout: 5 }));
    this.#db = db;
    this.label = label;
    this.#outageMs = outageMs;
  }

  /**
   * Connects to the server at `url` and creates or migrates the store's tables there (once,
   * however many engines start together). StoreUnreachableError when the server cannot be
   * reached; NotAStoreError when the database holds someone else's tables (or, with
   * `existing`, no store).
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    if (!isPostgresUrl(url)) throw new ArgumentError('url', 'expected a postgres:// or postgresql:// URL');
    const outageMs = options.outageMs ?? 60_000;
    if (!Number.isFinite(outageMs) || outageMs < 0)
      throw new ArgumentError('options.outageMs', 'expected a duration in ms >= 0');
    const connections = options.connections ?? 4;
    if (!Number.isSafeInteger(connections) || connections < 1)
      throw new ArgumentError('options.connections', 'expected an integer >= 1');
    const connectTimeout = options.connectTimeoutSeconds ?? 10;
    if (!Number.isFinite(connectTimeout) || connectTimeout <= 0)
      throw new ArgumentError('options.connectTimeoutSeconds', 'expected a duration in s > 0');
    const label = redactUrl(url);
    const client = connect(url, connections, connectTimeout);
    const db = clientDatabase(client);
    try {
      await migrateStore(db, label, options.existing === true);
    } catch (error) {
      await client.end({ timeout: 0 });
      if (isConnectionError(error))
        throw new StoreUnreachableError(`PostgreSQL at ${label} is unreachable: ${messageOf(error)}`, {
          cause: error,
        });
      throw error;
    }
    return new PostgresStore(db, client, label, outageMs);
  }

  /**
   * The audit store of chain `chain` (an engine's run id; '' is a PGlite store's one chain, as
   * a store copied over from PGlite holds). Its writes wait out an unreachable server (see the
   * file comment).
   */
  auditStore(chain: string): PostgresAuditStore {
    if (typeof chain !== 'string') throw new ArgumentError('chain', 'expected a string');
    return new PostgresAuditStore(this.#db, chain, this.#outageMs);
  }

  /** The chains the audit log holds, in order of name. */
  auditChains(): Promise<string[]> {
    return auditChains(waitingOutOutages(this.#db, this.#outageMs));
  }

  /** The RAG documents kept in this store (their statements wait out an outage, see the file comment). */
  ragStore(): SqlRagStore {
    return new SqlRagStore(waitingOutOutages(this.#db, this.#outageMs));
  }
}

/** An audit chain on a PostgreSQL server whose writes wait out an unreachable server (see the file comment). */
export class PostgresAuditStore extends SqlAuditStore {
  readonly #outageMs: number;

  /**
   * The store of `chain` in `db` (use {@link PostgresStore.auditStore}).
   * @param outageMs how long a write retries while the server is out of reach
   */
  constructor(db: SqlDatabase, chain: string, outageMs: number) {
    super(db, chain);
    this.#outageMs = outageMs;
  }

  /**
   * Runs `write`, retrying while the server is out of reach (connection refused, cut or timed
   * out) for up to `outageMs`; before each retry, `landed` tells whether the last attempt was
   * committed although its answer was lost, and then nothing is written again.
   */
  protected override persist(write: () => Promise<void>, landed: () => Promise<boolean>): Promise<void> {
    return untilReachable(this.#outageMs, async (attempt) => {
      if (attempt > 0 && (await landed())) return;
      await write();
    });
  }
}

/**
 * Runs `work` (given its attempt number from 0) until it does not fail for want of the server,
 * retrying with a backoff of 50 ms doubling up to 1 s for at most `outageMs`; a refusal of the
 * statement itself, or an outage longer than that, is thrown.
 */
async function untilReachable<T>(outageMs: number, work: (attempt: number) => Promise<T>): Promise<T> {
  const deadline = Date.now() + outageMs;
  let delay = 50;
  for (let attempt = 0; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (!isConnectionError(error) || Date.now() + delay > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 1_000);
  }
}

/** `db` with each statement, script and transaction retried while the server is out of reach. */
function waitingOutOutages(db: SqlDatabase, outageMs: number): SqlDatabase {
  return {
    query: (text, params) => untilReachable(outageMs, () => db.query(text, params)),
    exec: (text) => untilReachable(outageMs, () => db.exec(text)),
    transaction: (work) => untilReachable(outageMs, () => db.transaction(work)),
  };
}

/**
 * True for a failure to reach or stay connected to the server (refused, reset, timed out, the
 * server shutting down or starting up), which a later attempt may not meet; false for a refusal
 * of the statement itself (a constraint, a syntax error) or a client that was closed.
 */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  return (
    CONNECTION_CODES.has(code) ||
    code.startsWith('08') || // connection exception
    code === '57P01' || // admin shutdown
    code === '57P02' || // crash shutdown
    code === '57P03' // cannot connect now (starting up)
  );
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
]);

function messageOf(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}

/** A `postgres` client (or one of its transactions) as the stores' query interface. */
function clientSession(sql: postgres.Sql | postgres.TransactionSql): SqlSession {
  return {
    async query<T>(text: string, params: readonly unknown[] = []): Promise<SqlResult<T>> {
      const result = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
      return { rows: [...result] as T[], affectedRows: result.count ?? 0 };
    },
    async exec(text: string): Promise<void> {
      await sql.unsafe(text);
    },
  };
}

function clientDatabase(client: Client): SqlDatabase {
  return {
    ...clientSession(client),
    transaction: <T>(work: (tx: SqlSession) => Promise<T>) =>
      client.begin((tx) => work(clientSession(tx))) as Promise<T>,
  };
}
