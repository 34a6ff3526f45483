/**
 * The signature on the engine's outgoing webhooks (the webhook executor's action requests and
 * the alert sender's notifications), so a receiver can tell that a request comes from an engine
 * holding the shared secret and is not a replay of an old one.
 *
 * Every signed request carries two headers:
 * - `X-X0tta6bl4-Timestamp`: the Unix time in whole seconds at which it was signed;
 * - `X-X0tta6bl4-Signature`: `sha256=` and the lowercase hex HMAC-SHA256, keyed with the shared
 *   secret (its UTF-8 bytes), of the timestamp header's value, a `.`, and the exact body bytes.
 *
 * To verify: read the raw body before parsing it, recompute the HMAC over
 * `<timestamp>.<body>`, compare it with the header in constant time, and refuse a timestamp more
 * than a few minutes from your clock (see {@link verifyWebhookSignature}, which does all three).
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ArgumentError } from '../errors.ts';
import { equalBytes, fromHex, toHex, utf8 } from '../security/bytes.ts';

/** The header holding the signing time, in Unix seconds. */
export const TIMESTAMP_HEADER = 'X-X0tta6bl4-Timestamp';
/** The header holding `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`. */
export const SIGNATURE_HEADER = 'X-X0tta6bl4-Signature';
/** How far (seconds) a signed timestamp may be from the verifier's clock by default. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const SCHEME = 'sha256=';

/**
 * The two signature headers for `body` signed with `secret` at `timestamp` (Unix seconds,
 * default now). Throws ArgumentError for an empty secret.
 */
export function signWebhook(
  secret: string,
  body: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): Record<string, string> {
  checkSecret(secret);
  return {
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: SCHEME + toHex(mac(secret, String(timestamp), body)),
  };
}

/** What a receiver got: the raw body and the two headers' values. */
export interface SignedRequest {
  /** The body exactly as received, before any parsing. */
  body: string;
  /** The `X-X0tta6bl4-Timestamp` header's value. */
  timestamp: string | null | undefined;
  /** The `X-X0tta6bl4-Signature` header's value. */
  signature: string | null | undefined;
}

/**
 * Whether `request` was signed with `secret` at a time within `toleranceSeconds` of `now` (Unix
 * seconds): the recipe of this module's comment, for receivers written in TypeScript. Throws
 * ArgumentError for an empty secret; a missing or malformed header is simply not valid.
 */
export function verifyWebhookSignature(
  secret: string,
  request: SignedRequest,
  now: number = Math.floor(Date.now() / 1000),
  toleranceSeconds: number = SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  checkSecret(secret);
  const { body, timestamp, signature } = request;
  if (!timestamp || !/^\d{1,15}$/.test(timestamp)) return false;
  if (Math.abs(now - Number(timestamp)) > toleranceSeconds) return false;
  if (!signature?.startsWith(SCHEME) || !/^[0-9a-fA-F]{64}$/.test(signature.slice(SCHEME.length)))
    return false;
  return equalBytes(fromHex(signature.slice(SCHEME.length)), mac(secret, timestamp, body));
}

function mac(secret: string, timestamp: string, body: string): Uint8Array {
  return hmac(sha256, utf8(secret), utf8(`${timestamp}.${body}`));
}

function checkSecret(secret: string): void {
  if (typeof secret !== 'string' || secret === '')
    throw new ArgumentError('secret', 'expected a non-empty string shared with the receiver');
}
