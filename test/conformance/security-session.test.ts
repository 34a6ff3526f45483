import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ExpiredKeyError,
  FutureTimestampError,
  HandshakeSignatureError,
  MalformedMessageError,
  ReplayError,
  SecurityError,
  StaleTimestampError,
  TamperedError,
  UnknownKeyError,
  UnsupportedVersionError,
  WrongRecipientError,
} from '../../src/security/errors.ts';
import {
  HandshakeResponder,
  initiateHandshake,
  type HandshakeOptions,
} from '../../src/security/handshake.ts';
import { KeyRing, NodeKeys } from '../../src/security/keys.ts';
import type { Session } from '../../src/security/session.ts';

const T0 = Date.UTC(2026, 0, 1);
const text = (s: string) => new TextEncoder().encode(s);
const read = (b: Uint8Array) => new TextDecoder().decode(b);

/** Two parties that only ever exchange public-key JSON, as separate processes would. */
function parties() {
  const node = NodeKeys.generate({ owner: 'node-1', now: T0 });
  const engine = NodeKeys.generate({ owner: 'engine', now: T0, signatureAlgorithm: 'ml-dsa-65+ed25519' });
  const nodeTrusts = KeyRing.fromJSON(JSON.parse(JSON.stringify(engine.ring().toJSON())));
  const engineTrusts = KeyRing.fromJSON(JSON.parse(JSON.stringify(node.ring().toJSON())));
  return { node, engine, nodeTrusts, engineTrusts, engineId: engine.signingKey(T0).id };
}

interface Clocks {
  node: number;
  engine: number;
}

function connect(
  p: ReturnType<typeof parties>,
  clocks: Clocks,
  options: HandshakeOptions = {},
): { nodeSession: Session; engineSession: Session } {
  const pending = initiateHandshake(p.node, p.nodeTrusts, p.engineId, { ...options, now: () => clocks.node });
  const responder = new HandshakeResponder(p.engine, p.engineTrusts, {
    ...options,
    now: () => clocks.engine,
  });
  const { reply, session: engineSession } = responder.respond(pending.hello);
  return { nodeSession: pending.complete(reply), engineSession };
}

describe('sealed telemetry sessions', () => {
  let p: ReturnType<typeof parties>;
  beforeAll(() => {
    p = parties();
  });

  it('derives the same keys on both sides from separate key stores, both directions', async () => {
    const clocks = { node: T0, engine: T0 };
    const { nodeSession, engineSession } = connect(p, clocks);
    expect(nodeSession.id).toBe(engineSession.id);
    expect(nodeSession.peerKeyId).toBe(p.engineId);
    expect(engineSession.peerKeyId).toBe(p.node.signingKey(T0).id);
    expect(read(await engineSession.open(await nodeSession.seal(text('cpu=0.93'))))).toBe('cpu=0.93');
    expect(read(await nodeSession.open(await engineSession.seal(text('ack'))))).toBe('ack');
    const other = connect(p, clocks);
    expect(other.nodeSession.id).not.toBe(nodeSession.id);
    await expect(other.engineSession.open(await nodeSession.seal(text('x')))).rejects.toThrow(
      UnknownKeyError,
    );
  });

  it('rejects replays, accepts reordering inside the window and nothing behind it', async () => {
    const clocks = { node: T0, engine: T0 };
    const { nodeSession, engineSession } = connect(p, clocks, { replayWindow: 32 });
    const envelopes = [];
    for (let i = 0; i < 40; i++) envelopes.push(await nodeSession.seal(text(`m${i}`)));
    expect(read(await engineSession.open(envelopes[5]))).toBe('m5');
    expect(read(await engineSession.open(envelopes[2]))).toBe('m2');
    await expect(engineSession.open(envelopes[5])).rejects.toThrow(ReplayError);
    await engineSession.open(envelopes[39]);
    await expect(engineSession.open(envelopes[3])).rejects.toThrow(ReplayError); // behind the window
    expect(read(await engineSession.open(envelopes[20]))).toBe('m20');
    const twice = await nodeSession.seal(text('dup'));
    const results = await Promise.allSettled([engineSession.open(twice), engineSession.open(twice)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('rejects stale and future timestamps', async () => {
    const clocks = { node: T0, engine: T0 };
    const { nodeSession, engineSession } = connect(p, clocks, { maxAgeMs: 60_000, maxFutureMs: 5_000 });
    clocks.node = T0 - 61_000;
    await expect(engineSession.open(await nodeSession.seal(text('old')))).rejects.toThrow(
      StaleTimestampError,
    );
    clocks.node = T0 + 6_000;
    await expect(engineSession.open(await nodeSession.seal(text('ahead')))).rejects.toThrow(
      FutureTimestampError,
    );
    clocks.node = T0 + 4_000;
    expect(read(await engineSession.open(await nodeSession.seal(text('skewed'))))).toBe('skewed');
  });

  it('rejects a tampered header or ciphertext, an unknown version and a short envelope', async () => {
    const clocks = { node: T0, engine: T0 };
    const { nodeSession, engineSession } = connect(p, clocks);
    const envelope = await nodeSession.seal(text('payload'));
    for (const at of [12, 20, 30, envelope.length - 1]) {
      const bad = envelope.slice();
      bad[at] ^= 0x40;
      await expect(engineSession.open(bad)).rejects.toThrow(TamperedError);
    }
    const version = envelope.slice();
    version[0] = 2;
    await expect(engineSession.open(version)).rejects.toThrow(UnsupportedVersionError);
    await expect(engineSession.open(envelope.subarray(0, 30))).rejects.toThrow(MalformedMessageError);
    expect(read(await engineSession.open(envelope))).toBe('payload');
  });

  it('re-keys after N envelopes; the receiver follows, keeps the previous key for a grace time, then retires it', async () => {
    const clocks = { node: T0, engine: T0 };
    const { nodeSession, engineSession } = connect(p, clocks, {
      rekeyAfterEnvelopes: 3,
      previousKeyGraceMs: 1_000,
    });
    const envelopes = [];
    for (let i = 0; i < 9; i++) envelopes.push(await nodeSession.seal(text(`e${i}`)));
    expect(nodeSession.sendKey.epoch).toBe(2);
    for (const i of [0, 1, 3, 4]) expect(read(await engineSession.open(envelopes[i]))).toBe(`e${i}`);
    expect(read(await engineSession.open(envelopes[2]))).toBe('e2'); // epoch 0, inside the grace time
    await engineSession.open(envelopes[6]); // moves the receiver to epoch 2
    await expect(engineSession.open(envelopes[5])).resolves.toBeDefined(); // epoch 1 is now "previous"
    clocks.engine += 1_001;
    expect(read(await engineSession.open(envelopes[7]))).toBe('e7');
    // Key checks come first: epoch 1 is past its grace time, epoch 0 was retired earlier.
    await expect(engineSession.open(envelopes[3])).rejects.toThrow(ExpiredKeyError);
    await expect(engineSession.open(envelopes[0])).rejects.toThrow(ExpiredKeyError);
  });

  it('follows the sender across several re-keys when the envelopes in between were lost', async () => {
    const clocks = { node: T0, engine: T0 };
    const { nodeSession, engineSession } = connect(p, clocks, { rekeyAfterEnvelopes: 1 });
    const envelopes = [];
    for (let i = 0; i < 8; i++) envelopes.push(await nodeSession.seal(text(`e${i}`)));
    expect(read(await engineSession.open(envelopes[3]))).toBe('e3'); // epoch 3: three epochs skipped
    expect(read(await engineSession.open(envelopes[2]))).toBe('e2'); // still the previous epoch, in grace
    await expect(engineSession.open(envelopes[1])).rejects.toThrow(ExpiredKeyError); // skipped, retired
    expect(read(await engineSession.open(envelopes[7]))).toBe('e7');
  });

  it('re-keys after a time, and the whole session expires after its lifetime', async () => {
    const clocks = { node: T0, engine: T0 };
    const { nodeSession, engineSession } = connect(p, clocks, { rekeyAfterMs: 1_000, lifetimeMs: 10_000 });
    const first = nodeSession.sendKey.id;
    clocks.node += 1_500;
    clocks.engine += 1_500;
    expect(read(await engineSession.open(await nodeSession.seal(text('later'))))).toBe('later');
    expect(nodeSession.sendKey.id).not.toBe(first);
    clocks.node += 10_000;
    await expect(nodeSession.seal(text('too late'))).rejects.toThrow(ExpiredKeyError);
    clocks.engine += 10_000;
    await expect(engineSession.open(new Uint8Array(60).fill(1, 0, 2))).rejects.toThrow(ExpiredKeyError);
  });

  it('rejects any single-bit flip anywhere in an envelope (fast-check)', async () => {
    const clocks = { node: T0, engine: T0 };
    const { nodeSession, engineSession } = connect(p, clocks);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 64 }), fc.nat(), async (payload, bitSeed) => {
        const envelope = await nodeSession.seal(payload);
        const bit = bitSeed % (envelope.length * 8);
        const flipped = envelope.slice();
        flipped[bit >> 3] ^= 1 << (bit & 7);
        await expect(engineSession.open(flipped)).rejects.toThrow(SecurityError);
        expect(await engineSession.open(envelope)).toEqual(payload);
      }),
      { numRuns: 3000, seed: 6 },
    );
  });
});

describe('session handshake', () => {
  let p: ReturnType<typeof parties>;
  beforeAll(() => {
    p = parties();
  });

  it('rejects a hello for another engine, from an unknown node, or from an expired key', () => {
    const pending = initiateHandshake(p.node, p.nodeTrusts, p.engineId, { now: () => T0 });
    const otherEngine = NodeKeys.generate({ owner: 'engine-2', now: T0 });
    expect(() =>
      new HandshakeResponder(otherEngine, p.engineTrusts, { now: () => T0 }).respond(pending.hello),
    ).toThrow(WrongRecipientError);
    expect(() =>
      new HandshakeResponder(p.engine, new KeyRing(), { now: () => T0 }).respond(pending.hello),
    ).toThrow(UnknownKeyError);
    const expired = new KeyRing(p.engineTrusts.records().map((r) => ({ ...r, expires: r.created })));
    const later = initiateHandshake(p.node, p.nodeTrusts, p.engineId, { now: () => T0 + 5 });
    expect(() =>
      new HandshakeResponder(p.engine, expired, { now: () => T0 + 5 }).respond(later.hello),
    ).toThrow(ExpiredKeyError);
  });

  it('rejects a hello or reply whose signature or signed body was altered', () => {
    const pending = initiateHandshake(p.node, p.nodeTrusts, p.engineId, { now: () => T0 });
    const responder = new HandshakeResponder(p.engine, p.engineTrusts, { now: () => T0 });
    for (const at of [100, pending.hello.length - 100]) {
      const bad = pending.hello.slice();
      bad[at] ^= 1;
      expect(() => responder.respond(bad)).toThrow(HandshakeSignatureError);
    }
    const { reply } = responder.respond(pending.hello);
    const badReply = reply.slice();
    badReply[reply.length - 5] ^= 1;
    expect(() => pending.complete(badReply)).toThrow(HandshakeSignatureError);
    expect(pending.complete(reply).id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('rejects single-bit flips anywhere in a hello or a reply (fast-check)', () => {
    const pending = initiateHandshake(p.node, p.nodeTrusts, p.engineId, { now: () => T0 });
    const responder = new HandshakeResponder(p.engine, p.engineTrusts, { now: () => T0 });
    fc.assert(
      fc.property(fc.nat(), (bitSeed) => {
        const bit = bitSeed % (pending.hello.length * 8);
        const flipped = pending.hello.slice();
        flipped[bit >> 3] ^= 1 << (bit & 7);
        expect(() => responder.respond(flipped)).toThrow(SecurityError);
      }),
      { numRuns: 40, seed: 6 },
    );
    const { reply } = responder.respond(pending.hello);
    fc.assert(
      fc.property(fc.nat(), (bitSeed) => {
        const bit = bitSeed % (reply.length * 8);
        const flipped = reply.slice();
        flipped[bit >> 3] ^= 1 << (bit & 7);
        expect(() => pending.complete(flipped)).toThrow(SecurityError);
      }),
      { numRuns: 40, seed: 7 },
    );
    expect(pending.complete(reply).peerKeyId).toBe(p.engineId);
  });

  it('rejects a replayed hello, a reply to another hello, stale hellos and bad versions', () => {
    const pending = initiateHandshake(p.node, p.nodeTrusts, p.engineId, { now: () => T0 });
    const responder = new HandshakeResponder(p.engine, p.engineTrusts, { now: () => T0, maxAgeMs: 60_000 });
    const { reply } = responder.respond(pending.hello);
    expect(() => responder.respond(pending.hello)).toThrow(ReplayError);
    const second = initiateHandshake(p.node, p.nodeTrusts, p.engineId, { now: () => T0 });
    expect(() => second.complete(reply)).toThrow(ReplayError);
    const lateResponder = new HandshakeResponder(p.engine, p.engineTrusts, {
      now: () => T0 + 61_000,
      maxAgeMs: 60_000,
    });
    expect(() => lateResponder.respond(second.hello)).toThrow(StaleTimestampError);
    const badVersion = second.hello.slice();
    badVersion[0] = 9;
    expect(() => responder.respond(badVersion)).toThrow(UnsupportedVersionError);
    expect(() => responder.respond(second.hello.subarray(0, 100))).toThrow(MalformedMessageError);
  });
});
