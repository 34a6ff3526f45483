/**
 * Sealed telemetry over HTTP. A node gets a session with the engine the way the session layer
 * was built for: it POSTs its handshake hello to `/v1/sessions` and reads the engine's reply
 * (src/security/handshake.ts), after which both sides hold the same session id (a hash of the
 * transcript) and keys; it then POSTs sealed columnar batches to `/v1/sealed` naming the session
 * in the `X-Session-Id` header. A node without a session (its first report, a rare message)
 * may POST a one-shot sealed message (src/security/oneshot.ts) to `/v1/sealed` without the
 * header. Either way the sender is authenticated by its signing key, whose `owner` is the node it
 * speaks for: it may report that node only, unless its owner is listed as a collector.
 *
 * Sessions are kept in memory, at most `maxSessions` of them: the oldest is forgotten first, and
 * its node simply handshakes again when told its session is unknown.
 */
import { ArgumentError } from '../errors.ts';
import type { ColumnarBatch } from '../monitor/ingest.ts';
import { decodeColumnarBatch } from '../monitor/sealed.ts';
import { UnauthorizedSourceError, UnknownKeyError } from '../security/errors.ts';
import { type HandshakeOptions, HandshakeResponder } from '../security/handshake.ts';
import type { KeyRing, NodeKeys } from '../security/keys.ts';
import { OneShotReceiver } from '../security/oneshot.ts';
import type { Session } from '../security/session.ts';

/** Options of {@link SealedIntake}: the engine's keys and whom it trusts. */
export interface SealedIntakeOptions {
  /** The engine's own keys (its signing key answers hellos, its KEM key opens one-shot messages). */
  keys: NodeKeys;
  /** The public signing keys of the nodes allowed to send; each key's `owner` is its node's id. */
  trust: KeyRing;
  /** Key owners that may report any node (a collector relaying for others). */
  collectors?: readonly string[];
  /** Session tuning (re-keying, freshness, replay window) and the handshake's randomness. */
  session?: HandshakeOptions;
  /** Sessions kept at once (default 10,000); the oldest is forgotten first. */
  maxSessions?: number;
}

/** An opened sealed batch and the node (key owner) that sent it. */
export interface SealedBatch {
  /** The decoded batch. */
  batch: ColumnarBatch;
  /** The sender's node (its signing key's owner). */
  node: string;
}

interface HeldSession {
  session: Session;
  node: string;
}

/** Handshakes, sessions and one-shot messages of the nodes sending sealed telemetry. */
export class SealedIntake {
  readonly #nodes: ReadonlyMap<string, number>;
  readonly #trust: KeyRing;
  readonly #collectors: ReadonlySet<string>;
  readonly #responder: HandshakeResponder;
  readonly #oneShot: OneShotReceiver;
  readonly #sessions = new Map<string, HeldSession>();
  readonly #maxSessions: number;

  /**
   * An intake holding no session yet.
   * @param nodes the engine's node ids, in the index order batches' `sources` use
   * @param options keys, trust and limits; throws an ArgumentError naming a bad one
   */
  constructor(nodes: readonly string[], options: SealedIntakeOptions) {
    if (!options?.keys || typeof options.keys.signingKey !== 'function')
      throw new ArgumentError('sealed.keys', "expected the engine's NodeKeys");
    if (!options.trust || typeof options.trust.require !== 'function')
      throw new ArgumentError('sealed.trust', "expected a KeyRing of the nodes' public keys");
    const maxSessions = options.maxSessions ?? 10_000;
    if (!Number.isSafeInteger(maxSessions) || maxSessions < 1)
      throw new ArgumentError('sealed.maxSessions', 'expected an integer >= 1');
    this.#nodes = new Map(nodes.map((node, i) => [node, i]));
    this.#trust = options.trust;
    this.#collectors = new Set(options.collectors ?? []);
    this.#responder = new HandshakeResponder(options.keys, options.trust, options.session);
    this.#oneShot = new OneShotReceiver(options.keys, options.trust, {
      now: options.session?.now,
      maxAgeMs: options.session?.maxAgeMs,
      maxFutureMs: options.session?.maxFutureMs,
    });
    this.#maxSessions = maxSessions;
  }

  /** Sessions held. */
  get sessions(): number {
    return this.#sessions.size;
  }

  /**
   * Answers a node's hello and keeps the session. Throws the handshake's SecurityErrors, or an
   * UnauthorizedSourceError for a key whose owner is neither a node of the topology nor a collector.
   */
  handshake(hello: Uint8Array): { reply: Uint8Array; sessionId: string; node: string } {
    const { reply, session } = this.#responder.respond(hello);
    const node = this.#ownerOf(session.peerKeyId);
    if (this.#sessions.size >= this.#maxSessions)
      this.#sessions.delete(this.#sessions.keys().next().value as string);
    this.#sessions.set(session.id, { session, node });
    return { reply, sessionId: session.id, node };
  }

  /**
   * Opens an envelope of session `sessionId` and decodes its batch. Throws UnknownKeyError for a
   * session it does not hold (handshake again), the session's SecurityErrors, the batch decoder's
   * MalformedMessageError, or UnauthorizedSourceError for values of a node the sender may not report.
   */
  async open(sessionId: string, envelope: Uint8Array): Promise<SealedBatch> {
    const held = this.#sessions.get(sessionId);
    if (!held) throw new UnknownKeyError(sessionId, `no session ${sessionId}: run the handshake again`);
    const batch = decodeColumnarBatch(await held.session.open(envelope));
    this.#checkSources(batch, held.node);
    return { batch, node: held.node };
  }

  /** Opens a one-shot sealed message and decodes its batch; throws as {@link SealedIntake.open} does. */
  openOneShot(message: Uint8Array): SealedBatch {
    const { payload, sender } = this.#oneShot.open(message);
    const node = this.#ownerOf(sender.id);
    const batch = decodeColumnarBatch(payload);
    this.#checkSources(batch, node);
    return { batch, node };
  }

  #ownerOf(keyId: string): string {
    const owner = this.#trust.get(keyId)?.owner;
    if (owner === undefined || (!this.#nodes.has(owner) && !this.#collectors.has(owner)))
      throw new UnauthorizedSourceError(
        `key ${keyId} belongs to ${String(owner)}, not a node of the topology`,
      );
    return owner;
  }

  /** A node's batch must carry `sources` naming only itself; a collector's may carry anything. */
  #checkSources(batch: ColumnarBatch, node: string): void {
    if (this.#collectors.has(node)) return;
    const own = this.#nodes.get(node);
    const sources = batch.sources;
    const foreign = sources ? sources.some((s) => s !== own) : !(this.#nodes.size === 1 && own === 0);
    if (foreign) throw new UnauthorizedSourceError(`${node} may only report its own values`);
  }
}
