// Reading Patroni configs into profiles (which secrets move, which are never touched) and team
// bundles (nothing personal or secret goes out, nothing smuggled comes in).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { bundleToYaml, exportBundle, parseBundle, validateCaPem } from '../../src/profiles/bundle.js';
import { importPatroniConfig } from '../../src/profiles/import.js';
import type { Profile } from '../../src/profiles/schema.js';

const PATRONI_302 = `
scope: main
namespace: /db/
name: pg0
restapi:
  listen: 0.0.0.0:8008
  connect_address: 10.0.0.1:8008
  certfile: /etc/patroni/rest.crt
  keyfile: rest.key
  keyfile_password: rest-key-pass
  cafile: /etc/patroni/ca.crt
  authentication:
    username: patroni-admin
    password: rest-api-secret
etcd3:
  hosts: 10.0.0.5:2379,10.0.0.6:2379
  protocol: https
  cacert: /etc/patroni/etcd-ca.crt
  cert: /etc/patroni/etcd.crt
  key: /etc/patroni/etcd.key
  username: patroni
  password: etcd-secret
postgresql:
  authentication:
    superuser: { username: postgres, password: pg-superuser-secret }
    replication: { username: replicator, password: pg-replication-secret }
`;

const PATRONICTL_31 = `
scope: main
restapi:
  connect_address: db1.example.net:8008
  certfile: /etc/patroni/rest.crt
  authentication: { username: server-user, password: server-secret }
ctl:
  cacert: /etc/patroni/ca.crt
  certfile: /home/op/op.crt
  keyfile: /home/op/op.key
  keyfile_password: op-key-pass
  authentication: { username: operator, password: operator-secret }
etcd:
  host: 10.0.0.5:2379
  password: etcd2-secret
`;

describe('profile import --from patroni.yml', () => {
  test('3.0.x: restapi fallbacks for CA, client certificate, key passphrase and credentials', () => {
    const result = importPatroniConfig(PATRONI_302, { baseDir: '/etc/patroni' });
    assert.equal(result.profile.cluster, 'main');
    assert.equal(result.profile.namespace, '/db');
    assert.deepEqual(result.profile.rest.urls, ['https://10.0.0.1:8008']);
    assert.equal(result.profile.rest.cacert, '/etc/patroni/ca.crt');
    assert.equal(result.profile.rest.cert, '/etc/patroni/rest.crt');
    assert.equal(result.profile.rest.key, '/etc/patroni/rest.key', 'relative paths resolve against the file');
    assert.equal(result.profile.rest.username, 'patroni-admin');
    assert.deepEqual(result.profile.dcs, {
      type: 'etcd3',
      urls: ['https://10.0.0.5:2379', 'https://10.0.0.6:2379'],
      cacert: '/etc/patroni/etcd-ca.crt',
      cert: '/etc/patroni/etcd.crt',
      key: '/etc/patroni/etcd.key',
      username: 'patroni',
    });
    const moved = result.secrets.filter((s) => s.kind).map((s) => [s.keyPath, s.kind, s.value]);
    assert.deepEqual(moved, [
      ['restapi.keyfile_password', 'key-passphrase', 'rest-key-pass'],
      ['restapi.authentication.password', 'rest-password', 'rest-api-secret'],
      ['etcd3.password', 'dcs-password', 'etcd-secret'],
    ]);
    assert.ok(result.notes.some((n) => /3\.0\.x fallback/.test(n)));
  });

  test('PostgreSQL passwords are listed but never imported', () => {
    const result = importPatroniConfig(PATRONI_302, { baseDir: '/' });
    const pg = result.secrets.filter((s) => s.keyPath.startsWith('postgresql.'));
    assert.deepEqual(pg.map((s) => s.keyPath), ['postgresql.authentication.superuser.password', 'postgresql.authentication.replication.password']);
    for (const s of pg) {
      assert.equal(s.kind, undefined);
      assert.equal(s.value, undefined);
    }
    assert.ok(!JSON.stringify(result).includes('pg-superuser-secret'), 'the superuser password must not even be carried');
    assert.ok(!JSON.stringify(result.profile).includes('secret'), 'no secret in the profile');
  });

  test('3.1+: ctl settings win over restapi; an etcd v2 section is not imported', () => {
    const result = importPatroniConfig(PATRONICTL_31, { baseDir: '/' });
    assert.deepEqual(result.profile.rest.urls, ['https://db1.example.net:8008']);
    assert.equal(result.profile.rest.cert, '/home/op/op.crt');
    assert.equal(result.profile.rest.username, 'operator');
    assert.equal(result.profile.dcs, undefined);
    const byPath = Object.fromEntries(result.secrets.map((s) => [s.keyPath, s]));
    assert.equal(byPath['ctl.authentication.password']?.kind, 'rest-password');
    assert.equal(byPath['ctl.authentication.password']?.value, 'operator-secret');
    assert.equal(byPath['ctl.keyfile_password']?.kind, 'key-passphrase');
    assert.equal(byPath['restapi.authentication.password']?.kind, undefined, 'the server credential is listed, not used');
    assert.match(byPath['etcd.password']?.skipped ?? '', /v2/);
  });

  test('3.0.x ctl.auth "user:pass" and an etcd3 URL with credentials', () => {
    const result = importPatroniConfig(
      'scope: s\nrestapi: { connect_address: "127.0.0.1:8008", certfile: /c }\nctl: { auth: "admin:legacy-secret" }\netcd3: { url: "https://etcduser:url%40secret@127.0.0.1:2379" }\n',
      { baseDir: '/' },
    );
    assert.equal(result.profile.rest.username, 'admin');
    assert.deepEqual(result.profile.dcs?.urls, ['https://127.0.0.1:2379']);
    assert.equal(result.profile.dcs?.username, 'etcduser');
    const moved = Object.fromEntries(result.secrets.filter((s) => s.kind).map((s) => [s.kind, s.value]));
    assert.deepEqual(moved, { 'rest-password': 'legacy-secret', 'dcs-password': 'url@secret' });
  });

  test('plain-http endpoints are refused or left out, never downgraded', () => {
    assert.throws(() => importPatroniConfig('scope: s\nrestapi: { connect_address: "10.0.0.1:8008" }\n', { baseDir: '/' }), /plain http/);
    const result = importPatroniConfig('scope: s\nrestapi: { connect_address: "10.0.0.1:8008", certfile: /c }\netcd3: { host: "10.0.0.5:2379", password: p-secret }\n', { baseDir: '/' });
    assert.equal(result.profile.dcs, undefined);
    assert.ok(result.secrets.every((s) => s.kind === undefined), 'a password for a DCS patrol will not use is not stored');
  });

  test('missing or wildcard addresses need --rest-url', () => {
    assert.throws(() => importPatroniConfig('scope: s\nrestapi: { listen: "0.0.0.0:8008", certfile: /c }\n', { baseDir: '/' }), (error: unknown) => error instanceof UsageError && /--rest-url/.test(error.hint ?? ''));
    const result = importPatroniConfig('scope: s\n', { baseDir: '/', restUrls: ['https://db:8008'] });
    assert.deepEqual(result.profile.rest.urls, ['https://db:8008']);
    assert.throws(() => importPatroniConfig('name: x\n', { baseDir: '/' }), /scope/);
    assert.throws(() => importPatroniConfig('[1, 2', { baseDir: '/' }), UsageError);
  });
});

const CA = `-----BEGIN CERTIFICATE-----
MIIBhTCCASugAwIBAgIUNqS8uEWFuvYLzQ2HJgnB8kBnxPYwCgYIKoZIzj0EAwIw
GDEWMBQGA1UEAwwNcGF0cm9sLXRlc3QtY2EwHhcNMjQwMTAxMDAwMDAwWhcNMzQw
MTAxMDAwMDAwWjAYMRYwFAYDVQQDDA1wYXRyb2wtdGVzdC1jYTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABP3K1gXgvI6p0tnAmvUnY/8nSJ8wqZyfE3mI0BvY+4rm
pLqS4wWrs4v7H2H0Xx3rZ7cV0cfYtTDK6dH5GpvQ2gKjUzBRMB0GA1UdDgQWBBQy
Z7pJ3m6mC8V7rZr3l4lUrn4xUzAfBgNVHSMEGDAWgBQyZ7pJ3m6mC8V7rZr3l4lU
rn4xUzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQDkS0G2xZgJ
-----END CERTIFICATE-----`;

describe('team bundles', () => {
  test('export carries no key paths, no secrets; import drops anything smuggled in', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'patrol-bundle-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=bundle-ca', '-days', '2', '-keyout', path.join(dir, 'ca.key'), '-out', path.join(dir, 'ca.pem')], { stdio: 'ignore' });
    const caPem = readFileSync(path.join(dir, 'ca.pem'), 'utf8');
    const profile: Profile = {
      cluster: 'main',
      namespace: '/service',
      secretStore: 'file',
      rest: { urls: ['https://db1:8008'], cacert: path.join(dir, 'ca.pem'), cert: '/home/lead/lead.crt', key: '/home/lead/lead.key', username: 'admin', allowedHosts: ['db2'] },
      dcs: { type: 'etcd3', urls: ['https://etcd1:2379'], cacert: path.join(dir, 'ca.pem'), key: '/home/lead/etcd.key', cert: '/home/lead/etcd.crt', username: 'patroni' },
    };
    const text = bundleToYaml(exportBundle('prod', profile, (f) => validateCaPem(readFileSync(f, 'utf8'), f)));
    assert.doesNotMatch(text, /lead\.key|lead\.crt|etcd\.key|secretStore|PRIVATE KEY/);
    assert.match(text, /BEGIN CERTIFICATE/);
    const parsed = parseBundle(text);
    assert.equal(parsed.name, 'prod');
    assert.deepEqual(parsed.profile.rest, { urls: ['https://db1:8008'], username: 'admin', allowedHosts: ['db2'] });
    assert.deepEqual(parsed.profile.dcs, { type: 'etcd3', urls: ['https://etcd1:2379'], username: 'patroni' });
    assert.equal(parsed.restCaPem?.trim(), caPem.trim());

    const smuggled = text.replace('username: admin', 'username: admin\n  key: /tmp/attacker.key\n  cert: /tmp/attacker.crt\n  password: x');
    const again = parseBundle(smuggled);
    assert.equal(again.profile.rest.key, undefined);
    assert.equal(again.profile.rest.cert, undefined);
    assert.ok(!JSON.stringify(again).includes('attacker'));
  });

  test('a CA field holding a key or junk is refused', () => {
    assert.throws(() => validateCaPem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', 'ca'), /not a list of PEM certificates/);
    assert.throws(() => validateCaPem(`${CA}\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----`, 'ca'), /not a list of PEM certificates/);
    assert.throws(() => validateCaPem(CA, 'ca'), /does not parse/, 'a truncated certificate');
  });

  test('not a bundle', () => {
    assert.throws(() => parseBundle('scope: main\n'), /not a patrol profile bundle/);
  });
});
