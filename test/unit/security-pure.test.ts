import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { checkPeerPin, checkSocketPin, PIN_MISMATCH_CODE, spkiPin, validatePin } from '../../src/net/pinning.js';
import { parseProfile } from '../../src/profiles/schema.js';
import { describeProblem, privateFileProblem } from '../../src/security/private-files.js';

describe('private file rules', () => {
  const me = 1000;
  test('mode 0600 or 0400, owned by me or root: fine', () => {
    assert.equal(privateFileProblem({ mode: 0o100600, uid: me }, me), undefined);
    assert.equal(privateFileProblem({ mode: 0o100400, uid: 0 }, me), undefined);
  });

  test('any group or world bit is loose', () => {
    for (const mode of [0o640, 0o604, 0o620, 0o602, 0o610, 0o644, 0o666, 0o777]) {
      assert.deepEqual(privateFileProblem({ mode: 0o100000 | mode, uid: me }, me), { kind: 'loose-mode', mode });
    }
  });

  test('another owner is refused even with a tight mode', () => {
    assert.deepEqual(privateFileProblem({ mode: 0o100600, uid: 1001 }, me), { kind: 'foreign-owner', uid: 1001 });
  });

  test('no POSIX owners (Windows): not checked', () => {
    assert.equal(privateFileProblem({ mode: 0o100666, uid: 0 }, undefined), undefined);
  });

  test('messages name the file and the fixing command', () => {
    const loose = describeProblem({ kind: 'loose-mode', mode: 0o644 }, 'profile file', '/c/profiles.yaml');
    assert.ok(loose instanceof UsageError);
    assert.equal(loose.message, 'profile file /c/profiles.yaml is accessible to other users (mode 0644)');
    assert.equal(loose.hint, 'run `chmod 600 /c/profiles.yaml`');
    assert.match(describeProblem({ kind: 'foreign-owner', uid: 7 }, 'REST client key', '/k').hint ?? '', /chown \$\(id -u\) \/k/u);
  });
});

describe('pins', () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });

  test('sha256/ + base64 of the SPKI, and validated in profiles', () => {
    const pin = spkiPin(spki);
    assert.match(pin, /^sha256\/[A-Za-z0-9+/]{43}=$/u);
    assert.equal(validatePin(pin, 'rest.pins'), pin);
    assert.throws(() => validatePin('sha1/abc', 'rest.pins'), UsageError);
    const raw = { cluster: 'c', rest: { urls: ['https://h:8008'], pins: [pin] }, dcs: { type: 'etcd3', urls: ['https://h:2379'], pins: ['nonsense'] } };
    assert.throws(() => parseProfile('p', raw), /invalid pin/u);
    assert.deepEqual(parseProfile('p', { ...raw, dcs: undefined }).rest.pins, [pin]);
  });

  test('a peer with no certificate, or an unpinned one, is a mismatch', () => {
    assert.equal(checkPeerPin(undefined, ['sha256/x'])?.code, PIN_MISMATCH_CODE);
    assert.equal(checkSocketPin({ getPeerCertificate: () => ({}) as never }, ['sha256/x'])?.code, PIN_MISMATCH_CODE);
  });
});
