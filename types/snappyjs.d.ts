// snappyjs ships no type declarations; this declares the two functions the remote-write format
// uses (CommonJS exports, read through the default import on every runtime).
declare module 'snappyjs' {
  /** Snappy block format, as Prometheus remote write sends it. */
  interface Snappy {
    /** Compresses bytes to snappy block format. */
    compress(uncompressed: Uint8Array): Uint8Array;
    /** Decompresses snappy block format; throws an Error for a bad stream or one longer than maxLength. */
    uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
  }
  const snappy: Snappy;
  export default snappy;
}
