/**
 * Typed rejections of the security stage. Each failure mode a receiver or verifier can detect
 * has its own class, so callers (and tests) can tell a replay from a forgery without parsing
 * messages. All extend {@link SecurityError}, itself an {@link X0ttaError}.
 */
import { X0ttaError } from '../errors.ts';

/** Base class of every security rejection. */
export class SecurityError extends X0ttaError {}

/** An envelope, handshake message or sealed message is not well-formed (length, type). */
export class MalformedMessageError extends SecurityError {}

/** The message carries a protocol version this build does not speak. */
export class UnsupportedVersionError extends SecurityError {}

/** The key id named by a message or seal is not in the key ring or session. */
export class UnknownKeyError extends SecurityError {
  /**
   * An error naming the key.
   * @param keyId the key id looked up
   * @param message the message (default: the key is unknown)
   */
  constructor(
    readonly keyId: string,
    message = `unknown key ${keyId}`,
  ) {
    super(message);
  }
}

/** The key exists but was not valid at the time of use (expired, retired or not yet valid). */
export class ExpiredKeyError extends SecurityError {
  /**
   * An error naming the key.
   * @param keyId the key id used
   * @param message the message (default: the key has expired)
   */
  constructor(
    readonly keyId: string,
    message = `key ${keyId} has expired`,
  ) {
    super(message);
  }
}

/** Authenticated decryption failed: the header or ciphertext was altered, or the key is wrong. */
export class TamperedError extends SecurityError {}

/** The sequence number or message id was already accepted, or fell behind the replay window. */
export class ReplayError extends SecurityError {}

/** The timestamp is older than the receiver's acceptance window. */
export class StaleTimestampError extends SecurityError {}

/** The timestamp lies further in the future than the allowed clock skew. */
export class FutureTimestampError extends SecurityError {}

/** The message is addressed to a different node or key. */
export class WrongRecipientError extends SecurityError {}

/** An authenticated peer sent telemetry for a source it is not allowed to report. */
export class UnauthorizedSourceError extends SecurityError {}

/** A handshake message's ML-DSA-65 signature does not verify. */
export class HandshakeSignatureError extends SecurityError {}

/** A one-shot sealed message's signature does not verify. */
export class SignatureError extends SecurityError {}

/** A passphrase-encrypted key file could not be decrypted (wrong passphrase or altered file). */
export class KeyFileError extends SecurityError {}
