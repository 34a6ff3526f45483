/**
 * Byte helpers shared by the security modules: encodings, concatenation, big-endian integers,
 * constant-time comparison and the runtime's CSPRNG. Uint8Array everywhere, no Node Buffer.
 */
import { ArgumentError } from '../errors.ts';

/** A source of cryptographically secure random bytes (injectable for deterministic tests). */
export type RandomSource = (length: number) => Uint8Array;

/** Random bytes from `globalThis.crypto.getRandomValues`, which every supported runtime has. */
export const secureRandom: RandomSource = (length) => {
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65,536 bytes per call.
  for (let offset = 0; offset < length; offset += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
  }
  return out;
};

/** Concatenates byte arrays into a new one. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const HEX_CHUNK = 8192; // bytes per String.fromCharCode call, far below argument-count limits

/**
 * Lower-case hex of `bytes`. Built with String.fromCharCode rather than `+=` so the result is a
 * flat string: audit proofs keep thousands of hashes alive, and rope strings made them slow.
 */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let start = 0; start < bytes.length; start += HEX_CHUNK) {
    const end = Math.min(bytes.length, start + HEX_CHUNK);
    const codes = new Array<number>((end - start) * 2);
    for (let i = start, j = 0; i < end; i++, j += 2) {
      codes[j] = HEX_CODES[bytes[i] >> 4];
      codes[j + 1] = HEX_CODES[bytes[i] & 15];
    }
    out += String.fromCharCode.apply(null, codes);
  }
  return out;
}

/** Parses hex (either case); throws an ArgumentError naming `argument` on bad input. */
export function fromHex(hex: string, argument = 'hex'): Uint8Array {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new ArgumentError(argument, 'expected an even-length hex string');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_CODES = Uint8Array.from(B64, (c) => c.charCodeAt(0));
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;
const PAD = 61; // '='
const ascii = new TextDecoder();

/**
 * Standard padded base64 of `bytes` (btoa is not binary-safe across runtimes). The characters are
 * written as bytes and decoded once: adding to a string per character made megabytes of garbage
 * for a detector checkpoint.
 */
export function toBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out[o++] = B64_CODES[(n >> 18) & 63];
    out[o++] = B64_CODES[(n >> 12) & 63];
    out[o++] = i + 1 < bytes.length ? B64_CODES[(n >> 6) & 63] : PAD;
    out[o++] = i + 2 < bytes.length ? B64_CODES[n & 63] : PAD;
  }
  return ascii.decode(out);
}

/** Parses standard padded base64; throws an ArgumentError naming `argument` on bad input. */
export function fromBase64(text: string, argument = 'base64'): Uint8Array {
  if (typeof text !== 'string' || text.length % 4 !== 0) {
    throw new ArgumentError(argument, 'expected padded base64');
  }
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      const isPad = c === 61 && i + j >= text.length - padding;
      const v = isPad ? 0 : c < 128 ? B64_INDEX[c] : -1;
      if (v < 0) throw new ArgumentError(argument, 'expected padded base64');
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Writes a non-negative safe integer as 8 big-endian bytes at `offset`. */
export function writeU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, Math.floor(value / 2 ** 32));
  view.setUint32(offset + 4, value >>> 0);
}

/** Reads 8 big-endian bytes as a number; returns NaN above 2^53 - 1 so callers can reject it. */
export function readU64(view: DataView, offset: number): number {
  const high = view.getUint32(offset);
  if (high >= 2 ** 21) return Number.NaN;
  return high * 2 ** 32 + view.getUint32(offset + 4);
}

/** Byte equality in time independent of where the first difference is. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Throws an ArgumentError unless `value` is a Uint8Array (of `length`, when given). */
export function checkBytes(value: unknown, argument: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new ArgumentError(argument, 'expected a Uint8Array');
  if (length !== undefined && value.length !== length) {
    throw new ArgumentError(argument, `expected ${length} bytes, got ${value.length}`);
  }
  return value;
}

/** Throws an ArgumentError unless `value` is a finite number >= `min` (an integer if asked). */
export function checkNumber(value: unknown, argument: string, min: number, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new ArgumentError(argument, `expected a finite number >= ${min}`);
  }
  if (integer && !Number.isSafeInteger(value)) throw new ArgumentError(argument, 'expected an integer');
  return value;
}
