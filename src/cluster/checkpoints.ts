/**
 * Region checkpoints in the state bucket. A region's loop state is megabytes (the detector keeps
 * hundreds of numbers per series), more than one NATS message may carry (1 MB by default), so a
 * checkpoint is gzipped (CompressionStream: every runtime has it) and written in parts under a
 * prefix of its own (`checkpoint.<region>.<writer>.<claim>.<generation>.<part>`, `claim` drawn at
 * random for each CheckpointWriter, so an engine that claims a region again never writes, then
 * purges, the parts its earlier claim's manifest names), then the manifest `checkpoint.<region>`
 * names that prefix, then the parts the manifest named before are purged. A reader follows the
 * manifest, so it never sees half a checkpoint.
 *
 * Fencing: the manifest is written at the revision its writer last saw (compare-and-set), and a
 * new owner of the region rewrites it first thing (`CheckpointWriter.take`). An engine that lost
 * the region without knowing it (its lease lapsed while it was stalled) fails its next write with
 * a CheckpointFencedError and stops, instead of overwriting the new owner's checkpoint.
 */
import type { KV } from '@nats-io/kv';
import { ArgumentError, X0ttaError } from '../errors.ts';
import { decode, encode } from './subjects.ts';

/** Bytes per part: well under the default 1 MB message limit. */
const PART_BYTES = 512 * 1024;

/** What the manifest of a region's checkpoint says. */
interface Manifest {
  /** Who wrote it last. */
  writer: string;
  /** The prefix of its parts' keys; absent when no checkpoint was saved yet. */
  prefix?: string;
  parts: number;
  bytes: number;
}

/** Another engine wrote the region's checkpoint since this one last did: it owns the region now. */
export class CheckpointFencedError extends X0ttaError {}

/** The manifest key of region `region`'s checkpoint. */
export function checkpointKey(region: number): string {
  return `checkpoint.${region}`;
}

/** One owner's reads and writes of a region's checkpoint (see the module's comment). */
export class CheckpointWriter {
  #revision = 0;
  #manifest: Manifest | undefined;
  #generation = 0;
  /** This writer's own segment of its parts' keys (see the module's comment). */
  readonly #claim = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');

  /**
   * A writer of region `region`'s checkpoint.
   * @param kv the state bucket
   * @param region the region
   * @param writer this engine's id (it names the parts' keys)
   */
  constructor(
    private readonly kv: KV,
    readonly region: number,
    readonly writer: string,
  ) {}

  /**
   * Reads the region's checkpoint (undefined when none was saved) and takes the manifest over
   * (rewritten under this writer at its revision), so that a previous owner's later write fails.
   */
  async take<T>(): Promise<T | undefined> {
    const key = checkpointKey(this.region);
    const entry = await this.kv.get(key);
    const live = entry?.operation === 'PUT' && entry.value.length > 0;
    const manifest = live ? decode<Manifest>(entry.value, key) : undefined;
    const value = manifest?.prefix === undefined ? undefined : await this.#read<T>(manifest);
    const taken: Manifest = { ...(manifest ?? { parts: 0, bytes: 0 }), writer: this.writer };
    this.#revision = live
      ? await this.#cas(() => this.kv.update(key, encode(taken), entry.revision))
      : await this.#cas(() => this.kv.create(key, encode(taken)));
    this.#manifest = taken;
    return value;
  }

  /** Saves `value` as the region's checkpoint; throws a CheckpointFencedError if another engine wrote since. */
  async save(value: unknown): Promise<void> {
    const bytes = await gzip(encode(value));
    const prefix = `${checkpointKey(this.region)}.${this.writer}.${this.#claim}.${++this.#generation}`;
    const parts = Math.max(1, Math.ceil(bytes.length / PART_BYTES));
    for (let p = 0; p < parts; p++)
      await this.kv.put(`${prefix}.${p}`, bytes.subarray(p * PART_BYTES, (p + 1) * PART_BYTES));
    const manifest: Manifest = { writer: this.writer, prefix, parts, bytes: bytes.length };
    const previous = this.#manifest;
    this.#revision = await this.#cas(() =>
      this.kv.update(checkpointKey(this.region), encode(manifest), this.#revision),
    );
    this.#manifest = manifest;
    if (previous?.prefix !== undefined)
      for (let p = 0; p < previous.parts; p++) await this.kv.purge(`${previous.prefix}.${p}`);
  }

  async #read<T>(manifest: Manifest): Promise<T> {
    const bytes = new Uint8Array(manifest.bytes);
    let at = 0;
    for (let p = 0; p < manifest.parts; p++) {
      const entry = await this.kv.get(`${manifest.prefix}.${p}`);
      if (entry?.operation !== 'PUT')
        throw new ArgumentError(checkpointKey(this.region), `part ${manifest.prefix}.${p} is missing`);
      bytes.set(entry.value, at);
      at += entry.value.length;
    }
    return decode<T>(await gunzip(bytes), checkpointKey(this.region));
  }

  async #cas(write: () => Promise<number>): Promise<number> {
    try {
      return await write();
    } catch (error) {
      if (/wrong last sequence|key exists/i.test((error as Error).message))
        throw new CheckpointFencedError(
          `${checkpointKey(this.region)}: written by another engine since (${this.writer} no longer owns region ${this.region})`,
        );
      throw error;
    }
  }
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
