/**
 * Region checkpoints in the state bucket. A region's loop state is megabytes (the detector keeps
 * hundreds of numbers per series), more than one NATS message may carry (1 MB by default), so a
 * checkpoint is gzipped (CompressionStream: every runtime has it) and written in parts under a
 * generation (`checkpoint.<region>.<generation>.<part>`), then the manifest `checkpoint.<region>`
 * names that generation, then the previous generation's parts are deleted. A reader follows the
 * manifest, so it never sees half a checkpoint: a writer that dies before the manifest leaves the
 * previous checkpoint whole.
 */
import type { KV } from '@nats-io/kv';
import { ArgumentError } from '../errors.ts';
import { decode, encode } from './subjects.ts';

/** Bytes per part: well under the default 1 MB message limit. */
const PART_BYTES = 512 * 1024;

/** What the manifest of a region's checkpoint says. */
interface Manifest {
  generation: number;
  parts: number;
  bytes: number;
}

/** The manifest key of region `region`'s checkpoint. */
export function checkpointKey(region: number): string {
  return `checkpoint.${region}`;
}

function partKey(region: number, generation: number, part: number): string {
  return `checkpoint.${region}.${generation}.${part}`;
}

/** Saves `value` as region `region`'s checkpoint (see the module's comment). */
export async function saveCheckpoint(kv: KV, region: number, value: unknown): Promise<void> {
  const previous = await readManifest(kv, region);
  const generation = (previous?.generation ?? 0) + 1;
  const bytes = await gzip(encode(value));
  const parts = Math.max(1, Math.ceil(bytes.length / PART_BYTES));
  for (let p = 0; p < parts; p++)
    await kv.put(partKey(region, generation, p), bytes.subarray(p * PART_BYTES, (p + 1) * PART_BYTES));
  await kv.put(checkpointKey(region), encode({ generation, parts, bytes: bytes.length } satisfies Manifest));
  if (previous)
    for (let p = 0; p < previous.parts; p++) await kv.purge(partKey(region, previous.generation, p));
}

/** Region `region`'s last checkpoint, or undefined when none was saved. */
export async function loadCheckpoint<T>(kv: KV, region: number): Promise<T | undefined> {
  const manifest = await readManifest(kv, region);
  if (!manifest) return undefined;
  const bytes = new Uint8Array(manifest.bytes);
  let at = 0;
  for (let p = 0; p < manifest.parts; p++) {
    const entry = await kv.get(partKey(region, manifest.generation, p));
    if (entry?.operation !== 'PUT')
      throw new ArgumentError(
        checkpointKey(region),
        `part ${p} of generation ${manifest.generation} is missing`,
      );
    bytes.set(entry.value, at);
    at += entry.value.length;
  }
  return decode<T>(await gunzip(bytes), checkpointKey(region));
}

async function readManifest(kv: KV, region: number): Promise<Manifest | undefined> {
  const entry = await kv.get(checkpointKey(region));
  if (entry?.operation !== 'PUT' || entry.value.length === 0) return undefined;
  return decode<Manifest>(entry.value, checkpointKey(region));
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
