import { describe, expect, it } from 'vitest';
import vectors from '../fixtures/acvp/ml-kem-768-ml-dsa-65.json' with { type: 'json' };
import { fromHex, toHex, concatBytes } from '../../src/security/bytes.ts';
import {
  dsaKeygen,
  dsaVerify,
  kemDecapsulate,
  kemEncapsulate,
  kemKeygen,
  verify,
} from '../../src/security/pq.ts';

// NIST ACVP vectors (FIPS 203 ML-KEM-768, FIPS 204 ML-DSA-65) run through our own wrappers.
const hex = (s: string) => fromHex(s);
const HEX = (b: Uint8Array) => toHex(b).toUpperCase();

describe('ACVP ML-KEM-768 through the pq.ts wrappers', () => {
  for (const v of vectors['ML-KEM-768-keyGen']) {
    it(`keyGen tcId ${v.tcId}: seed d || z gives ek and dk`, () => {
      const { publicKey, secretKey } = kemKeygen(concatBytes(hex(v.d), hex(v.z)));
      expect(HEX(publicKey)).toBe(v.ek);
      expect(HEX(secretKey)).toBe(v.dk);
    });
  }

  for (const v of vectors['ML-KEM-768-encapsulation']) {
    it(`encapsulation tcId ${v.tcId} with fixed randomness m`, () => {
      const { ciphertext, sharedSecret } = kemEncapsulate(hex(v.ek), hex(v.m));
      expect(HEX(ciphertext)).toBe(v.c);
      expect(HEX(sharedSecret)).toBe(v.k);
    });
  }

  for (const v of vectors['ML-KEM-768-decapsulation']) {
    it(`decapsulation tcId ${v.tcId} (${v.reason})`, () => {
      expect(HEX(kemDecapsulate(hex(v.c), hex(v.dk)))).toBe(v.k);
    });
  }

  it('covers implicit rejection: modified ciphertexts still return the listed key', () => {
    const modified = vectors['ML-KEM-768-decapsulation'].filter((v) => v.reason === 'modified ciphertext');
    expect(modified.length).toBeGreaterThan(0);
  });
});

describe('ACVP ML-DSA-65 through the pq.ts wrappers', () => {
  for (const v of vectors['ML-DSA-65-keyGen']) {
    it(`keyGen tcId ${v.tcId} from a 32-byte seed`, () => {
      const { publicKey, secretKey } = dsaKeygen(hex(v.seed));
      expect(HEX(publicKey)).toBe(v.pk);
      expect(HEX(secretKey)).toBe(v.sk);
    });
  }

  for (const v of vectors['ML-DSA-65-sigVer-external-pure']) {
    it(`sigVer tcId ${v.tcId} with context: ${v.reason}`, () => {
      const ok = dsaVerify(hex(v.signature), hex(v.message), hex(v.pk), hex(v.context));
      expect(ok).toBe(v.testPassed);
      // The signature-suite entry point used by the audit log and handshakes agrees.
      expect(verify('ml-dsa-65', hex(v.pk), hex(v.signature), hex(v.message), hex(v.context))).toBe(
        v.testPassed,
      );
    });
  }

  it('rejects a valid signature under a different context string', () => {
    const v = vectors['ML-DSA-65-sigVer-external-pure'].find((x) => x.testPassed);
    if (!v) throw new Error('fixture has no valid signature');
    const context = hex(v.context);
    const other = context.length > 0 ? context.slice(1) : Uint8Array.of(0);
    expect(dsaVerify(hex(v.signature), hex(v.message), hex(v.pk), other)).toBe(false);
  });
});
