/**
 * A sender's identity from its client certificate (issue 12, section 3), on the strings Node's
 * X509Certificate prints: SPIFFE node and collector IDs in the URI SAN (ids with `:`, `/`, `@`
 * and spaces, percent-encoded), JSON-quoted SAN values, the CN with RFC 2253 escapes as the
 * fallback, and nothing for what is neither.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  commonNameOf,
  identityOfCertificate,
  identityOfSpiffeId,
  parseSubjectAltNames,
} from '../../src/serve/identity.ts';

describe('parseSubjectAltNames', () => {
  it('splits names of every type, unquoting JSON-quoted values', () => {
    expect(
      parseSubjectAltNames(
        'DNS:edge.example, URI:spiffe://td/node/a, IP Address:127.0.0.1, URI:"spiffe://td/node/x, y", email:a@b',
      ),
    ).toEqual([
      { type: 'DNS', value: 'edge.example' },
      { type: 'URI', value: 'spiffe://td/node/a' },
      { type: 'IP Address', value: '127.0.0.1' },
      { type: 'URI', value: 'spiffe://td/node/x, y' },
      { type: 'email', value: 'a@b' },
    ]);
  });

  it('stops at text that is not a list of names instead of guessing', () => {
    expect(parseSubjectAltNames('')).toEqual([]);
    expect(parseSubjectAltNames('no colon here')).toEqual([]);
    expect(parseSubjectAltNames('URI:"unterminated')).toEqual([]);
    expect(parseSubjectAltNames('DNS:a, URI:"bad \\q escape"')).toEqual([{ type: 'DNS', value: 'a' }]);
  });

  it('gives back every value Node would print, quoted or not', () => {
    const value = fc.string({ minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 5 }), (values) => {
        // Node quotes a value holding a comma, a quote, a backslash or a control character.
        const printed = values
          .map((v) => `URI:${[...v].some((c) => ',"\\'.includes(c) || c < ' ') ? JSON.stringify(v) : v}`)
          .join(', ');
        expect(parseSubjectAltNames(printed).map((n) => n.value)).toEqual(values);
      }),
    );
  });
});

describe('identityOfSpiffeId', () => {
  it('reads node and collector ids, percent-decoded, keeping the SPIFFE ID', () => {
    const uri = 'spiffe://mesh.example/node/db%3A5432%2Fprimary%40eu%20west';
    expect(identityOfSpiffeId(uri)).toEqual({
      node: 'db:5432/primary@eu west',
      collector: false,
      spiffeId: uri,
    });
    expect(identityOfSpiffeId('spiffe://td/node/api/v1')).toMatchObject({ node: 'api/v1', collector: false });
    expect(identityOfSpiffeId('spiffe://td/collector/prometheus-1')).toMatchObject({
      node: 'prometheus-1',
      collector: true,
    });
  });

  it('refuses other URIs, empty ids and broken escapes', () => {
    for (const uri of [
      'https://td/node/a',
      'spiffe://td/workload/a',
      'spiffe://td/node/',
      'spiffe:///node/a',
      'spiffe://td/node/a?x=1',
      'spiffe://td/node/%E0%A4%A',
      'spiffe://td/node/%ZZ',
    ])
      expect([uri, identityOfSpiffeId(uri)]).toEqual([uri, undefined]);
  });

  it('round-trips any node id through a percent-encoded SPIFFE ID', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' }), (id) => {
        const uri = `spiffe://td/node/${encodeURIComponent(id)}`;
        expect(identityOfSpiffeId(uri)?.node).toBe(id);
      }),
    );
  });
});

describe('commonNameOf', () => {
  it('unescapes RFC 2253 escapes and UTF-8 bytes written as hex', () => {
    expect(commonNameOf('CN=edge\\, \\"1\\"\\+x\nO=Acme')).toBe('edge, "1"+x');
    expect(commonNameOf('O=Acme\nCN=caf\\C3\\A9 1')).toBe('café 1');
    expect(commonNameOf('CN=naïve')).toBe('naïve');
    expect(commonNameOf('O=Acme')).toBeUndefined();
    expect(commonNameOf('CN=')).toBeUndefined();
  });
});

describe('identityOfCertificate', () => {
  it('takes the first node or collector SPIFFE ID among the URI SANs', () => {
    expect(
      identityOfCertificate({
        subject: 'CN=ignored',
        subjectAltName: 'DNS:a.example, URI:https://x/y, URI:spiffe://td/collector/agent%201',
      }),
    ).toEqual({ node: 'agent 1', collector: true, spiffeId: 'spiffe://td/collector/agent%201' });
  });

  it('falls back to the CN as a node, and is undefined with neither', () => {
    expect(
      identityOfCertificate({ subject: 'CN=cache@eu\nO=Acme', subjectAltName: 'DNS:c.example' }),
    ).toEqual({
      node: 'cache@eu',
      collector: false,
    });
    expect(
      identityOfCertificate({ subject: 'O=Acme', subjectAltName: 'URI:spiffe://td/other/x' }),
    ).toBeUndefined();
    expect(identityOfCertificate({})).toBeUndefined();
  });
});
