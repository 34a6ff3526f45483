import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ArgumentError } from '../../src/errors.ts';
import { runtimeName } from '../../src/runtime/detect.ts';
import { aeadKey, availableAeadBackends, type AeadBackend } from '../../src/security/aead.ts';
import { fromHex, toHex } from '../../src/security/bytes.ts';
import { HandshakeResponder, initiateHandshake } from '../../src/security/handshake.ts';
import { NodeKeys } from '../../src/security/keys.ts';

const backends = availableAeadBackends();
const T0 = Date.UTC(2026, 0, 1);

// McGrew and Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256, 60-byte
// plaintext, 20-byte associated data, 96-bit IV).
const KAT = {
  key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
  iv: 'cafebabefacedbaddecaf888',
  aad: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
  plaintext:
    'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
  ciphertext:
    '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
  tag: '76fc6ece0f4e1768cddf8853bb2d551b',
};

describe('AES-256-GCM backends', () => {
  it('offers WebCrypto and noble on every runtime, and defaults to the fastest measured there', () => {
    expect(backends.at(-1)).toBe('noble');
    if (globalThis.crypto?.subtle) expect(backends).toContain('webcrypto');
    const runtime = runtimeName();
    expect(backends[0]).toBe(runtime === 'node' || runtime === 'bun' ? 'node' : 'webcrypto');
    expect(aeadKey(new Uint8Array(32)).backend).toBe(backends[0]);
  });

  for (const backend of backends) {
    it(`${backend}: matches the GCM specification's AES-256 test vector and rejects any altered byte`, async () => {
      const key = aeadKey(fromHex(KAT.key), backend);
      const sealed = await key.seal(fromHex(KAT.iv), fromHex(KAT.aad), fromHex(KAT.plaintext));
      expect(toHex(sealed)).toBe(KAT.ciphertext + KAT.tag);
      expect(toHex(await key.open(fromHex(KAT.iv), fromHex(KAT.aad), sealed))).toBe(KAT.plaintext);
      for (const i of [0, 30, sealed.length - 1]) {
        const bad = sealed.slice();
        bad[i] ^= 0x40;
        await expect(
          Promise.resolve().then(() => key.open(fromHex(KAT.iv), fromHex(KAT.aad), bad)),
        ).rejects.toThrow();
      }
      const otherAad = fromHex(KAT.aad);
      otherAad[0] ^= 1;
      await expect(
        Promise.resolve().then(() => key.open(fromHex(KAT.iv), otherAad, sealed)),
      ).rejects.toThrow();
      await expect(
        Promise.resolve().then(() => key.open(fromHex(KAT.iv), fromHex(KAT.aad), sealed.subarray(0, 10))),
      ).rejects.toThrow();
    });
  }

  it('every backend seals to the same bytes and opens what the others sealed (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 2048 }),
        async (raw, nonce, aad, plaintext) => {
          const keys = backends.map((b) => aeadKey(raw, b));
          const sealed = await Promise.all(keys.map((k) => k.seal(nonce, aad, plaintext)));
          for (const s of sealed) expect(toHex(s)).toBe(toHex(sealed[0]));
          for (const k of keys) expect(toHex(await k.open(nonce, aad, sealed[0]))).toBe(toHex(plaintext));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses a key of the wrong size or a backend this runtime lacks', () => {
    expect(() => aeadKey(new Uint8Array(16))).toThrow(ArgumentError);
    expect(() => aeadKey(new Uint8Array(32), 'rot13' as AeadBackend)).toThrow(ArgumentError);
  });

  it('sessions interoperate when each side uses a different backend', async () => {
    const node = NodeKeys.generate({ owner: 'node', now: T0 });
    const engine = NodeKeys.generate({ owner: 'engine', now: T0 });
    const now = () => T0;
    for (const [mine, theirs] of backends.flatMap((a) => backends.map((b) => [a, b] as const))) {
      const pending = initiateHandshake(node, engine.ring(), engine.signingKey(T0).id, { now, aead: mine });
      const { reply, session: engineSide } = new HandshakeResponder(engine, node.ring(), {
        now,
        aead: theirs,
      }).respond(pending.hello);
      const nodeSide = pending.complete(reply);
      const payload = new TextEncoder().encode(`${mine} -> ${theirs}`);
      expect(await engineSide.open(await nodeSide.seal(payload))).toEqual(payload);
      expect(await nodeSide.open(await engineSide.seal(payload))).toEqual(payload);
    }
    expect(() =>
      initiateHandshake(node, engine.ring(), engine.signingKey(T0).id, { now, aead: 'rot13' as AeadBackend }),
    ).toThrow(/options\.aead/);
  });
});
