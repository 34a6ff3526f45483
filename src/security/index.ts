/**
 * security: post-quantum trust for the engine.
 * - keys.ts, keyfile.ts: node identity (ML-DSA-65 [+ Ed25519] signing, ML-KEM-768 + X25519
 *   key agreement), key ids, 24 h rotation, public-key JSON, passphrase-encrypted key files.
 * - audit-*.ts, merkle.ts: the hash-chained, Merkle-batched, signed audit log (each entry
 *   durable when appended, sealed in batches), its storage interface and its verifier.
 * - handshake.ts, session.ts, oneshot.ts, freshness.ts: sealed telemetry (hybrid handshake,
 *   AES-256-GCM envelopes with re-keying, one-shot sealed messages, replay/freshness checks).
 * - aead.ts: AES-256-GCM for envelopes over node:crypto, WebCrypto or @noble/ciphers.
 * The durable audit store is src/knowledge/pglite-audit-store.ts, the loop's audit sink
 * src/loop/audit-sink.ts, and sealed telemetry into the Monitor src/monitor/sealed.ts.
 * - pq.ts: the only file that touches the primitives (@noble/post-quantum, curves, hashes).
 * - errors.ts: one error class per rejection.
 */
export * from './errors.ts';
export type { RandomSource } from './bytes.ts';
export type { JsonValue } from './canonical.ts';
export type { KemAlgorithm, KeyAlgorithm, SignatureAlgorithm } from './pq.ts';
export { KeyRing, NodeKeys, DEFAULT_ROTATION_MS, keyId, isValidAt } from './keys.ts';
export type { PublicKeyRecord, KeyPairRecord, PublicKeysJson, NodeKeysOptions } from './keys.ts';
export {
  exportEncryptedKeys,
  exportPlainKeys,
  importEncryptedKeys,
  importKeyFile,
  isEncryptedKeyFile,
  DEFAULT_SCRYPT,
} from './keyfile.ts';
export type {
  EncryptedKeysJson,
  KeyFileJson,
  KeyImportOptions,
  PlainKeysJson,
  ScryptParams,
} from './keyfile.ts';
export { RECOVERED_KIND, isSealedEntry } from './audit-entry.ts';
export type { AuditEvent, AuditEntry, BatchSeal, StoredEntry, UnsealedEntry } from './audit-entry.ts';
export { MemoryAuditStore, exportAuditFile } from './audit-store.ts';
export type { AuditStore, AuditFile } from './audit-store.ts';
export { AuditLog } from './audit-log.ts';
export type { AuditCheckpoint, AuditLogOptions, AuditReceipt } from './audit-log.ts';
export { verifyAuditLog, verifyAuditEntry } from './audit-verify.ts';
export type {
  AuditFailure,
  AuditFailureReason,
  AuditSuccess,
  LogCheckpoint,
  RecoveredRange,
  VerifyOptions,
} from './audit-verify.ts';
export { initiateHandshake, HandshakeResponder } from './handshake.ts';
export type { HandshakeOptions, PendingHandshake } from './handshake.ts';
export { Session } from './session.ts';
export { aeadKey, availableAeadBackends } from './aead.ts';
export type { AeadBackend, AeadKey } from './aead.ts';
export type { SessionOptions } from './session.ts';
export { sealOneShot, OneShotReceiver } from './oneshot.ts';
export type { OneShotReceiverOptions, OpenedMessage, SealOneShotOptions } from './oneshot.ts';
