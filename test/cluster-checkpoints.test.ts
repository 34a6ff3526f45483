/**
 * Region checkpoints in a JetStream key-value bucket (src/cluster/checkpoints.ts), with a real
 * nats-server: a checkpoint larger than one message reads back whole; an engine that claims a
 * region again (a new writer under the same engine id) reads its own last checkpoint and saves
 * over it without losing it; and a writer that lost the region fails its next save (fenced).
 */
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointFencedError, CheckpointWriter } from '../src/cluster/checkpoints.ts';
import { startNats, type TestNats } from './servers/nats.ts';

let nats: TestNats;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
});

afterAll(async () => {
  await nc?.close();
  await nats?.destroy();
});

/** A value of about `bytes` that gzip cannot shrink much. */
function bulky(bytes: number, seed: number): { values: number[] } {
  let x = seed;
  return {
    values: Array.from({ length: bytes / 20 }, () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x / 2 ** 31;
    }),
  };
}

describe('region checkpoints', () => {
  it('an engine claiming a region again goes on from its own checkpoint, and a writer that lost it is fenced', async () => {
    const kv = await new Kvm(nc).create('checkpoints-test', { history: 1 });
    const first = new CheckpointWriter(kv, 3, 'solo');
    expect(await first.take()).toBeUndefined();
    const one = bulky(1_500_000, 1);
    await first.save(one);
    // The same engine claims the region again (its lease was in doubt): a new writer, same id.
    const again = new CheckpointWriter(kv, 3, 'solo');
    expect(await again.take()).toEqual(one);
    const two = bulky(1_500_000, 2);
    await again.save(two);
    expect(await new CheckpointWriter(kv, 3, 'other').take()).toEqual(two);
    // 'other' took the region over: both of solo's writers are fenced.
    await expect(again.save(one)).rejects.toBeInstanceOf(CheckpointFencedError);
    await expect(first.save(one)).rejects.toBeInstanceOf(CheckpointFencedError);
    expect(await new CheckpointWriter(kv, 3, 'third').take()).toEqual(two);
  });
});
