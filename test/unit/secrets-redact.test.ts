import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { redact, registerSecret } from '../../src/secrets/redact.js';

describe('redact: registered secrets', () => {
  const secret = 'S3cr3t-Pa55word!';
  registerSecret(secret);
  registerSecret(undefined);
  registerSecret('abc'); // too short to register

  test('the value itself is masked wherever it appears', () => {
    const out = redact(`connecting with ${secret} and again ${secret}.`);
    assert.equal(out, 'connecting with [REDACTED] and again [REDACTED].');
  });

  test('its base64 encoding is masked too', () => {
    const b64 = Buffer.from(secret).toString('base64');
    const out = redact(`x-token=${b64};`);
    assert.ok(!out.includes(b64), out);
    assert.ok(out.includes('[REDACTED]'));
  });

  test('values shorter than 4 characters are not registered (ordinary words survive)', () => {
    assert.equal(redact('abc def'), 'abc def');
  });

  test('text without secrets is unchanged', () => {
    const text = 'GET https://10.0.0.1:8008/cluster -> 200 (12 ms)';
    assert.equal(redact(text), text);
  });
});

describe('redact: secret-shaped fragments', () => {
  const basic = Buffer.from('patroni:hunter2hunter2').toString('base64');
  const table: Array<[string, string, string]> = [
    ['Authorization: Basic header', `Authorization: Basic ${basic}`, basic],
    ['lower-case header in a JSON dump', `{"authorization":"Basic ${basic}"}`, basic],
    ['Bearer token', 'Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl', 'eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl'],
    ['bare Bearer token in prose', 'sent Bearer abcdef123456 to etcd', 'abcdef123456'],
    ['etcd raw token header', 'authorization: kZxLMMGtXLxWpwOi.42', 'kZxLMMGtXLxWpwOi.42'],
    ['https://user:pass@host', 'cannot reach https://admin:swordfish@10.0.0.1:2379/v3', 'swordfish'],
    ['postgres://user:pass@host', 'conn postgres://replicator:rep-pass@10.0.0.2:5432/postgres', 'rep-pass'],
    ['"password": "…" in JSON', '{"username":"patroni","password":"hunter2-json"}', 'hunter2-json'],
    ['password: … in YAML', 'authentication:\n  password: hunter2-yaml\n', 'hunter2-yaml'],
    ["'passphrase' = '…'", "{'passphrase': 'key-pass-99'}", 'key-pass-99'],
    ['token=… query-ish', 'token=abcd1234efgh&x=1', 'abcd1234efgh'],
  ];
  for (const [label, input, leaked] of table) {
    test(label, () => {
      const out = redact(input);
      assert.ok(!out.includes(leaked), `leaked in: ${out}`);
      assert.ok(out.includes('[REDACTED]'), out);
    });
  }

  test('keeps the shape readable', () => {
    assert.equal(redact(`Authorization: Basic ${basic}`), 'Authorization: Basic [REDACTED]');
    assert.equal(redact('https://admin:swordfish@10.0.0.1:2379/v3'), 'https://[REDACTED]@10.0.0.1:2379/v3');
    assert.equal(redact('{"password":"x1","user":"u"}'), '{"password":[REDACTED],"user":"u"}');
  });

  test('ordinary config keys that merely contain "password" in a longer name are untouched', () => {
    assert.equal(redact('password_encryption: scram-sha-256'), 'password_encryption: scram-sha-256');
  });

  test(
    'a raw "@" inside a URL password does not leak the rest of the password',
    () => {
      const out = redact('https://admin:p@ss-tail@10.0.0.1:8008/');
      assert.ok(!out.includes('ss-tail'), out);
    },
  );

  test(
    'an escaped quote inside a JSON password does not leak the rest of the password',
    () => {
      const out = redact(JSON.stringify({ password: 'ab"cdef-tail' }));
      assert.ok(!out.includes('cdef-tail'), out);
    },
  );
});
