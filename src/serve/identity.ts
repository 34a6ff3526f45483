/**
 * Who a client certificate says its holder is. A SPIFFE ID in the certificate's URI SAN,
 * `spiffe://<trust-domain>/node/<id>`, names the node it speaks for and
 * `spiffe://<trust-domain>/collector/<id>` a collector (a Prometheus server, an agent) that may
 * send for any node; without one, the subject's CN names the node. Node ids are the operator's
 * own names (`db:5432`, `api/v1`, `cache@eu`, `web front`), so everything after `/node/` is the
 * id, percent-decoded: a URI cannot hold a space, so a certificate spells it `%20`.
 *
 * The text parsing is pure (the SAN and subject strings Node's X509Certificate gives), so it is
 * tested on every runtime; `identityOfCertificate` reads a certificate on the server's side.
 */
import type { PeerIdentity } from './peer.ts';

/** The parts of a certificate the identity comes from, as node:crypto's X509Certificate shows them. */
export interface CertificateNames {
  /** The subject, one `KEY=value` per line, values escaped as in RFC 2253 (`X509Certificate.subject`). */
  subject?: string;
  /** The SANs, `TYPE:value` joined by `, `, a value JSON-quoted when it needs it (`X509Certificate.subjectAltName`). */
  subjectAltName?: string;
}

/** One subject alternative name: its type as printed (`URI`, `DNS`, `IP Address`, `email`) and its value. */
export interface AltName {
  /** The name's type as Node prints it, e.g. `URI`. */
  type: string;
  /** The name itself, unquoted. */
  value: string;
}

/**
 * Splits a `subjectAltName` string (`URI:spiffe://td/node/a, DNS:x.example`) into its names.
 * Node quotes a value holding a comma, a quote or a control character as a JSON string
 * (`URI:"spiffe://td/node/a, b"`); such values are unquoted. Text that is not a list of names
 * ends the list where it stops making sense, so nothing unreadable becomes an identity.
 */
export function parseSubjectAltNames(text: string): AltName[] {
  const names: AltName[] = [];
  let at = 0;
  while (at < text.length) {
    const colon = text.indexOf(':', at);
    if (colon < 0) break;
    const type = text.slice(at, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      const close = closingQuote(text, colon + 1);
      if (close < 0) break;
      try {
        value = JSON.parse(text.slice(colon + 1, close + 1)) as string;
      } catch {
        break;
      }
      end = close + 1;
    } else {
      const comma = text.indexOf(', ', colon + 1);
      end = comma < 0 ? text.length : comma;
      value = text.slice(colon + 1, end);
    }
    names.push({ type, value });
    if (end >= text.length) break;
    if (!text.startsWith(', ', end)) break;
    at = end + 2;
  }
  return names;
}

/** The index of the quote ending the JSON string that starts at `open`, or -1. */
function closingQuote(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/**
 * The common name in a subject printed one `KEY=value` per line with RFC 2253 escapes
 * (`\,` and `\+` for the character, `\C3\A9` for UTF-8 bytes), or undefined without one.
 */
export function commonNameOf(subject: string): string | undefined {
  for (const line of subject.split('\n')) {
    if (!line.startsWith('CN=')) continue;
    const name = unescapeDistinguishedValue(line.slice(3));
    return name === '' ? undefined : name;
  }
  return undefined;
}

function unescapeDistinguishedValue(escaped: string): string {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < escaped.length; i++) {
    const c = escaped[i];
    if (c === '\\' && i + 1 < escaped.length) {
      const hex = escaped.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(Number.parseInt(hex, 16));
        i += 2;
      } else {
        bytes.push(...encoder.encode(escaped[i + 1]));
        i += 1;
      }
      continue;
    }
    const code = escaped.codePointAt(i)!;
    const char = String.fromCodePoint(code);
    bytes.push(...encoder.encode(char));
    i += char.length - 1;
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

const SPIFFE = /^spiffe:\/\/([^/?#]+)\/(node|collector)\/([^?#]+)$/;

/**
 * What a SPIFFE ID says: `spiffe://<td>/node/<id>` a node, `spiffe://<td>/collector/<id>` a
 * collector; the id is everything after the kind, percent-decoded. Undefined for any other URI,
 * an empty id, or an id whose percent-escapes are not UTF-8.
 */
export function identityOfSpiffeId(uri: string): PeerIdentity | undefined {
  const match = SPIFFE.exec(uri);
  if (!match) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(match[3]);
  } catch {
    return undefined;
  }
  if (id === '') return undefined;
  return { node: id, collector: match[2] === 'collector', spiffeId: uri };
}

/**
 * The identity a verified client certificate gives (see the module's comment): the first URI SAN
 * that is a node or collector SPIFFE ID, else the subject's CN as a node, else undefined (the
 * handler then treats the sender as unidentified). Takes node:crypto's X509Certificate as it is.
 */
export function identityOfCertificate(certificate: CertificateNames): PeerIdentity | undefined {
  for (const { type, value } of parseSubjectAltNames(certificate.subjectAltName ?? '')) {
    if (type !== 'URI') continue;
    const identity = identityOfSpiffeId(value);
    if (identity) return identity;
  }
  const cn = certificate.subject === undefined ? undefined : commonNameOf(certificate.subject);
  return cn === undefined ? undefined : { node: cn, collector: false };
}
