import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ArgumentError } from '../../src/errors.ts';
import { Monitor, type ColumnarBatch, type Rejection } from '../../src/monitor/ingest.ts';
import {
  SealedTelemetry,
  decodeColumnarBatch,
  encodeColumnarBatch,
  sealColumnarBatch,
} from '../../src/monitor/sealed.ts';
import { MalformedMessageError, UnsupportedVersionError } from '../../src/security/errors.ts';
import { HandshakeResponder, initiateHandshake } from '../../src/security/handshake.ts';
import { KeyRing, NodeKeys } from '../../src/security/keys.ts';
import type { Session } from '../../src/security/session.ts';

const T0 = Date.UTC(2026, 0, 1);
const SOURCES = ['n1', 'n2', 'n3'];
const METRICS = [
  { name: 'cpu', min: 0, max: 100 },
  { name: 'latency', min: 0 },
];

const bits = (column: Float64Array) => [
  ...new Uint8Array(column.buffer, column.byteOffset, column.byteLength),
];
function sameBatch(a: ColumnarBatch, b: ColumnarBatch): void {
  expect(Object.is(a.ts, b.ts)).toBe(true);
  expect(Object.keys(a.columns)).toEqual(Object.keys(b.columns));
  for (const name of Object.keys(a.columns)) expect(bits(a.columns[name])).toEqual(bits(b.columns[name]));
  expect(a.sources ? [...a.sources] : undefined).toEqual(b.sources ? [...b.sources] : undefined);
}

describe('columnar batch encoding', () => {
  it('round-trips any batch bit for bit, NaN, -0 and infinities included (fast-check)', () => {
    const batch = fc
      .record({
        ts: fc.double(),
        width: fc.nat(20),
        names: fc.uniqueArray(
          fc.oneof(
            fc.constantFrom('__proto__', 'length', 'constructor'),
            fc.string({ minLength: 1, maxLength: 20 }),
          ),
          { maxLength: 5 },
        ),
        withSources: fc.boolean(),
        seed: fc.array(fc.double(), { minLength: 1, maxLength: 100 }),
      })
      .map(({ ts, width, names, withSources, seed }): ColumnarBatch => {
        const columns: Record<string, Float64Array> = Object.create(null);
        names.forEach(
          (name, m) =>
            (columns[name] = Float64Array.from({ length: width }, (_, i) => seed[(i + m * 7) % seed.length])),
        );
        return withSources
          ? { ts, columns, sources: Uint32Array.from({ length: width }, (_, i) => (i * 2654435761) >>> 0) }
          : { ts, columns };
      });
    fc.assert(
      fc.property(batch, (b) => sameBatch(decodeColumnarBatch(encodeColumnarBatch(b)), b)),
      { numRuns: 500 },
    );
  });

  it('refuses truncated, extended, unknown-version and forged-width bytes with typed errors', () => {
    const bytes = encodeColumnarBatch({
      ts: 5,
      columns: { cpu: new Float64Array([1, 2, 3]) },
      sources: Uint32Array.of(0, 1, 2),
    });
    for (let cut = 0; cut < bytes.length; cut++)
      expect(() => decodeColumnarBatch(bytes.subarray(0, cut))).toThrow(MalformedMessageError);
    expect(() => decodeColumnarBatch(Uint8Array.of(...bytes, 0))).toThrow(MalformedMessageError);
    expect(() => decodeColumnarBatch(Uint8Array.of(2, ...bytes.subarray(1)))).toThrow(
      UnsupportedVersionError,
    );
    const forged = bytes.slice();
    new DataView(forged.buffer).setUint32(4, 0xffffffff, true); // claims 4 billion values per column
    expect(() => decodeColumnarBatch(forged)).toThrow(/header implies/);
    const flags = bytes.slice();
    flags[1] = 0x80;
    expect(() => decodeColumnarBatch(flags)).toThrow(MalformedMessageError);
  });

  it('refuses to encode what is not a ColumnarBatch, naming the field', () => {
    expect(() => encodeColumnarBatch(null as never)).toThrow(ArgumentError);
    expect(() => encodeColumnarBatch({ ts: 1, columns: { cpu: [1, 2] as never } })).toThrow(
      /batch\.columns\.cpu/,
    );
    expect(() =>
      encodeColumnarBatch({ ts: 1, columns: { cpu: new Float64Array(2), mem: new Float64Array(3) } }),
    ).toThrow(/batch\.columns\.mem/);
    expect(() => encodeColumnarBatch({ ts: 1, columns: { ['x'.repeat(256)]: new Float64Array(1) } })).toThrow(
      /1 to 255/,
    );
  });
});

describe('sealed telemetry into the Monitor', () => {
  // Node and engine each hold their own keys and only ever see the other's public-key JSON.
  const node = NodeKeys.generate({ owner: 'n2', now: T0 });
  const engine = NodeKeys.generate({ owner: 'engine', now: T0 });
  const clock = { now: T0 };
  const options = { now: () => clock.now };
  let nodeSession: Session;
  let engineSession: Session;

  function connect(): { nodeSide: Session; engineSide: Session } {
    const nodeTrusts = KeyRing.fromJSON(JSON.parse(JSON.stringify(engine.ring().toJSON())));
    const engineTrusts = KeyRing.fromJSON(JSON.parse(JSON.stringify(node.ring().toJSON())));
    const pending = initiateHandshake(node, nodeTrusts, engine.signingKey(T0).id, options);
    const { reply, session } = new HandshakeResponder(engine, engineTrusts, options).respond(pending.hello);
    return { nodeSide: pending.complete(reply), engineSide: session };
  }

  beforeAll(() => {
    ({ nodeSide: nodeSession, engineSide: engineSession } = connect());
  });

  const monitor = () => new Monitor({ sources: SOURCES, metrics: METRICS });
  const reading = (ts: number, cpu: number): ColumnarBatch => ({
    ts,
    columns: { cpu: Float64Array.of(cpu), latency: Float64Array.of(12.5) },
    sources: Uint32Array.of(1),
  });

  it('ingests batches sealed by the node, and counts every refused envelope by its error class', async () => {
    const m = monitor();
    const seen: Rejection[] = [];
    m.onReject((r) => seen.push(r));
    const sealed = new SealedTelemetry(engineSession, m);

    const first = await sealColumnarBatch(nodeSession, reading(1, 40));
    expect(await sealed.ingest(first)).toBe(2);
    expect(m.latest[m.seriesIndex('n2', 'cpu')]).toBe(40);
    expect(m.latest[m.seriesIndex('n2', 'latency')]).toBe(12.5);

    expect(await sealed.ingest(first)).toBe(0); // replayed
    const tampered = (await sealColumnarBatch(nodeSession, reading(2, 41))).slice();
    tampered[tampered.length - 20] ^= 1;
    expect(await sealed.ingest(tampered)).toBe(0);
    const other = connect(); // a session this receiver never agreed on
    expect(await sealed.ingest(await sealColumnarBatch(other.nodeSide, reading(3, 99)))).toBe(0);
    const late = await sealColumnarBatch(nodeSession, reading(4, 42));
    clock.now += 10 * 60_000; // held back past the 5-minute freshness window
    expect(await sealed.ingest(late)).toBe(0);
    expect(await sealed.ingest(await nodeSession.seal(Uint8Array.of(9, 9, 9)))).toBe(0); // authentic, but not a batch

    expect(sealed.rejectedBy).toEqual({
      ReplayError: 1,
      TamperedError: 1,
      UnknownKeyError: 1,
      StaleTimestampError: 1,
      MalformedMessageError: 1,
    });
    expect(m.stats.rejectedBy['sealed-rejected']).toBe(5);
    expect(m.stats).toMatchObject({ accepted: 2, rejected: 5 });
    expect(seen.map((r) => [r.reason, r.error])).toEqual([
      ['sealed-rejected', 'ReplayError'],
      ['sealed-rejected', 'TamperedError'],
      ['sealed-rejected', 'UnknownKeyError'],
      ['sealed-rejected', 'StaleTimestampError'],
      ['sealed-rejected', 'MalformedMessageError'],
    ]);

    // The session carries on: the next genuine batch goes in.
    expect(await sealed.ingest(await sealColumnarBatch(nodeSession, reading(5, 43)))).toBe(2);
    expect(m.latest[m.seriesIndex('n2', 'cpu')]).toBe(43);
  });

  it('opens without ingesting, for the loop to ingest in its tick; schema checks still apply', async () => {
    const m = monitor();
    const sealed = new SealedTelemetry(engineSession, m);
    const batch = await sealed.open(
      await sealColumnarBatch(nodeSession, {
        ts: clock.now + 1,
        columns: { cpu: Float64Array.of(150) },
        sources: Uint32Array.of(0),
      }),
    );
    expect(m.stats.accepted + m.stats.rejected).toBe(0);
    expect(batch && m.ingestBatch(batch)).toBe(0);
    expect(m.stats.rejectedBy['out-of-range']).toBe(1); // authentic telemetry is still validated
    expect(await sealed.open('not bytes' as never)).toBeUndefined();
    expect(m.stats.rejectedBy.malformed).toBe(1);
  });

  it('refuses a whole batch that reports a source the peer may not speak for', async () => {
    const m = monitor();
    const sealed = new SealedTelemetry(engineSession, m, { allowedSources: ['n2'] });
    const forged = {
      ts: clock.now + 2,
      columns: { cpu: Float64Array.of(41, 99) },
      sources: Uint32Array.of(1, 2),
    }; // n2 and n3
    expect(await sealed.ingest(await sealColumnarBatch(nodeSession, forged))).toBe(0);
    const everyone = { ts: clock.now + 3, columns: { cpu: Float64Array.of(1, 2, 3) } }; // no subset: all sources
    expect(await sealed.ingest(await sealColumnarBatch(nodeSession, everyone))).toBe(0);
    expect(
      await sealed.ingest(
        await sealColumnarBatch(nodeSession, {
          ts: clock.now + 4,
          columns: { cpu: Float64Array.of(44) },
          sources: Uint32Array.of(1),
        }),
      ),
    ).toBe(1);
    expect(sealed.rejectedBy).toEqual({ UnauthorizedSourceError: 2 });
    expect(m.stats).toMatchObject({ accepted: 1, rejected: 2 });
    expect(m.latest[m.seriesIndex('n3', 'cpu')]).toBeNaN();
    expect(() => new SealedTelemetry(engineSession, m, { allowedSources: ['n9'] })).toThrow(
      /unknown source "n9"/,
    );
  });

  it('checks its arguments and the rejections counted through it', () => {
    expect(() => new SealedTelemetry(null as never, monitor())).toThrow(ArgumentError);
    expect(() => new SealedTelemetry(engineSession, {} as never)).toThrow(ArgumentError);
    expect(() => monitor().countRejection({ reason: 'bogus' as never, count: 1 })).toThrow(ArgumentError);
    expect(() => monitor().countRejection({ reason: 'sealed-rejected', count: 0 })).toThrow(ArgumentError);
  });
});
