/**
 * One JSON POST under a deadline, for the engine's outgoing webhooks (the webhook executor and
 * the alert sender): the deadline covers the whole exchange, body included; redirects are not
 * followed (a signed request goes where it was configured to, or fails); a receiver's answer is
 * read up to a cap; and every way it can go wrong comes back as a reason instead of a throw.
 * Also the checks of the URL and timeout options the webhook clients share.
 */

import { ArgumentError } from '../errors.ts';

/** The part of `fetch` the engine's webhooks use; injectable for tests. */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

/** How the POST ended: an HTTP answer, or a failure that never got one. */
export type PostOutcome =
  | { answered: true; status: number; statusText: string; body: string }
  | { answered: false; reason: string };

/** How much of a receiver's answer is read: enough for a JSON verdict, not a flood. */
const ANSWER_CAP_BYTES = 64 * 1024;

/** What to POST, where, and how long to wait. */
export interface PostRequest {
  /** The receiver's URL. */
  url: string;
  /** The JSON text sent as the body. */
  body: string;
  /** Extra headers (the signature's). */
  headers?: Record<string, string>;
  /** Milliseconds until the exchange is abandoned. */
  timeoutMs: number;
  /** The fetch to use. */
  fetch: FetchFunction;
}

/** POSTs `request.body` as JSON; resolves with the answer or why there was none, never rejects. */
export async function postJson(request: PostRequest): Promise<PostOutcome> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.timeoutMs);
  try {
    const response = await request.fetch(request.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...request.headers },
      body: request.body,
      signal: controller.signal,
      redirect: 'manual',
    });
    const body = await readCapped(response);
    return { answered: true, status: response.status, statusText: response.statusText, body };
  } catch (error) {
    return {
      answered: false,
      reason: timedOut ? `timed out after ${request.timeoutMs} ms` : `request failed: ${describe(error)}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** The answer's first ANSWER_CAP_BYTES as text; the rest is discarded unread. */
async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < ANSWER_CAP_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
  }
  if (size >= ANSWER_CAP_BYTES) await reader.cancel().catch(() => undefined);
  const bytes = new Uint8Array(Math.min(size, ANSWER_CAP_BYTES));
  let at = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - at);
    bytes.set(part, at);
    at += part.length;
  }
  return new TextDecoder().decode(bytes);
}

/** An error's message with its cause's (fetch says "fetch failed"; the cause says why). */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error && cause.message && cause.message !== message
    ? `${message} (${cause.message})`
    : message;
}

/** `value` as an http(s) URL; throws ArgumentError naming `argument` otherwise. */
export function checkUrl(value: unknown, argument: string): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new ArgumentError(argument, `expected an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (typeof value !== 'string' || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new ArgumentError(argument, `expected an http(s) URL, got ${JSON.stringify(value)}`);
  return value;
}

/** The longest delay a timer takes (2^31 - 1 ms); a longer one would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** `value` as a timeout in milliseconds (positive, at most 2^31 - 1); throws ArgumentError otherwise. */
export function checkTimeout(value: unknown, argument: string): number {
  if (typeof value !== 'number' || !(value > 0 && value <= MAX_TIMER_MS))
    throw new ArgumentError(argument, `expected 1..${MAX_TIMER_MS} milliseconds, got ${String(value)}`);
  return value;
}
