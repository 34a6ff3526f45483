/**
 * Thin typed wrappers over the audited primitives: ML-KEM-768 and ML-DSA-65 (FIPS 203/204,
 * @noble/post-quantum), Ed25519 and X25519 (@noble/curves), HKDF-SHA-256 (@noble/hashes).
 * Everything else in src/security goes through these functions, and the ACVP known-answer
 * tests run through them too, so they prove the encodings and context handling we really use.
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ArgumentError } from '../errors.ts';
import { checkBytes, concatBytes, secureRandom, utf8, type RandomSource } from './bytes.ts';

/** Byte sizes fixed by FIPS 203 (ML-KEM-768), FIPS 204 (ML-DSA-65) and RFC 7748/8032. */
export const SIZES = {
  kemPublicKey: 1184,
  kemSecretKey: 2400,
  kemCiphertext: 1088,
  kemSeed: 64,
  kemRandomness: 32,
  dsaPublicKey: 1952,
  dsaSecretKey: 4032,
  dsaSignature: 3309,
  dsaSeed: 32,
  x25519: 32,
  ed25519PublicKey: 32,
  ed25519SecretKey: 32,
  ed25519Signature: 64,
} as const;

/** A public/secret key pair as raw bytes. */
export interface RawKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** ML-KEM-768 key generation; `seed` is d || z (64 bytes), as in FIPS 203 ML-KEM.KeyGen_internal. */
export function kemKeygen(seed: Uint8Array = secureRandom(SIZES.kemSeed)): RawKeyPair {
  checkBytes(seed, 'seed', SIZES.kemSeed);
  const { publicKey, secretKey } = ml_kem768.keygen(seed);
  return { publicKey, secretKey };
}

/** ML-KEM-768 encapsulation; `randomness` is the 32-byte message m (fresh random by default). */
export function kemEncapsulate(
  publicKey: Uint8Array,
  randomness: Uint8Array = secureRandom(SIZES.kemRandomness),
): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
  checkBytes(publicKey, 'publicKey', SIZES.kemPublicKey);
  checkBytes(randomness, 'randomness', SIZES.kemRandomness);
  let result: { cipherText: Uint8Array; sharedSecret: Uint8Array };
  try {
    result = ml_kem768.encapsulate(publicKey, randomness);
  } catch (cause) {
    // FIPS 203 input check: coefficients of ek must be reduced mod q.
    throw new ArgumentError('publicKey', `not a valid ML-KEM-768 key (${(cause as Error).message})`);
  }
  return { ciphertext: result.cipherText, sharedSecret: result.sharedSecret };
}

/**
 * ML-KEM-768 decapsulation. A modified ciphertext does not throw: FIPS 203 implicit rejection
 * returns a pseudo-random secret derived from z, so the mismatch surfaces later as a failed
 * authenticated decryption.
 */
export function kemDecapsulate(ciphertext: Uint8Array, secretKey: Uint8Array): Uint8Array {
  checkBytes(ciphertext, 'ciphertext', SIZES.kemCiphertext);
  checkBytes(secretKey, 'secretKey', SIZES.kemSecretKey);
  return ml_kem768.decapsulate(ciphertext, secretKey);
}

/** ML-DSA-65 key generation from a 32-byte seed ξ (FIPS 204 ML-DSA.KeyGen_internal). */
export function dsaKeygen(seed: Uint8Array = secureRandom(SIZES.dsaSeed)): RawKeyPair {
  checkBytes(seed, 'seed', SIZES.dsaSeed);
  const { publicKey, secretKey } = ml_dsa65.keygen(seed);
  return { publicKey, secretKey };
}

function checkContext(context: Uint8Array): Uint8Array {
  checkBytes(context, 'context');
  if (context.length > 255) throw new ArgumentError('context', 'at most 255 bytes (FIPS 204)');
  return context;
}

/** ML-DSA-65 pure signature of `message` with a FIPS 204 context string (hedged randomness). */
export function dsaSign(message: Uint8Array, secretKey: Uint8Array, context: Uint8Array): Uint8Array {
  checkBytes(message, 'message');
  checkBytes(secretKey, 'secretKey', SIZES.dsaSecretKey);
  return ml_dsa65.sign(message, secretKey, { context: checkContext(context) });
}

/** ML-DSA-65 pure verification (FIPS 204 external interface with context); never throws on forgeries. */
export function dsaVerify(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
  context: Uint8Array,
): boolean {
  checkBytes(signature, 'signature');
  checkBytes(message, 'message');
  checkBytes(publicKey, 'publicKey', SIZES.dsaPublicKey);
  checkContext(context);
  if (signature.length !== SIZES.dsaSignature) return false;
  return ml_dsa65.verify(signature, message, publicKey, { context });
}

/** Signature schemes a node key may use: ML-DSA-65 alone, or hybrid with Ed25519 (both must verify). */
export type SignatureAlgorithm = 'ml-dsa-65' | 'ml-dsa-65+ed25519';

/** The hybrid key-agreement scheme: ML-KEM-768 and X25519 combined by HKDF-SHA-256. */
export type KemAlgorithm = 'ml-kem-768+x25519';

/** Every key algorithm a {@link PublicKeyRecord} can carry. */
export type KeyAlgorithm = SignatureAlgorithm | KemAlgorithm;

/** Signature length of `algorithm` in bytes. */
export function signatureLength(algorithm: SignatureAlgorithm): number {
  return algorithm === 'ml-dsa-65' ? SIZES.dsaSignature : SIZES.dsaSignature + SIZES.ed25519Signature;
}

/** Generates a signing key pair; hybrid keys are ML-DSA-65 || Ed25519 concatenations. */
export function signingKeygen(
  algorithm: SignatureAlgorithm,
  random: RandomSource = secureRandom,
): RawKeyPair {
  const dsa = dsaKeygen(random(SIZES.dsaSeed));
  if (algorithm === 'ml-dsa-65') return dsa;
  checkAlgorithm(algorithm);
  const edSecret = random(SIZES.ed25519SecretKey);
  return {
    publicKey: concatBytes(dsa.publicKey, ed25519.getPublicKey(edSecret)),
    secretKey: concatBytes(dsa.secretKey, edSecret),
  };
}

function checkAlgorithm(algorithm: string): void {
  if (algorithm !== 'ml-dsa-65' && algorithm !== 'ml-dsa-65+ed25519') {
    throw new ArgumentError('algorithm', `unsupported signature algorithm ${String(algorithm)}`);
  }
}

// Ed25519 has no context input, so the context is length-prefixed into the signed bytes.
function edMessage(message: Uint8Array, context: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(context.length), context, message);
}

/** Signs with `algorithm`; a hybrid signature is the ML-DSA-65 one followed by the Ed25519 one. */
export function sign(
  algorithm: SignatureAlgorithm,
  secretKey: Uint8Array,
  message: Uint8Array,
  context: Uint8Array,
): Uint8Array {
  checkAlgorithm(algorithm);
  if (algorithm === 'ml-dsa-65') return dsaSign(message, secretKey, context);
  checkBytes(secretKey, 'secretKey', SIZES.dsaSecretKey + SIZES.ed25519SecretKey);
  const pq = dsaSign(message, secretKey.subarray(0, SIZES.dsaSecretKey), context);
  const classic = ed25519.sign(edMessage(message, context), secretKey.subarray(SIZES.dsaSecretKey));
  return concatBytes(pq, classic);
}

/** Verifies a signature made by {@link sign}; for hybrids both halves must verify. */
export function verify(
  algorithm: SignatureAlgorithm,
  publicKey: Uint8Array,
  signature: Uint8Array,
  message: Uint8Array,
  context: Uint8Array,
): boolean {
  checkAlgorithm(algorithm);
  if (algorithm === 'ml-dsa-65') return dsaVerify(signature, message, publicKey, context);
  checkBytes(publicKey, 'publicKey', SIZES.dsaPublicKey + SIZES.ed25519PublicKey);
  if (signature.length !== signatureLength(algorithm)) return false;
  const pqOk = dsaVerify(
    signature.subarray(0, SIZES.dsaSignature),
    message,
    publicKey.subarray(0, SIZES.dsaPublicKey),
    context,
  );
  let classicOk = false;
  try {
    classicOk = ed25519.verify(
      signature.subarray(SIZES.dsaSignature),
      edMessage(message, context),
      publicKey.subarray(SIZES.dsaPublicKey),
      { zip215: false },
    );
  } catch {
    classicOk = false; // malformed point encodings are forgeries, not crashes
  }
  return pqOk && classicOk;
}

/** Sizes of the hybrid KEM's concatenated encodings. */
export const HYBRID_SIZES = {
  publicKey: SIZES.kemPublicKey + SIZES.x25519,
  secretKey: SIZES.kemSecretKey + SIZES.x25519,
  ciphertext: SIZES.kemCiphertext + SIZES.x25519,
} as const;

const COMBINER_LABEL = utf8('x0tta6bl4/hybrid-kem/ml-kem-768+x25519/v1');

/**
 * The combiner: HKDF-SHA-256 over ss_kem || ss_x25519, with both ciphertexts and both public
 * keys in `info` (as X-Wing binds them) and the caller's transcript hash as salt, so a secret
 * can never be reused in another context or with a substituted key or ciphertext.
 */
function combine(
  kemSecret: Uint8Array,
  xSecret: Uint8Array,
  ciphertext: Uint8Array,
  publicKey: Uint8Array,
  salt: Uint8Array,
): Uint8Array {
  const info = concatBytes(COMBINER_LABEL, ciphertext, publicKey);
  return hkdf(sha256, concatBytes(kemSecret, xSecret), salt, info, 32);
}

/** Generates an ML-KEM-768 + X25519 key pair (public: ek || x_pk, secret: dk || x_sk). */
export function hybridKemKeygen(random: RandomSource = secureRandom): RawKeyPair {
  const kem = kemKeygen(random(SIZES.kemSeed));
  const xSecret = random(SIZES.x25519);
  return {
    publicKey: concatBytes(kem.publicKey, x25519.getPublicKey(xSecret)),
    secretKey: concatBytes(kem.secretKey, xSecret),
  };
}

/** Encapsulates to a hybrid public key; the ciphertext is ct_kem || ephemeral X25519 public key. */
export function hybridEncapsulate(
  publicKey: Uint8Array,
  salt: Uint8Array,
  random: RandomSource = secureRandom,
): { ciphertext: Uint8Array; sharedSecret: Uint8Array } {
  checkBytes(publicKey, 'publicKey', HYBRID_SIZES.publicKey);
  checkBytes(salt, 'salt');
  const kem = kemEncapsulate(publicKey.subarray(0, SIZES.kemPublicKey), random(SIZES.kemRandomness));
  const ephemeral = random(SIZES.x25519);
  const xSecret = x25519Shared(ephemeral, publicKey.subarray(SIZES.kemPublicKey), 'publicKey');
  const ciphertext = concatBytes(kem.ciphertext, x25519.getPublicKey(ephemeral));
  return { ciphertext, sharedSecret: combine(kem.sharedSecret, xSecret, ciphertext, publicKey, salt) };
}

/**
 * Decapsulates a hybrid ciphertext. A modified ciphertext yields a different secret rather than
 * an error (ML-KEM implicit rejection); only a low-order X25519 point throws an ArgumentError.
 */
export function hybridDecapsulate(
  ciphertext: Uint8Array,
  secretKey: Uint8Array,
  publicKey: Uint8Array,
  salt: Uint8Array,
): Uint8Array {
  checkBytes(ciphertext, 'ciphertext', HYBRID_SIZES.ciphertext);
  checkBytes(secretKey, 'secretKey', HYBRID_SIZES.secretKey);
  checkBytes(publicKey, 'publicKey', HYBRID_SIZES.publicKey);
  const kemSecret = kemDecapsulate(
    ciphertext.subarray(0, SIZES.kemCiphertext),
    secretKey.subarray(0, SIZES.kemSecretKey),
  );
  const xSecret = x25519Shared(
    secretKey.subarray(SIZES.kemSecretKey),
    ciphertext.subarray(SIZES.kemCiphertext),
    'ciphertext',
  );
  return combine(kemSecret, xSecret, ciphertext, publicKey, salt);
}

function x25519Shared(secret: Uint8Array, peerPublic: Uint8Array, argument: string): Uint8Array {
  try {
    return x25519.getSharedSecret(secret, peerPublic);
  } catch {
    // RFC 7748: an all-zero result means a low-order point was supplied.
    throw new ArgumentError(argument, 'X25519 public key is a low-order point');
  }
}

/** SHA-256, re-exported so the rest of the stage names one hash. */
export { sha256 };
