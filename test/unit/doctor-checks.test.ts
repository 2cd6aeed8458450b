import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CheckResult, doctorDocument, doctorExitCode, expiryCheck, result, tlsParametersCheck, versionsCheck } from '../../src/doctor/checks.js';
import { environmentRisks, environmentWarnings } from '../../src/doctor/environment.js';

const now = new Date('2024-06-01T00:00:00Z');
const dates = (from: string, to: string) => ({ subject: 'CN=x', validFrom: new Date(from), validTo: new Date(to) });

describe('certificate expiry', () => {
  test('valid for long: pass with the days left', () => {
    const r = expiryCheck('t', 'server certificate', dates('2024-01-01', '2025-01-01'), now, 'renew it');
    assert.equal(r.status, 'pass');
    assert.match(r.detail, /valid for 214 more days/u);
    assert.equal(r.remedy, null);
    assert.equal(r.check, 'server-cert-expiry');
  });

  test('under 30 days: warn with the remedy', () => {
    const r = expiryCheck('t', 'server certificate', dates('2024-01-01', '2024-06-11T00:00:00Z'), now, 'renew it');
    assert.equal(r.status, 'warn');
    assert.match(r.detail, /expires in 10 days \(2024-06-11\)/u);
    assert.equal(r.remedy, 'renew it');
  });

  test('expired and not yet valid: fail', () => {
    assert.equal(expiryCheck('t', 'client certificate', dates('2024-01-01', '2024-05-31'), now, 'renew').status, 'fail');
    const future = expiryCheck('t', 'client certificate', dates('2024-07-01', '2025-01-01'), now, 'renew');
    assert.equal(future.status, 'fail');
    assert.match(future.detail, /not valid before/u);
    assert.match(future.remedy ?? '', /clock/u);
  });

  test('the warning window is a parameter', () => {
    assert.equal(expiryCheck('t', 'CA', dates('2024-01-01', '2024-08-01'), now, 'r', 90).status, 'warn');
  });
});

describe('versions across members', () => {
  test('all the same: pass', () => {
    const r = versionsCheck('c', [{ member: 'a', patroni: '3.0.2', postgres: '15.4' }, { member: 'b', patroni: '3.0.2', postgres: '15.4' }]);
    assert.equal(r.status, 'pass');
    assert.match(r.detail, /Patroni 3\.0\.2, PostgreSQL 15\.4 on 2 members/u);
  });

  test('mixed Patroni or PostgreSQL versions: warn, listing each member', () => {
    const r = versionsCheck('c', [{ member: 'a', patroni: '3.0.2', postgres: '15.4' }, { member: 'b', patroni: '4.0.1', postgres: '15.4' }]);
    assert.equal(r.status, 'warn');
    assert.match(r.detail, /a: Patroni 3\.0\.2.*b: Patroni 4\.0\.1/u);
    assert.equal(versionsCheck('c', [{ member: 'a', patroni: '3.0.2', postgres: '15.4' }, { member: 'b', patroni: '3.0.2', postgres: '16.1' }]).status, 'warn');
  });

  test('no versions known: skipped', () => {
    assert.equal(versionsCheck('c', []).status, 'skip');
  });
});

describe('TLS parameters', () => {
  test('TLS 1.2 and 1.3 pass, anything older fails', () => {
    assert.equal(tlsParametersCheck('t', 'TLSv1.3', 'TLS_AES_256_GCM_SHA384').status, 'pass');
    assert.equal(tlsParametersCheck('t', 'TLSv1.2', 'ECDHE').status, 'pass');
    assert.equal(tlsParametersCheck('t', 'TLSv1.1', 'x').status, 'fail');
    assert.equal(tlsParametersCheck('t', null, null).status, 'fail');
  });
});

describe('exit code and rendering', () => {
  const pass = result('REST pg0', 'tls', 'pass', 'TLSv1.3', 'never shown');
  const warn = result('REST pg0', 'anonymous-read', 'warn', 'reads work without a client certificate', 'set verify_client: required');
  const fail = result('local', 'secrets', 'fail', 'no rest-password', 'run patrol login');
  const skip = result('local', 'basic-auth', 'skip', 'no username', 'x');

  test('exit 0 only when nothing failed or warned', () => {
    assert.equal(doctorExitCode([pass, skip]), 0);
    assert.equal(doctorExitCode([pass, warn]), 1);
    assert.equal(doctorExitCode([pass, fail]), 1);
    assert.equal(pass.remedy, null, 'a passing check has no remedy');
  });

  test('pretty: ✓ / ! / ✗ per check, a remedy line per problem, sanitized server text', () => {
    const hostile: CheckResult = result('REST \u001b[2Jevil', 'tls', 'fail', 'bad \u001b]52;c;x\u0007', 'fix');
    const text = doctorDocument('prod', [pass, warn, fail, hostile]).pretty!();
    assert.match(text, /✓ tls +TLSv1\.3/u);
    assert.match(text, /! anonymous-read/u);
    assert.match(text, /✗ secrets +no rest-password\n +→ run patrol login/u);
    assert.doesNotMatch(text, /\u001b/u);
    assert.match(text, /1 passed, 1 warning, 2 failed/u);
  });

  test('json: ok, counts and every check', () => {
    const data = doctorDocument('prod', [pass, fail]).data as { ok: boolean; counts: Record<string, number>; checks: CheckResult[] };
    assert.equal(data.ok, false);
    assert.deepEqual(data.counts, { pass: 1, warn: 0, fail: 1, skip: 0 });
    assert.equal(data.checks.length, 2);
  });
});

describe('dangerous environment variables', () => {
  test('the TLS-weakening ones are named, with what patrol does about them', () => {
    const risks = environmentRisks({ NODE_TLS_REJECT_UNAUTHORIZED: '0', NODE_EXTRA_CA_CERTS: '/tmp/ca.pem', NODE_OPTIONS: '--use-openssl-ca', SSLKEYLOGFILE: '/tmp/keys' });
    assert.deepEqual(risks.map((r) => r.variable), ['NODE_TLS_REJECT_UNAUTHORIZED', 'NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'SSLKEYLOGFILE']);
    // patrol undoes the first two itself; it cannot undo code loaded through NODE_OPTIONS.
    assert.deepEqual(risks.map((r) => r.neutralized), [true, true, false, false]);
    assert.match(environmentWarnings({ NODE_TLS_REJECT_UNAUTHORIZED: '0' })[0]!, /^patrol: warning: NODE_TLS_REJECT_UNAUTHORIZED is set .*ignores it/u);
  });

  test('harmless values are not flagged', () => {
    assert.deepEqual(environmentRisks({ NODE_TLS_REJECT_UNAUTHORIZED: '1', NODE_EXTRA_CA_CERTS: '', NODE_OPTIONS: '--max-old-space-size=100' }), []);
  });
});
