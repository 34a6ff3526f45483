/**
 * AES-256-GCM for session envelopes behind one small interface, with three interchangeable
 * backends that produce byte-identical output (same key, nonce and associated data):
 * - 'node': the runtime's `node:crypto`, loaded with `process.getBuiltinModule` so browser
 *   bundles never see it. Synchronous: on Node (OpenSSL) and Bun (BoringSSL) one call costs a
 *   few microseconds, which is what lets one core seal and open >= 50,000 1 KB envelopes/s.
 * - 'webcrypto': `crypto.subtle`, on every runtime with a secure context. Asynchronous; on Node
 *   each call is a thread-pool job whose scheduling caps throughput well below 'node'.
 * - 'noble': @noble/ciphers in plain JavaScript, for contexts without either (an http:// page
 *   has no `crypto.subtle`). Correct everywhere, but several times slower than the others.
 * The default is the fastest measured on each runtime (bench/security.bench.ts runs all of
 * them): 'node' on Node and Bun; 'webcrypto' on Deno, whose node:crypto layer is slower than
 * its WebCrypto, and in browsers; 'noble' only where nothing else exists.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { ArgumentError } from '../errors.ts';
import { nodeBuiltin, runtimeName } from '../runtime/detect.ts';
import { checkBytes } from './bytes.ts';

/** Which AES-256-GCM implementation a key uses. */
export type AeadBackend = 'node' | 'webcrypto' | 'noble';

/** An AES-256-GCM key; `seal` returns ciphertext || 16-byte tag, `open` throws if it does not authenticate. */
export interface AeadKey {
  /** Which implementation runs it. */
  readonly backend: AeadBackend;
  /**
   * Promise<Uint8Array>;|Encrypts and authenticates `plaintext` (and `aad`) under a 12-byte nonce that must
   * never repeat for this key.
   */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /**
   * Promise<Uint8Array>;|Decrypts what `seal` made with the same nonce and aad; throws if it does not
   * authenticate.
   */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

type NodeCrypto = typeof import('node:crypto');

const TAG = 16;
const nodeCrypto: NodeCrypto | undefined = (() => {
  try {
    const module = nodeBuiltin<NodeCrypto | undefined>('node:crypto');
    return typeof module?.createCipheriv === 'function' ? module : undefined;
  } catch {
    return undefined; // a browser, or a runtime without process.getBuiltinModule
  }
})();

/** The backends this runtime offers, fastest first (the first is the default). */
export function availableAeadBackends(): AeadBackend[] {
  const backends: AeadBackend[] = [];
  if (globalThis.crypto?.subtle) backends.push('webcrypto');
  if (nodeCrypto) {
    // Deno's node:crypto is a compatibility layer, measured slower than its own WebCrypto.
    if (runtimeName() === 'deno') backends.push('node');
    else backends.unshift('node');
  }
  backends.push('noble');
  return backends;
}

function nodeKey(crypto: NodeCrypto, raw: Uint8Array): AeadKey {
  const key = crypto.createSecretKey(raw);
  return {
    backend: 'node',
    seal(nonce, aad, plaintext) {
      const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(aad);
      const body = cipher.update(plaintext);
      cipher.final();
      const out = new Uint8Array(body.length + TAG);
      out.set(body);
      out.set(cipher.getAuthTag(), body.length);
      return out;
    },
    open(nonce, aad, sealed) {
      if (sealed.length < TAG) throw new RangeError('shorter than a tag');
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonce);
      decipher.setAAD(aad);
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
      const body = decipher.update(sealed.subarray(0, sealed.length - TAG));
      decipher.final(); // throws when the tag does not match
      // A plain Uint8Array of its own, not a Buffer that may share a pooled slab.
      return new Uint8Array(body);
    },
  };
}

function webCryptoKey(raw: Uint8Array): AeadKey {
  const subtle = globalThis.crypto.subtle;
  const pending = subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, [
    'encrypt',
    'decrypt',
  ]);
  let ready: CryptoKey | undefined; // saves an await per call once the import has finished
  pending.then(
    (k) => (ready = k),
    () => undefined,
  ); // a failed import surfaces at first use
  const params = (nonce: Uint8Array, aad: Uint8Array) => ({
    name: 'AES-GCM',
    iv: nonce as Uint8Array<ArrayBuffer>,
    additionalData: aad as Uint8Array<ArrayBuffer>,
  });
  return {
    backend: 'webcrypto',
    async seal(nonce, aad, plaintext) {
      return new Uint8Array(
        await subtle.encrypt(
          params(nonce, aad),
          ready ?? (await pending),
          plaintext as Uint8Array<ArrayBuffer>,
        ),
      );
    },
    async open(nonce, aad, sealed) {
      return new Uint8Array(
        await subtle.decrypt(params(nonce, aad), ready ?? (await pending), sealed as Uint8Array<ArrayBuffer>),
      );
    },
  };
}

function nobleKey(raw: Uint8Array): AeadKey {
  const key = raw.slice();
  return {
    backend: 'noble',
    seal: (nonce, aad, plaintext) => gcm(key, nonce, aad).encrypt(plaintext),
    open: (nonce, aad, sealed) => gcm(key, nonce, aad).decrypt(sealed),
  };
}

/** Checks a backend name against what this runtime offers; undefined picks the fastest. */
export function resolveAeadBackend(backend: AeadBackend | undefined, argument = 'backend'): AeadBackend {
  const available = availableAeadBackends();
  if (backend === undefined) return available[0];
  if (!available.includes(backend)) {
    throw new ArgumentError(
      argument,
      `expected one of ${available.join(', ')} on this runtime, got ${String(backend)}`,
    );
  }
  return backend;
}

/** Creates an AES-256-GCM key from 32 raw bytes with the given (or fastest available) backend. */
export function aeadKey(raw: Uint8Array, backend?: AeadBackend): AeadKey {
  checkBytes(raw, 'raw', 32);
  const chosen = resolveAeadBackend(backend);
  if (chosen === 'node') return nodeKey(nodeCrypto as NodeCrypto, raw);
  return chosen === 'webcrypto' ? webCryptoKey(raw) : nobleKey(raw);
}
