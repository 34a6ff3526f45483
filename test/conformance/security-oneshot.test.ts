import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ExpiredKeyError,
  FutureTimestampError,
  ReplayError,
  SecurityError,
  SignatureError,
  StaleTimestampError,
  UnknownKeyError,
  WrongRecipientError,
} from '../../src/security/errors.ts';
import { KeyRing, NodeKeys } from '../../src/security/keys.ts';
import { OneShotReceiver, sealOneShot } from '../../src/security/oneshot.ts';

const T0 = Date.UTC(2026, 0, 1);
const text = (s: string) => new TextEncoder().encode(s);

describe('one-shot sealed messages', () => {
  let node: NodeKeys;
  let engine: NodeKeys;
  let engineTrusts: KeyRing;

  beforeAll(() => {
    node = NodeKeys.generate({ owner: 'node-1', now: T0 });
    engine = NodeKeys.generate({ owner: 'engine', now: T0, rotationMs: 60_000 });
    engineTrusts = KeyRing.fromJSON(JSON.parse(JSON.stringify(node.ring().toJSON())));
  });

  const receiver = (now = T0) =>
    new OneShotReceiver(engine, engineTrusts, { now: () => now, maxAgeMs: 30_000, maxFutureMs: 5_000 });
  const engineKem = () =>
    engine
      .ring()
      .records()
      .find((r) => r.algorithm === 'ml-kem-768+x25519')!;

  it('round-trips between separate key stores and names the authenticated sender', () => {
    const message = sealOneShot(node, engineKem(), text('disk full on node-1'), { now: T0 });
    const opened = receiver().open(message);
    expect(new TextDecoder().decode(opened.payload)).toBe('disk full on node-1');
    expect(opened.sender.id).toBe(node.signingKey(T0).id);
    expect(opened.ts).toBe(T0);
  });

  it('rejects replays, wrong recipients, unknown senders and stale or future messages', () => {
    const rx = receiver();
    const message = sealOneShot(node, engineKem(), text('once'), { now: T0 });
    rx.open(message);
    expect(() => rx.open(message)).toThrow(ReplayError);
    const other = NodeKeys.generate({ owner: 'engine-2', now: T0 });
    expect(() => new OneShotReceiver(other, engineTrusts, { now: () => T0 }).open(message)).toThrow(
      WrongRecipientError,
    );
    const stranger = NodeKeys.generate({ owner: 'stranger', now: T0 });
    expect(() => receiver().open(sealOneShot(stranger, engineKem(), text('hi'), { now: T0 }))).toThrow(
      UnknownKeyError,
    );
    expect(() => receiver().open(sealOneShot(node, engineKem(), text('old'), { now: T0 - 31_000 }))).toThrow(
      StaleTimestampError,
    );
    expect(() => receiver().open(sealOneShot(node, engineKem(), text('new'), { now: T0 + 6_000 }))).toThrow(
      FutureTimestampError,
    );
  });

  it('rejects a forged signature and any altered byte', () => {
    const message = sealOneShot(node, engineKem(), text('payload'), { now: T0 });
    for (const at of [50, 600, 1200, message.length - 40]) {
      const bad = message.slice();
      bad[at] ^= 4;
      expect(() => receiver().open(bad)).toThrow(SignatureError);
    }
  });

  it('opens messages to the previous KEM key after one rotation, and refuses older ones', () => {
    const keys = NodeKeys.generate({ owner: 'engine-r', now: T0, rotationMs: 1_000 });
    const firstKem = keys.kemKey(T0);
    const message = sealOneShot(node, firstKem, text('in flight'), { now: T0 + 1_500 });
    keys.rotate(T0 + 1_000);
    const rx = new OneShotReceiver(keys, engineTrusts, { now: () => T0 + 1_500 });
    expect(new TextDecoder().decode(rx.open(message).payload)).toBe('in flight');
    keys.rotate(T0 + 2_000);
    expect(() => new OneShotReceiver(keys, engineTrusts, { now: () => T0 + 1_500 }).open(message)).toThrow(
      ExpiredKeyError,
    );
  });

  it('rejects single-bit flips anywhere in a sealed message (fast-check)', () => {
    const message = sealOneShot(node, engineKem(), text('telemetry batch'), { now: T0 });
    fc.assert(
      fc.property(fc.nat(), (bitSeed) => {
        const bit = bitSeed % (message.length * 8);
        const flipped = message.slice();
        flipped[bit >> 3] ^= 1 << (bit & 7);
        expect(() => receiver().open(flipped)).toThrow(SecurityError);
      }),
      { numRuns: 150, seed: 6 },
    );
  });
});
