import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TlsOrAuthError } from '../../src/errors.js';
import { trustedHostSet, trustedMemberOrigin } from '../../src/patroni/trust.js';

describe('trustedHostSet', () => {
  test('seed URL hosts (lower-cased) plus allowedHosts', () => {
    const hosts = trustedHostSet(['https://PG1.example.com:8008', 'https://10.0.0.2:8008'], ['Extra.Example', '[FE80::1]']);
    assert.deepEqual([...hosts].sort(), ['10.0.0.2', 'extra.example', 'fe80::1', 'pg1.example.com']);
  });
});

describe('trustedMemberOrigin', () => {
  const trusted = trustedHostSet(['https://10.0.1.11:8008', 'https://pg2.example.com:8008'], ['10.0.1.13', '[fe80::13]']);

  const accepted: Array<[string, string, string]> = [
    ['seed host, path stripped', 'https://10.0.1.11:8008/patroni', 'https://10.0.1.11:8008'],
    ['seed host on another port', 'https://10.0.1.11:9008/patroni', 'https://10.0.1.11:9008'],
    ['seed hostname, case-insensitive', 'https://PG2.Example.com:8008/patroni', 'https://pg2.example.com:8008'],
    ['allowedHosts entry', 'https://10.0.1.13:8008/patroni?x=1#y', 'https://10.0.1.13:8008'],
    ['allowedHosts IPv6 entry', 'https://[fe80::13]:8008/patroni', 'https://[fe80::13]:8008'],
  ];
  for (const [label, apiUrl, origin] of accepted) {
    test(`accepts ${label}`, () => assert.equal(trustedMemberOrigin('node', apiUrl, trusted), origin));
  }

  const refused: Array<[string, string | undefined, RegExp]> = [
    ['no api_url', undefined, /publishes no REST api_url/u],
    ['empty api_url', '', /publishes no REST api_url/u],
    ['invalid URL', 'not a url', /invalid api_url/u],
    ['plain http on a trusted host', 'http://10.0.1.11:8008/patroni', /is not https/u],
    ['untrusted host', 'https://10.66.6.6:8008/patroni', /host 10\.66\.6\.6 is not trusted/u],
    ['credentials in the URL', 'https://user:pass@10.0.1.11:8008/patroni', /carries credentials/u],
    ['username only in the URL', 'https://user@10.0.1.11:8008/patroni', /carries credentials/u],
    ['suffix trick', 'https://10.0.1.11.evil.example:8008/patroni', /is not trusted/u],
    ['userinfo trick', 'https://10.0.1.11:8008@evil.example/patroni', /carries credentials|is not trusted/u],
  ];
  for (const [label, apiUrl, pattern] of refused) {
    test(`refuses ${label}`, () => {
      assert.throws(() => trustedMemberOrigin('node', apiUrl, trusted), (e: unknown) => e instanceof TlsOrAuthError && e.exitCode === 4 && pattern.test(e.message));
    });
  }

  test('error messages sanitize the member name and never carry the URL password', () => {
    try {
      trustedMemberOrigin('evil\u001b[2J', 'https://u:hunter2@10.0.1.11:8008', trusted);
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof TlsOrAuthError);
      assert.ok(!e.message.includes('\u001b'));
      assert.ok(e.message.includes('evil\\e[2J'));
      assert.ok(!e.message.includes('hunter2'));
    }
  });

  test(
    'a member on an IPv6 seed host is trusted',
    () => {
      const seeds = trustedHostSet(['https://[2001:db8::11]:8008']);
      assert.equal(trustedMemberOrigin('node1', 'https://[2001:db8::11]:8008/patroni', seeds), 'https://[2001:db8::11]:8008');
    },
  );
});
