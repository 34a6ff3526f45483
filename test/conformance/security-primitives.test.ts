import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ArgumentError } from '../../src/errors.ts';
import { fromBase64, fromHex, readU64, toBase64, toHex, writeU64 } from '../../src/security/bytes.ts';
import { canonicalJson } from '../../src/security/canonical.ts';
import { ReplayError } from '../../src/security/errors.ts';
import { ReplayWindow } from '../../src/security/freshness.ts';
import { leafHash, merkleLevels, merkleProof, rootFromProof } from '../../src/security/merkle.ts';
import { sha256 } from '../../src/security/pq.ts';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('byte encodings', () => {
  it('matches the RFC 4648 base64 test vectors', () => {
    const cases: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of cases) {
      expect(toBase64(ascii(plain))).toBe(encoded);
      expect(fromBase64(encoded)).toEqual(ascii(plain));
    }
  });

  it('round-trips hex and base64 for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(fromHex(toHex(bytes))).toEqual(bytes);
        expect(fromBase64(toBase64(bytes))).toEqual(bytes);
      }),
      { numRuns: 300, seed: 6 },
    );
    expect(toHex(Uint8Array.of(0, 15, 16, 255))).toBe('000f10ff');
  });

  it('rejects malformed hex and base64 naming the argument', () => {
    expect(() => fromHex('abc', 'keyId')).toThrow(ArgumentError);
    expect(() => fromHex('zz', 'keyId')).toThrow(/keyId/);
    expect(() => fromBase64('Zm9', 'signature')).toThrow(/signature/);
    expect(() => fromBase64('Zm9*', 'signature')).toThrow(ArgumentError);
  });

  it('writes and reads 64-bit big-endian integers up to 2^53 - 1, and flags larger ones', () => {
    const view = new DataView(new ArrayBuffer(8));
    for (const n of [0, 1, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      writeU64(view, 0, n);
      expect(readU64(view, 0)).toBe(n);
    }
    view.setUint32(0, 2 ** 21);
    expect(readU64(view, 0)).toBeNaN();
  });

  it('serialises canonical JSON with sorted keys and rejects non-JSON values by path', () => {
    expect(canonicalJson({ b: [1, { d: null, c: 'x' }], a: true })).toBe(
      '{"a":true,"b":[1,{"c":"x","d":null}]}',
    );
    expect(() => canonicalJson({ a: [0, { b: Number.POSITIVE_INFINITY }] }, 'data')).toThrow(/data.a\[1\].b/);
    expect(() => canonicalJson({ when: new Date(0) }, 'data')).toThrow(/data.when/);
    expect(() => canonicalJson({ f: undefined }, 'data')).toThrow(/data.f/);
  });
});

describe('replay window', () => {
  it('accepts each sequence number once and refuses those behind the window (model check)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 300 }), { maxLength: 200 }), (seqs) => {
        const window = new ReplayWindow(64);
        const seen = new Set<number>();
        let highest = -1;
        for (const seq of seqs) {
          const shouldAccept = !seen.has(seq) && seq > highest - 64;
          let accepted = true;
          try {
            window.check(seq);
          } catch (error) {
            expect(error).toBeInstanceOf(ReplayError);
            accepted = false;
          }
          expect(accepted).toBe(shouldAccept);
          if (accepted) {
            window.mark(seq);
            seen.add(seq);
            highest = Math.max(highest, seq);
          }
        }
      }),
      { numRuns: 300, seed: 6 },
    );
  });
});

describe('Merkle trees', () => {
  it('gives every leaf of trees of 1..40 leaves a proof that leads to the root, and only there', () => {
    for (let size = 1; size <= 40; size++) {
      const leaves = Array.from({ length: size }, (_, i) => leafHash(sha256(Uint8Array.of(size, i))));
      const levels = merkleLevels(leaves);
      const root = levels[levels.length - 1][0];
      for (let i = 0; i < size; i++) {
        const proof = merkleProof(levels, i);
        expect(rootFromProof(leaves[i], i, size, proof)).toEqual(root);
        if (size > 1) expect(rootFromProof(leaves[i], (i + 1) % size, size, proof)).not.toEqual(root);
        expect(rootFromProof(leaves[i], i, size, [...proof, root])).toBeUndefined();
      }
    }
  });

  it('does not give a duplicated last leaf the same root (no CVE-2012-2459 ambiguity)', () => {
    const leaves = [1, 2, 3].map((i) => leafHash(sha256(Uint8Array.of(i))));
    const root = (list: Uint8Array[]) => merkleLevels(list).at(-1)![0];
    expect(root(leaves)).not.toEqual(root([...leaves, leaves[2]]));
  });
});
