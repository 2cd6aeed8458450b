// The security model against the real cluster: TLS failures, authentication failures and a
// tampered DCS each fail closed, exit 4 with one clear line, and never leak a secret.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type ClusterHandle, startCluster } from '../fixtures/cluster.js';
import { profileAddArgs } from '../support/cluster-profile.js';
import { runPatrol, tempConfigDir, type PatrolRun } from '../support/run-patrol.js';
import { HttpTransport } from '../../src/net/transport.js';
import { loadTlsMaterial } from '../../src/net/tls.js';
import { PatroniRestClient } from '../../src/patroni/client.js';
import { TlsOrAuthError } from '../../src/errors.js';
import { Etcd3Client } from '../../src/dcs/etcd3.js';

const run = promisify(execFile);
let cluster: ClusterHandle;

function profileArgs(name: string, overrides: Record<string, string | undefined> = {}, dcs = true): string[] {
  return profileAddArgs(cluster, name, { overrides, dcs, allRestUrls: false, use: false });
}

async function withProfile(overrides: Record<string, string | undefined>, dcs = true): Promise<string> {
  const dir = tempConfigDir();
  const add = await runPatrol(profileArgs('p', overrides, dcs), { configDir: dir });
  assert.equal(add.code, 0, add.stderr);
  return dir;
}

/** One line on stderr, no stack trace, and none of the cluster's secrets anywhere. */
function assertCleanFailure(result: PatrolRun, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, `exit code (stderr: ${result.stderr})`);
  assert.match(result.stderr, pattern);
  assert.equal(result.stderr.trim().split('\n').length, 1, `one line expected, got: ${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
  for (const secret of [cluster.restPassword, cluster.etcdPassword, cluster.etcdRootPassword, cluster.pki.keyPassphrase]) {
    assert.ok(!result.stderr.includes(secret) && !result.stdout.includes(secret), 'a secret leaked into the output');
  }
}

/** A hardened transport trusting the cluster CA and presenting the given client certificate. */
async function transportWith(cert: string, key: string): Promise<HttpTransport> {
  return new HttpTransport(await loadTlsMaterial({ cacert: cluster.pki.ca, cert, key }, 'test', async () => undefined, ''));
}

const secretsEnv = (): Record<string, string> => ({ PATROL_REST_PASSWORD: cluster.restPassword, PATROL_DCS_PASSWORD: cluster.etcdPassword });

before(async () => {
  cluster = await startCluster({ scope: 'patrol-sec', removeOnStop: true });
});

after(async () => {
  await cluster?.stop();
});

describe('TLS and authentication failures exit 4 with one clear line', () => {
  test('a CA that did not sign the server certificate (REST)', async () => {
    const dir = await withProfile({ '--cacert': cluster.pki.rogueCa }, false);
    assertCleanFailure(await runPatrol(['list'], { configDir: dir, env: secretsEnv() }), 4, /not signed by the profile's CA/);
  });

  test('a CA that did not sign the server certificate (etcd)', async () => {
    const dir = await withProfile({ '--dcs-cacert': cluster.pki.rogueCa });
    assertCleanFailure(await runPatrol(['list'], { configDir: dir, env: secretsEnv() }), 4, /TLS failure with etcd/);
  });

  test('no client certificate: the REST API (verify_client: required) rejects the handshake', async () => {
    const dir = await withProfile({ '--cert': undefined, '--key': undefined }, false);
    assertCleanFailure(await runPatrol(['list'], { configDir: dir, env: secretsEnv() }), 4, /rejected the TLS handshake|TLS failure/);
  });

  test('a client certificate from another CA is rejected', async () => {
    const dir = await withProfile({ '--cert': cluster.pki.rogueClientCert, '--key': cluster.pki.rogueClientKey }, false);
    assertCleanFailure(await runPatrol(['list'], { configDir: dir, env: secretsEnv() }), 4, /TLS failure/);
  });

  test('a wrong etcd password, even under --debug', async () => {
    const dir = await withProfile({});
    const result = await runPatrol(['list'], { configDir: dir, env: { PATROL_DCS_PASSWORD: 'wrong-password-123' } });
    assertCleanFailure(result, 4, /rejected the username\/password/);
    const debug = await runPatrol(['list', '--debug'], { configDir: dir, env: { PATROL_DCS_PASSWORD: 'wrong-password-123' } });
    assert.equal(debug.code, 4);
    assert.ok(!debug.stderr.includes('wrong-password-123'));
  });

  test('a wrong REST password is refused by Patroni on an unsafe call (401 → TLS/auth error)', async () => {
    const transport = await transportWith(cluster.pki.restClientCert, cluster.pki.restClientKey);
    try {
      const client = new PatroniRestClient(transport, cluster.restUrls, async () => ({ username: cluster.restUser, password: 'not-the-password' }));
      await assert.rejects(client.send(cluster.restUrls[0]!, 'POST', '/reload'), (error: unknown) => {
        assert.ok(error instanceof TlsOrAuthError);
        assert.match(error.message, /HTTP 401/);
        assert.ok(!error.message.includes('not-the-password'));
        return true;
      });
    } finally {
      transport.close();
    }
  });

  test('debug output never shows the REST or DCS password', async () => {
    const dir = await withProfile({});
    const result = await runPatrol(['list', '--debug'], { configDir: dir, env: secretsEnv() });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /debug: POST https:\/\/127\.0\.0\.1:\d+\/v3\/kv\/range -> 200/);
    assert.ok(!result.stderr.includes(cluster.restPassword) && !result.stderr.includes(cluster.etcdPassword));
  });
});

describe('a TLS failure during a switchover writes nothing to the DCS', () => {
  const failoverKey = (): string => `${cluster.namespace}/${cluster.scope}/failover`;
  const readFailoverKey = async (): Promise<string> => {
    const { stdout } = await run('etcdctl', [
      `--endpoints=${cluster.etcdUrl}`, `--cacert=${cluster.pki.ca}`, `--cert=${cluster.pki.etcdClientCert}`, `--key=${cluster.pki.etcdClientKey}`,
      `--user=root:${cluster.etcdRootPassword}`, 'get', failoverKey(), '-w', 'json',
    ], { env: { ...process.env, ETCDCTL_API: '3' } });
    return stdout;
  };

  test('REST untrusted (wrong CA): switchover exits 4, with or without --via-dcs, and the failover key is untouched', async () => {
    const before = await readFailoverKey();
    const dir = await withProfile({ '--cacert': cluster.pki.rogueCa, '--dcs-cacert': cluster.pki.ca });
    const leaderBefore = (JSON.parse((await cluster.patronictl(['list', '-f', 'json'])).stdout) as Array<{ Member: string; Role: string }>).find((r) => r.Role === 'Leader')!.Member;
    const candidate = cluster.members.map((m) => m.name).find((n) => n !== leaderBefore)!;
    for (const extra of [[], ['--via-dcs']]) {
      const result = await runPatrol(['switchover', '--candidate', candidate, '--yes', ...extra], { configDir: dir, env: secretsEnv() });
      assertCleanFailure(result, 4, /TLS failure/);
    }
    const after = await readFailoverKey();
    const revision = (text: string) => (JSON.parse(text) as { kvs?: Array<{ mod_revision: number }> }).kvs?.[0]?.mod_revision ?? 0;
    assert.equal(revision(after), revision(before), 'the failover key must not be written');
    const leaderAfter = (JSON.parse((await cluster.patronictl(['list', '-f', 'json'])).stdout) as Array<{ Member: string; Role: string }>).find((r) => r.Role === 'Leader')!.Member;
    assert.equal(leaderAfter, leaderBefore);
  });

  test('--via-dcs is refused while members answer on their REST API', async () => {
    const dir = await withProfile({});
    const leader = (JSON.parse((await cluster.patronictl(['list', '-f', 'json'])).stdout) as Array<{ Member: string; Role: string }>).find((r) => r.Role === 'Leader')!.Member;
    const candidate = cluster.members.map((m) => m.name).find((n) => n !== leader)!;
    const result = await runPatrol(['switchover', '--candidate', candidate, '--via-dcs', '--yes'], { configDir: dir, env: secretsEnv() });
    assertCleanFailure(result, 2, /answers on its REST API/);
  });
});

describe('compare-and-swap against the real etcd (the only DCS write patrol makes, for --via-dcs)', () => {
  test('a write expecting an old revision is refused and leaves the key as it was', async () => {
    const transport = await transportWith(cluster.pki.etcdClientCert, cluster.pki.etcdClientKey);
    try {
      const etcd = new Etcd3Client(transport, [cluster.etcdUrl], async () => ({ username: cluster.etcdUser, password: cluster.etcdPassword }));
      const key = `${cluster.namespace}/${cluster.scope}-cas-probe/failover`;
      const before = await etcd.readKey(key);
      assert.deepEqual(before, { value: undefined, modRevision: 0 });
      assert.equal(await etcd.compareAndPut(key, 0, 'first'), true);
      assert.equal(await etcd.compareAndPut(key, 0, 'second'), false, 'a stale revision must not win');
      const after = await etcd.readKey(key);
      assert.equal(after.value, 'first');
      assert.ok(after.modRevision > 0);
      assert.equal(await etcd.compareAndPut(key, after.modRevision, 'third'), true);
      assert.equal((await etcd.readKey(key)).value, 'third');
    } finally {
      transport.close();
    }
  });
});

describe('a tampered DCS cannot redirect patrol', () => {
  let decoy: Server;
  let decoyConnections = 0;
  let decoyPort = 0;

  before(async () => {
    // A TLS server with a certificate the profile's CA trusts, on a loopback address the profile
    // does not trust: if patrol ever connected, this counter would show it.
    decoy = createServer({ cert: readFileSync(cluster.pki.serverCert), key: readFileSync(cluster.pki.serverKey) }, (_req, res) => res.end('{}'));
    decoy.on('connection', () => decoyConnections++);
    await new Promise<void>((resolve) => decoy.listen(0, '127.0.0.1', resolve));
    decoyPort = (decoy.address() as { port: number }).port;
    const etcdctl = async (...args: string[]) =>
      run('etcdctl', [
        `--endpoints=${cluster.etcdUrl}`, `--cacert=${cluster.pki.ca}`, `--cert=${cluster.pki.etcdClientCert}`, `--key=${cluster.pki.etcdClientKey}`,
        `--user=root:${cluster.etcdRootPassword}`, ...args,
      ], { env: { ...process.env, ETCDCTL_API: '3' } });
    const member = (apiUrl: string) => JSON.stringify({ conn_url: 'postgres://127.0.0.1:5999/postgres', api_url: apiUrl, state: 'running', role: 'replica' });
    await etcdctl('put', `${cluster.namespace}/${cluster.scope}/members/evil-http`, member(`http://127.0.0.1:${decoyPort}/patroni`));
    await etcdctl('put', `${cluster.namespace}/${cluster.scope}/members/evil-host`, member(`https://localhost:${decoyPort}/patroni`));
  });

  after(() => decoy?.close());

  test('an http:// api_url is refused before anything is sent', async () => {
    const dir = await withProfile({});
    const result = await runPatrol(['version', 'evil-http'], { configDir: dir, env: secretsEnv() });
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stdout + result.stderr, /api_url .* is not https/);
    assert.equal(decoyConnections, 0);
  });

  test('an https api_url on a host the profile does not trust is refused before anything is sent', async () => {
    const dir = await withProfile({});
    const result = await runPatrol(['version', 'evil-host'], { configDir: dir, env: secretsEnv() });
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stdout + result.stderr, /host localhost is not trusted/);
    assert.equal(decoyConnections, 0);
  });

  test('genuine members are still reachable next to the tampered keys', async () => {
    const dir = await withProfile({});
    const result = await runPatrol(['version', '-f', 'json', ...cluster.members.map((m) => m.name)], { configDir: dir, env: secretsEnv() });
    assert.equal(result.code, 0, result.stderr);
  });
});
