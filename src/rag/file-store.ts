/**
 * A {@link RagStore} in one JSON file, for the CLI on Node, Deno and Bun (uses node:fs, so
 * browsers never import it). Every change rewrites the file through a temporary file and a
 * rename, so a crash leaves either the old or the new contents.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { Buffer } from 'node:buffer';
import { dirname } from 'node:path';
import { ArgumentError } from '../errors.ts';
import type { RagStore, StoredDocument } from './store.ts';

interface FileFormat {
  version: 1;
  /** `embedding`: the f32 bytes (little-endian, as every target runtime stores them), base64. */
  documents: { document: StoredDocument['document']; embedderId: string; embedding: string }[];
}

/** JSON-file document store. */
export class FileRagStore implements RagStore {
  readonly #docs = new Map<string, StoredDocument>();

  private constructor(readonly path: string) {}

  /** Opens (or starts) the store at `path`; a missing file is an empty store. */
  static async open(path: string): Promise<FileRagStore> {
    if (typeof path !== 'string' || path === '') throw new ArgumentError('path', 'expected a file path');
    const store = new FileRagStore(path);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return store;
      throw error;
    }
    let data: FileFormat;
    try {
      data = JSON.parse(text) as FileFormat;
    } catch (cause) {
      throw new ArgumentError('path', `${path} is not a RAG store file: ${(cause as Error).message}`);
    }
    if (data?.version !== 1 || !Array.isArray(data.documents))
      throw new ArgumentError('path', `${path} is not a RAG store file`);
    for (const d of data.documents) {
      const bytes = Buffer.from(d.embedding, 'base64');
      const embedding = new Float32Array(bytes.length / 4);
      new Uint8Array(embedding.buffer).set(bytes);
      store.#docs.set(d.document.id, { document: d.document, embedderId: d.embedderId, embedding });
    }
    return store;
  }

  async putDocuments(batch: readonly StoredDocument[]): Promise<void> {
    for (const stored of batch) {
      this.#docs.delete(stored.document.id);
      this.#docs.set(stored.document.id, { ...stored, embedding: stored.embedding.slice() });
    }
    await this.#save();
  }

  async deleteDocument(id: string): Promise<boolean> {
    const existed = this.#docs.delete(id);
    if (existed) await this.#save();
    return existed;
  }

  listDocuments(): Promise<StoredDocument[]> {
    return Promise.resolve([...this.#docs.values()].map((s) => ({ ...s, embedding: s.embedding.slice() })));
  }

  async #save(): Promise<void> {
    const data: FileFormat = {
      version: 1,
      documents: [...this.#docs.values()].map((s) => ({
        document: s.document,
        embedderId: s.embedderId,
        embedding: Buffer.from(s.embedding.buffer, s.embedding.byteOffset, s.embedding.byteLength).toString(
          'base64',
        ),
      })),
    };
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(data));
    await rename(tmp, this.path);
  }
}
