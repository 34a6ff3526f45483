/**
 * Security: the post-quantum wrappers reproduce NIST ACVP known answers (embedded in
 * ../kat-vectors.ts), the signed audit log verifies and catches tampering, sealed messages
 * open and refuse forgeries and replays, keys rotate and expire as specified, and the
 * deployment's own public keys (given with --keys) are valid and not near expiry.
 */
import { notApplicable, verdict, type Check } from '../check.ts';
import { describeError } from '../runner.ts';
import {
  DSA_KEYGEN,
  DSA_SIGNATURE,
  KEM_DECAPSULATION,
  KEM_ENCAPSULATION,
  KEM_KEYGEN,
} from '../kat-vectors.ts';

/** A key must keep at least this share of its lifetime, and at most an hour is asked for. */
const EXPIRY_MARGIN_SHARE = 0.1;
const EXPIRY_MARGIN_MAX_MS = 60 * 60 * 1000;

/** Runs `f` and returns the name of the error it throws, or 'accepted' when it does not throw. */
function rejection(f: () => unknown): string {
  try {
    f();
    return 'accepted';
  } catch (error) {
    return (error as Error).name;
  }
}

/** The Security checks. */
export const securityChecks: readonly Check[] = [
  {
    id: 'security.ml-kem-kat',
    title: 'ML-KEM-768 wrappers reproduce ACVP known answers',
    category: 'Security',
    critical: true,
    expected: 'keyGen ek/dk, encapsulation c/k and implicit-rejection decapsulation k all match',
    async run() {
      const pq = await import('../../security/pq.ts');
      const { fromHex, fromBase64, toHex, concatBytes } = await import('../../security/bytes.ts');
      const digest = (b: Uint8Array) => toHex(pq.sha256(b));
      const pair = pq.kemKeygen(concatBytes(fromHex(KEM_KEYGEN.d), fromHex(KEM_KEYGEN.z)));
      const enc = pq.kemEncapsulate(fromBase64(KEM_ENCAPSULATION.ek), fromHex(KEM_ENCAPSULATION.m));
      const rejected = pq.kemDecapsulate(fromBase64(KEM_DECAPSULATION.c), fromBase64(KEM_DECAPSULATION.dk));
      const results = {
        [`keyGen tcId ${KEM_KEYGEN.tcId} ek`]: digest(pair.publicKey) === KEM_KEYGEN.ekSha256,
        [`keyGen tcId ${KEM_KEYGEN.tcId} dk`]: digest(pair.secretKey) === KEM_KEYGEN.dkSha256,
        [`encapsulation tcId ${KEM_ENCAPSULATION.tcId} c`]:
          digest(enc.ciphertext) === KEM_ENCAPSULATION.cSha256,
        [`encapsulation tcId ${KEM_ENCAPSULATION.tcId} k`]: toHex(enc.sharedSecret) === KEM_ENCAPSULATION.k,
        [`decapsulation tcId ${KEM_DECAPSULATION.tcId} (modified ciphertext) k`]:
          toHex(rejected) === KEM_DECAPSULATION.k,
      };
      const failed = Object.entries(results)
        .filter(([, ok]) => !ok)
        .map(([name]) => name);
      return verdict(
        failed.length === 0,
        `${Object.keys(results).length - failed.length}/${Object.keys(results).length} answers match`,
        { results, failed },
      );
    },
  },
  {
    id: 'security.ml-dsa-kat',
    title: 'ML-DSA-65 wrappers reproduce ACVP known answers',
    category: 'Security',
    critical: true,
    expected: 'keyGen pk/sk match; the ACVP signature verifies; altered message or context does not',
    async run() {
      const pq = await import('../../security/pq.ts');
      const { fromHex, fromBase64, toHex } = await import('../../security/bytes.ts');
      const digest = (b: Uint8Array) => toHex(pq.sha256(b));
      const pair = pq.dsaKeygen(fromHex(DSA_KEYGEN.seed));
      const pk = fromBase64(DSA_SIGNATURE.pk);
      const signature = fromBase64(DSA_SIGNATURE.signature);
      const message = fromHex(DSA_SIGNATURE.message);
      const context = fromHex(DSA_SIGNATURE.context);
      const altered = message.slice();
      altered[0] ^= 1;
      const otherContext = context.slice();
      otherContext[0] ^= 1;
      const results = {
        [`keyGen tcId ${DSA_KEYGEN.tcId} pk`]: digest(pair.publicKey) === DSA_KEYGEN.pkSha256,
        [`keyGen tcId ${DSA_KEYGEN.tcId} sk`]: digest(pair.secretKey) === DSA_KEYGEN.skSha256,
        [`sigVer tcId ${DSA_SIGNATURE.tcId} verifies`]: pq.dsaVerify(signature, message, pk, context),
        'altered message is refused': !pq.dsaVerify(signature, altered, pk, context),
        'altered context is refused': !pq.dsaVerify(signature, message, pk, otherContext),
      };
      const failed = Object.entries(results)
        .filter(([, ok]) => !ok)
        .map(([name]) => name);
      return verdict(
        failed.length === 0,
        `${Object.keys(results).length - failed.length}/${Object.keys(results).length} answers match`,
        { results, failed },
      );
    },
  },
  {
    id: 'security.audit-log',
    title: 'Signed audit log verifies, and altering or deleting an entry is detected',
    category: 'Security',
    critical: true,
    expected: '100 entries verify; an altered entry fails as altered; a deleted entry fails verification',
    async run(context) {
      const { NodeKeys } = await import('../../security/keys.ts');
      const { MemoryAuditStore } = await import('../../security/audit-store.ts');
      const { AuditLog } = await import('../../security/audit-log.ts');
      const { verifyAuditLog } = await import('../../security/audit-verify.ts');
      const keys = NodeKeys.generate({ owner: 'readiness', now: context.now() });
      const store = new MemoryAuditStore();
      const log = await AuditLog.open(store, keys, { batchSize: 16, now: context.now });
      for (let i = 0; i < 100; i++)
        await log.append({ kind: 'action', actor: 'readiness', data: { i, target: `n${i % 7}` } });
      await log.flush();
      const ring = keys.ring();
      const intact = await verifyAuditLog(store, ring, { expectedEntries: 100 });
      const size = await store.size();
      const entries = await store.entries(0, size.entries);
      const seals = await store.seals(0, size.seals);
      const alteredEntries = entries.map((e, i) =>
        i === 42 ? { ...e, data: { i: 42, target: 'elsewhere' } } : e,
      );
      const altered = await verifyAuditLog(new MemoryAuditStore(alteredEntries, seals), ring);
      const deleted = await verifyAuditLog(
        new MemoryAuditStore(
          entries.filter((_, i) => i !== 17),
          seals,
        ),
        ring,
        { expectedEntries: 100 },
      );
      const describe = (r: typeof intact) =>
        r.ok ? `ok: ${r.entries} entries, ${r.batches} batches` : `${r.reason} at ${r.position}: ${r.detail}`;
      const ok =
        intact.ok && intact.entries === 100 && !altered.ok && altered.reason === 'altered' && !deleted.ok;
      return verdict(
        ok,
        intact.ok
          ? `${intact.entries} entries verified; tampering detected: ${!altered.ok && !deleted.ok}`
          : 'intact log did not verify',
        {
          signer: keys.signatureAlgorithm,
          intact: describe(intact),
          alteredEntry42: describe(altered),
          deletedEntry17: describe(deleted),
        },
      );
    },
  },
  {
    id: 'security.sealed-messages',
    title: 'Sealed one-shot messages open, and forgeries and replays are refused',
    category: 'Security',
    critical: true,
    expected: 'the payload round-trips; a flipped byte and a replay both throw',
    async run(context) {
      const { NodeKeys, KeyRing } = await import('../../security/keys.ts');
      const { sealOneShot, OneShotReceiver } = await import('../../security/oneshot.ts');
      const { equalBytes, utf8 } = await import('../../security/bytes.ts');
      const now = context.now();
      const sender = NodeKeys.generate({ owner: 'sender', now });
      const receiver = NodeKeys.generate({ owner: 'receiver', now });
      const trust = new KeyRing();
      trust.addAll(sender.ring());
      const inbox = new OneShotReceiver(receiver, trust, { now: () => now });
      const payload = utf8('{"node":"n7","cpu":93.5}');
      const sealed = sealOneShot(sender, receiver.kemKey(now), payload, { now });
      const opened = inbox.open(sealed);
      const replay = rejection(() => inbox.open(sealed));
      const forged = sealed.slice();
      forged[sealed.length - 200] ^= 1;
      const fresh = new OneShotReceiver(receiver, trust, { now: () => now });
      const tampered = rejection(() => fresh.open(forged));
      const ok =
        equalBytes(opened.payload, payload) &&
        opened.sender.owner === 'sender' &&
        replay !== 'accepted' &&
        tampered !== 'accepted';
      return verdict(
        ok,
        `round trip ${equalBytes(opened.payload, payload) ? 'ok' : 'broken'}; replay: ${replay}; flipped byte: ${tampered}`,
        {
          messageBytes: sealed.length,
          authenticatedSender: opened.sender.owner,
          replay,
          flippedByte: tampered,
        },
      );
    },
  },
  {
    id: 'security.key-lifecycle',
    title: 'Node keys are valid when made, rotate at expiry, and expired keys are refused',
    category: 'Security',
    critical: true,
    expected:
      'fresh keys valid now for the rotation period; a new key at expiry; the old key refused after it',
    async run(context) {
      const { NodeKeys } = await import('../../security/keys.ts');
      const now = context.now();
      const keys = NodeKeys.generate({ owner: 'readiness', now });
      const first = keys.signingKey(now);
      const lifetime = first.expires - first.created;
      const second = keys.signingKey(first.expires + 1);
      const late = rejection(() => keys.ring().require(first.id, first.expires + 1, [first.algorithm]));
      const ok =
        first.created === now &&
        lifetime === keys.rotationMs &&
        second.id !== first.id &&
        second.created === first.expires + 1 &&
        late === 'ExpiredKeyError';
      return verdict(
        ok,
        `lifetime ${lifetime / 3_600_000} h; rotated: ${second.id !== first.id}; expired key: ${late}`,
        {
          algorithm: first.algorithm,
          lifetimeMs: lifetime,
          firstKey: first.id,
          rotatedKey: second.id,
          expiredKeyUse: late,
        },
      );
    },
  },
  {
    id: 'security.deployment-keys',
    title: "The deployment's public keys are valid and not near expiry",
    category: 'Security',
    critical: true,
    expected: `per owner, the newest signing and KEM keys are valid now with >= min(1 h, ${EXPIRY_MARGIN_SHARE * 100}% of lifetime) left`,
    async run(context) {
      if (context.keysPath === null) {
        return notApplicable('no deployment keys given', {
          rule: 'pass --keys <public-keys.json> (x0tta6bl4-keys/1) to check them',
        });
      }
      const fs = await import('node:fs/promises');
      const { KeyRing } = await import('../../security/keys.ts');
      let ring;
      try {
        ring = KeyRing.fromJSON(JSON.parse(await fs.readFile(context.keysPath, 'utf8')));
      } catch (error) {
        return verdict(false, 'key file unreadable or invalid', {
          file: context.keysPath,
          error: describeError(error),
        });
      }
      const now = context.now();
      const newest = new Map<string, { id: string; created: number; expires: number }>();
      for (const r of ring.records())
        newest.set(`${r.owner} ${r.algorithm.startsWith('ml-kem') ? 'kem' : 'signing'}`, r);
      const keys = [...newest].map(([role, r]) => {
        const left = r.expires - now;
        const margin = Math.min(EXPIRY_MARGIN_MAX_MS, EXPIRY_MARGIN_SHARE * (r.expires - r.created));
        return {
          role,
          id: r.id,
          validNow: now >= r.created && now <= r.expires,
          hoursLeft: Math.round((left / 3_600_000) * 100) / 100,
          ok: now >= r.created && left >= margin,
        };
      });
      const bad = keys.filter((k) => !k.ok);
      const roles = new Set(keys.map((k) => k.role.split(' ')[1]));
      const ok = keys.length > 0 && bad.length === 0 && roles.has('signing') && roles.has('kem');
      return verdict(ok, `${keys.length - bad.length}/${keys.length} current keys healthy`, {
        file: context.keysPath,
        keys,
      });
    },
  },
];
