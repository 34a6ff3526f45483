import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.ts';
import { toBase64 } from '../../src/security/bytes.ts';
import { ExpiredKeyError, KeyFileError, UnknownKeyError } from '../../src/security/errors.ts';
import { exportEncryptedKeys, importEncryptedKeys } from '../../src/security/keyfile.ts';
import { DEFAULT_ROTATION_MS, KeyRing, NodeKeys, keyId } from '../../src/security/keys.ts';
import { sign, verify } from '../../src/security/pq.ts';

const T0 = Date.UTC(2026, 0, 1);
const FAST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };
const CTX = new TextEncoder().encode('test');

describe('node keys', () => {
  it('generates signing and KEM keys whose ids hash their public keys, valid for 24 h', () => {
    const keys = NodeKeys.generate({ owner: 'node-a', now: T0 });
    const signing = keys.signingKey(T0);
    const kem = keys.kemKey(T0);
    expect(signing.algorithm).toBe('ml-dsa-65');
    expect(kem.algorithm).toBe('ml-kem-768+x25519');
    expect(signing.id).toBe(keyId('ml-dsa-65', signing.publicKey));
    expect(signing.id).toMatch(/^[0-9a-f]{32}$/);
    expect(signing.created).toBe(T0);
    expect(signing.expires).toBe(T0 + DEFAULT_ROTATION_MS);
    expect(kem.publicKey.length).toBe(1184 + 32);
  });

  it('rotates on schedule, keeps old public keys and drops old signing secrets', () => {
    const keys = NodeKeys.generate({ owner: 'node-a', now: T0, rotationMs: 1000 });
    const first = keys.signingKey(T0);
    const firstKem = keys.kemKey(T0);
    expect(keys.rotateIfDue(T0 + 999)).toBe(false);
    const second = keys.signingKey(T0 + 1000);
    expect(second.id).not.toBe(first.id);
    expect(keys.ring().get(first.id)?.publicKey).toEqual(first.publicKey);
    expect(keys.secrets().has(first.id)).toBe(false);
    expect(keys.kemSecret(firstKem.id)).toBeDefined(); // previous KEM generation still opens mail
    keys.rotate(T0 + 2000);
    expect(keys.kemSecret(firstKem.id)).toBeUndefined();
    expect(keys.ring().records()).toHaveLength(6);
  });

  it('key ring lookups distinguish unknown, wrong-kind and expired keys', () => {
    const keys = NodeKeys.generate({ owner: 'node-a', now: T0, rotationMs: 1000 });
    const ring = keys.ring();
    const signing = keys.signingKey(T0);
    expect(ring.require(signing.id, T0 + 500, ['ml-dsa-65']).id).toBe(signing.id);
    expect(() => ring.require('00'.repeat(16), T0, ['ml-dsa-65'])).toThrow(UnknownKeyError);
    expect(() => ring.require(signing.id, T0, ['ml-kem-768+x25519'])).toThrow(UnknownKeyError);
    expect(() => ring.require(signing.id, T0 + 1001, ['ml-dsa-65'])).toThrow(ExpiredKeyError);
    expect(() => ring.require(signing.id, T0 - 1, ['ml-dsa-65'])).toThrow(ExpiredKeyError);
  });

  it('exports and imports public keys as JSON, rejecting a record whose id was edited', () => {
    const keys = NodeKeys.generate({ owner: 'node-a', now: T0 });
    const json = JSON.parse(JSON.stringify(keys.ring().toJSON()));
    const ring = KeyRing.fromJSON(json);
    expect(ring.records().map((r) => r.id)).toEqual(
      keys
        .ring()
        .records()
        .map((r) => r.id),
    );
    json.keys[0].id = json.keys[1].id;
    expect(() => KeyRing.fromJSON(json)).toThrow(ArgumentError);
    try {
      KeyRing.fromJSON(json);
    } catch (error) {
      expect((error as ArgumentError).argument).toBe('record.id');
    }
  });

  it('rejects bad options with errors naming the argument', () => {
    expect(() => NodeKeys.generate({ owner: '' })).toThrow(/options.owner/);
    expect(() => NodeKeys.generate({ owner: 'x', rotationMs: 0 })).toThrow(/options.rotationMs/);
    expect(() => NodeKeys.generate({ owner: 'x', signatureAlgorithm: 'rsa' as never })).toThrow(
      /options.signatureAlgorithm/,
    );
  });

  it('hybrid ML-DSA-65 + Ed25519 signatures need both halves to verify', () => {
    const keys = NodeKeys.generate({ owner: 'node-h', now: T0, signatureAlgorithm: 'ml-dsa-65+ed25519' });
    const key = keys.signingKey(T0);
    const message = new TextEncoder().encode('restart svc-7');
    const signature = sign(key.algorithm as 'ml-dsa-65+ed25519', key.secretKey, message, CTX);
    expect(signature.length).toBe(3309 + 64);
    expect(verify('ml-dsa-65+ed25519', key.publicKey, signature, message, CTX)).toBe(true);
    for (const at of [10, 3309 + 10]) {
      const broken = signature.slice();
      broken[at] ^= 1;
      expect(verify('ml-dsa-65+ed25519', key.publicKey, broken, message, CTX)).toBe(false);
    }
    expect(
      verify('ml-dsa-65+ed25519', key.publicKey, signature, message, new TextEncoder().encode('other')),
    ).toBe(false);
  });
});

describe('encrypted key files', () => {
  it('round-trips through scrypt + AES-256-GCM and the restored keys still sign', async () => {
    const keys = NodeKeys.generate({ owner: 'node-a', now: T0, rotationMs: 1000 });
    keys.rotate(T0 + 1000);
    const file = await exportEncryptedKeys(keys, 'correct horse', FAST_SCRYPT);
    const text = JSON.stringify(file);
    const secret = keys.signingKey(T0 + 1000).secretKey;
    // Bytes 32..64 of an ML-DSA secret key are the secret seed K (bytes 0..32 equal the public rho).
    expect(text.includes(toBase64(secret.subarray(33, 63)))).toBe(false);
    const restored = await importEncryptedKeys(JSON.parse(text), 'correct horse');
    const key = restored.signingKey(T0 + 1000);
    expect(key.id).toBe(keys.signingKey(T0 + 1000).id);
    expect(restored.ring().records()).toHaveLength(4);
    const message = new TextEncoder().encode('m');
    expect(
      verify('ml-dsa-65', key.publicKey, sign('ml-dsa-65', key.secretKey, message, CTX), message, CTX),
    ).toBe(true);
  });

  it('rejects a wrong passphrase and an edited public part', async () => {
    const keys = NodeKeys.generate({ owner: 'node-a', now: T0 });
    const file = await exportEncryptedKeys(keys, 'pass', FAST_SCRYPT);
    await expect(importEncryptedKeys(file, 'wrong')).rejects.toThrow(KeyFileError);
    await expect(importEncryptedKeys({ ...file, owner: 'mallory' }, 'pass')).rejects.toThrow(KeyFileError);
    await expect(importEncryptedKeys(file, '')).rejects.toThrow(/passphrase/);
  });
});
