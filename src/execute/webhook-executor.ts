/**
 * An executor that hands each action to the operator's own automation over HTTP: a JSON POST of
 * `{ id, incidentId, action, target, phase }` (phase `apply`, `rollback`, `dry-run` or `verify`;
 * target `{ node }` or `{ link: [a, b] }`), signed when a secret is configured (headers and the
 * verification recipe in webhook-signature.ts).
 *
 * The receiver's answer is the outcome: a 2xx succeeds unless its body is JSON saying
 * `{ "ok": false, "reason": "..." }`; any other status, a network failure or the timeout fails,
 * with a reason naming which. Redirects are not followed. Nothing is retried here: the safety
 * rails decide whether an action is tried again, and an `apply` that timed out may still have
 * been carried out, so a receiver should treat a repeated `(id, phase)` as the same request.
 *
 * Dry runs stay local by default: `dryRun` checks the request's shape (and the action against
 * `actions`, when given) without calling the receiver, so a dry-run engine (`--dry-run`, replay)
 * never reaches into the operator's systems. With `remoteDryRun` the receiver is asked as well
 * (phase `dry-run`), for automation that can check an action without doing it.
 */
import { ArgumentError } from '../errors.ts';
import { checkTarget } from '../domain/targets.ts';
import type { ActionRequest, ExecutionResult, Executor } from './executor.ts';
import { checkTimeout, checkUrl, type FetchFunction, type PostOutcome, postJson } from './http-post.ts';
import { signWebhook } from './webhook-signature.ts';

/** What a webhook request asks the receiver to do. */
export type WebhookPhase = 'dry-run' | 'apply' | 'rollback' | 'verify';

/** Options of {@link WebhookExecutor}. */
export interface WebhookExecutorOptions {
  /** The receiver's `http:` or `https:` URL. */
  url: string;
  /** Shared secret: when set, every request is signed (see webhook-signature.ts). */
  secret?: string;
  /** Milliseconds until a request is abandoned as failed (default 10,000). */
  timeoutMs?: number;
  /** The fetch to use (default the global one); injectable for tests. */
  fetch?: FetchFunction;
  /** The action names the receiver handles; when given, `dryRun` refuses any other. */
  actions?: readonly string[];
  /** Ask the receiver during dry runs too (phase `dry-run`) instead of checking locally only (default false). */
  remoteDryRun?: boolean;
  /** Ask the receiver (phase `verify`) whether the target is healthy after an action (default false). */
  verify?: boolean;
}

/** Default milliseconds a webhook request may take. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** How much of a failed answer's body goes into the reason. */
const REASON_TAIL_CHARS = 300;

/** Carries actions out by POSTing them to a webhook (see the module's comment). */
export class WebhookExecutor implements Executor {
  /**
   * Present when `options.verify` is set: POSTs phase `verify` and resolves true only when the
   * receiver's answer succeeds as an `apply` would.
   */
  readonly verify?: (request: ActionRequest) => Promise<boolean>;
  readonly #url: string;
  readonly #secret: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: FetchFunction;
  readonly #actions: ReadonlySet<string> | undefined;
  readonly #remoteDryRun: boolean;

  /** An executor posting to `options.url`; throws ArgumentError naming the option that is wrong. */
  constructor(options: WebhookExecutorOptions) {
    this.#url = checkUrl(options?.url, 'url');
    if (options.secret !== undefined && (typeof options.secret !== 'string' || options.secret === ''))
      throw new ArgumentError('secret', 'expected a non-empty string shared with the receiver');
    this.#secret = options.secret;
    this.#timeoutMs = checkTimeout(options.timeoutMs ?? WEBHOOK_TIMEOUT_MS, 'timeoutMs');
    if (options.fetch !== undefined && typeof options.fetch !== 'function')
      throw new ArgumentError('fetch', 'expected a function');
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    if (options.actions !== undefined) {
      if (!Array.isArray(options.actions) || !options.actions.every((a) => typeof a === 'string' && a !== ''))
        throw new ArgumentError('actions', 'expected an array of action names');
      this.#actions = new Set(options.actions);
    }
    this.#remoteDryRun = options.remoteDryRun === true;
    if (options.verify === true) this.verify = async (request) => (await this.#send(request, 'verify')).ok;
  }

  /** Checks the request locally (and asks the receiver too with `remoteDryRun`). */
  async dryRun(request: ActionRequest): Promise<ExecutionResult> {
    const refusal = this.#refusal(request);
    if (refusal) return { ok: false, reason: refusal };
    return this.#remoteDryRun ? this.#send(request, 'dry-run') : { ok: true };
  }

  /** POSTs phase `apply`; the receiver's answer is the outcome. */
  apply(request: ActionRequest): Promise<ExecutionResult> {
    return this.#send(request, 'apply');
  }

  /** POSTs phase `rollback`; the receiver's answer is the outcome. */
  rollback(request: ActionRequest): Promise<ExecutionResult> {
    return this.#send(request, 'rollback');
  }

  async #send(request: ActionRequest, phase: WebhookPhase): Promise<ExecutionResult> {
    const refusal = this.#refusal(request);
    if (refusal) return { ok: false, reason: refusal };
    const { id, incidentId, action, target } = request;
    const body = JSON.stringify({ id, incidentId, action, target, phase });
    const post = await postJson({
      url: this.#url,
      body,
      headers: this.#secret === undefined ? {} : signWebhook(this.#secret, body),
      timeoutMs: this.#timeoutMs,
      fetch: this.#fetch,
    });
    return webhookOutcome(post, `webhook ${phase}`);
  }

  /** Why the request cannot be sent at all, if it cannot. */
  #refusal(request: ActionRequest): string | undefined {
    if (typeof request?.action !== 'string' || request.action === '') return 'the request names no action';
    if (this.#actions && !this.#actions.has(request.action))
      return `the webhook does not handle "${request.action}" (it handles ${[...this.#actions].join(', ')})`;
    try {
      checkTarget(request.target);
    } catch (error) {
      return (error as Error).message;
    }
    return undefined;
  }
}

/**
 * The outcome of a webhook exchange: a 2xx succeeds unless its JSON body says `ok: false`; any
 * other answer, or none, fails with a reason starting with `what`.
 */
function webhookOutcome(post: PostOutcome, what: string): ExecutionResult {
  if (!post.answered) return { ok: false, reason: `${what} ${post.reason}` };
  const verdict = verdictOf(post.body);
  if (post.status >= 200 && post.status < 300)
    return verdict?.ok === false
      ? { ok: false, reason: `${what} refused by the receiver: ${verdict.reason ?? 'no reason given'}` }
      : { ok: true };
  const status = `HTTP ${post.status}${post.statusText ? ` ${post.statusText}` : ''}`;
  const detail = verdict?.reason ?? post.body.trim().slice(-REASON_TAIL_CHARS);
  return { ok: false, reason: `${what} answered ${status}${detail ? `: ${detail}` : ''}` };
}

/** The `{ ok, reason }` a JSON answer carries, if it is a JSON object. */
function verdictOf(body: string): { ok?: unknown; reason?: string } | undefined {
  if (!body.trimStart().startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(body) as { ok?: unknown; reason?: unknown };
    return { ok: parsed.ok, ...(typeof parsed.reason === 'string' ? { reason: parsed.reason } : {}) };
  } catch {
    return undefined;
  }
}
