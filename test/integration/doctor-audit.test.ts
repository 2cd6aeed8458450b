// `patrol doctor` and the audit log against the real TLS cluster: doctor is all green on a sound
// setup and names the failing check with its remedy for a wrong password or an expired client
// certificate; every action leaves exactly one audit line, with no secret in it.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ClusterHandle, startCluster } from '../fixtures/cluster.js';
import { daysFromNow, HostileCa, LOOPBACK_SANS } from '../fixtures/hostile-pki.js';
import { closeAllListeners, hostileTlsServer, type Listener, restProfileDir, tempStateDir } from '../support/hostile-server.js';
import { type PatrolRun, runPatrol, tempConfigDir } from '../support/run-patrol.js';
import { profileAddArgs } from '../support/cluster-profile.js';

let cluster: ClusterHandle;

interface Check {
  target: string;
  check: string;
  status: string;
  detail: string;
  remedy: string | null;
}

async function profile(overrides: Record<string, string | undefined> = {}): Promise<string> {
  const dir = tempConfigDir();
  const add = await runPatrol(profileAddArgs(cluster, 'p', { overrides, allRestUrls: false }), { configDir: dir });
  assert.equal(add.code, 0, add.stderr);
  return dir;
}

const secrets = (restPassword = cluster.restPassword): Record<string, string> => ({ PATROL_REST_PASSWORD: restPassword, PATROL_DCS_PASSWORD: cluster.etcdPassword });

async function doctor(configDir: string, env: Record<string, string>): Promise<{ run: PatrolRun; pretty: PatrolRun; checks: Check[] }> {
  const run = await runPatrol(['doctor', '-f', 'json'], { configDir, env });
  const pretty = await runPatrol(['doctor'], { configDir, env });
  const doc = JSON.parse(run.stdout) as { ok: boolean; checks: Check[] };
  assert.equal(doc.ok, run.code === 0);
  return { run, pretty, checks: doc.checks };
}

function assertNoSecrets(text: string): void {
  for (const secret of [cluster.restPassword, cluster.etcdPassword, cluster.etcdRootPassword]) assert.ok(!text.includes(secret), 'a secret leaked');
}

before(async () => {
  cluster = await startCluster({ scope: 'patrol-doctor', removeOnStop: true, certDays: 90 });
});

after(async () => {
  await closeAllListeners();
  await cluster?.stop();
});

describe('patrol doctor on the real cluster', () => {
  test('a sound setup: every check passes, exit 0', async () => {
    const { run, pretty, checks } = await doctor(await profile(), secrets());
    assert.equal(run.code, 0, pretty.stdout + run.stderr);
    assert.deepEqual(checks.filter((c) => c.status !== 'pass').map((c) => `${c.target} ${c.check}: ${c.detail}`), []);
    for (const member of cluster.members) {
      const mine = checks.filter((c) => c.target.startsWith(`REST ${member.name} `)).map((c) => c.check);
      for (const check of ['dns', 'tcp', 'tls', 'chain', 'san', 'server-cert-expiry', 'client-cert', 'anonymous-read', 'auth-required', 'basic-auth']) assert.ok(mine.includes(check), `${member.name}: ${check}`);
    }
    for (const check of ['client-cert', 'anonymous-read', 'dcs-auth']) assert.ok(checks.some((c) => c.target.startsWith('DCS ') && c.check === check && c.status === 'pass'), check);
    assert.ok(checks.some((c) => c.check === 'versions' && /Patroni 3\.0\.2/u.test(c.detail)));
    assert.match(pretty.stdout, /✓ basic-auth/u);
    assert.doesNotMatch(pretty.stdout, /✗|\n\s+→/u);
    assertNoSecrets(run.stdout + run.stderr + pretty.stdout + pretty.stderr);
  });

  test('the credential probe changes nothing in the cluster', async () => {
    const before = await cluster.restGet(cluster.members[0]!.name, '/config');
    await doctor(await profile(), secrets());
    await doctor(await profile(), secrets('not-the-password'));
    const after = await cluster.restGet(cluster.members[0]!.name, '/config');
    assert.deepEqual(after.body, before.body);
    const list = JSON.parse((await cluster.patronictl(['list', '-f', 'json'])).stdout) as Array<{ State: string }>;
    assert.ok(list.every((m) => m.State === 'running' || m.State === 'streaming'));
  });

  test('a wrong REST password: basic-auth fails with its remedy, exit 1', async () => {
    const { run, pretty, checks } = await doctor(await profile(), secrets('not-the-password'));
    assert.equal(run.code, 1);
    const failed = checks.filter((c) => c.status === 'fail');
    assert.ok(failed.length >= 1 && failed.every((c) => c.check === 'basic-auth'), JSON.stringify(failed));
    assert.match(failed[0]!.detail, /refused \(HTTP 401\)/u);
    assert.match(failed[0]!.remedy ?? '', /password/u);
    assert.match(pretty.stdout, /✗ basic-auth .*refused \(HTTP 401\)\n\s+→ check the REST username/u);
    assert.ok(!(run.stdout + pretty.stdout).includes('not-the-password'));
  });

  test('an expired client certificate: named in the local and the per-member checks, exit 1', async () => {
    const ca = await HostileCa.adopt(mkdtempSync(path.join(tmpdir(), 'patrol-doctor-ca-')), 'cluster-ca', cluster.pki.ca, cluster.pki.caKey);
    const expired = await ca.issue({ base: 'expired-client', subject: '/O=patrol-test/CN=patrol-operator', eku: ['clientAuth'], notBefore: daysFromNow(-30), notAfter: daysFromNow(-2) });
    const { run, pretty, checks } = await doctor(await profile({ '--cert': expired.cert, '--key': expired.key }), secrets());
    assert.equal(run.code, 1);
    const local = checks.find((c) => c.check === 'client-cert-expiry' && c.status === 'fail');
    assert.ok(local, JSON.stringify(checks.filter((c) => c.status !== 'pass')));
    assert.match(local.detail, /client certificate \(REST\) expired on/u);
    assert.match(local.remedy ?? '', /issue a new REST client certificate/u);
    assert.ok(checks.some((c) => c.check === 'client-cert' && c.status === 'fail' && c.target.startsWith('REST ')), 'the members refuse it too');
    assert.match(pretty.stdout, /✗ client-cert-expiry/u);
  });
});

describe('patrol doctor against a server whose certificate expires soon', () => {
  let server: Listener;
  let ca: HostileCa;

  before(async () => {
    ca = await HostileCa.create(mkdtempSync(path.join(tmpdir(), 'patrol-doctor-soon-')), 'soon-ca', { notBefore: daysFromNow(-1), notAfter: daysFromNow(400) });
    const soon = await ca.issue({ base: 'soon', san: LOOPBACK_SANS, notBefore: daysFromNow(-300), notAfter: daysFromNow(10) });
    server = await hostileTlsServer({ cert: soon.cert, key: soon.key }, (req, res) => {
      if (req.method === 'PATCH') {
        res.writeHead(req.headers.authorization ? 400 : 401);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url === '/cluster' ? JSON.stringify({ members: [{ name: 'm0', role: 'leader', state: 'running', api_url: `${server.origin}/patroni` }] }) : JSON.stringify({ state: 'running', server_version: 150004, patroni: { version: '3.0.2' } }));
    });
  });

  test('the server-cert-expiry check warns with the days left and the remedy; exit 1', async () => {
    const configDir = restProfileDir({ url: server.origin, cacert: ca.cert, username: 'admin' });
    const run = await runPatrol(['doctor', '-f', 'json'], { configDir, env: { PATROL_REST_PASSWORD: 'whatever-pass' } });
    assert.equal(run.code, 1);
    const checks = (JSON.parse(run.stdout) as { checks: Check[] }).checks;
    const expiry = checks.find((c) => c.check === 'server-cert-expiry');
    assert.equal(expiry?.status, 'warn');
    assert.match(expiry!.detail, /server certificate expires in (9|10) days/u);
    assert.equal(expiry!.remedy, 'renew the server certificate');
    // Without a client certificate in the profile, reads that work are a (separate) warning.
    assert.ok(checks.some((c) => c.check === 'anonymous-read' && c.status === 'warn'));
  });
});

describe('the audit log on the real cluster', () => {
  test('each action leaves one line — sent, refused or declined — and no secret', async () => {
    const configDir = await profile();
    const stateDir = tempStateDir();
    const env = { ...secrets(), PATROL_STATE_DIR: stateDir };
    assert.equal((await runPatrol(['reload', '--yes'], { configDir, env })).code, 0);
    assert.equal((await runPatrol(['reload'], { configDir, env })).code, 2, 'no terminal, no --yes: refused');
    assert.equal((await runPatrol(['reload', '--dry-run'], { configDir, env })).code, 0);
    assert.equal((await runPatrol(['list'], { configDir, env })).code, 0);
    const replica = cluster.members.map((m) => m.name)[1]!;
    const badPassword = await runPatrol(['reload', replica, '--yes'], { configDir, env: { ...env, PATROL_REST_PASSWORD: 'wrong-password-xyz' } });
    assert.equal(badPassword.code, 4);
    const nothingPending = await runPatrol(['restart', '--pending', '--yes'], { configDir, env });
    assert.equal(nothingPending.code, 6, 'refused by planning: nothing is pending');
    assert.equal((await runPatrol(['restart', '--pending', '--dry-run'], { configDir, env })).code, 6);

    const text = readFileSync(path.join(stateDir, 'audit.log'), 'utf8');
    assertNoSecrets(text);
    assert.ok(!text.includes('wrong-password-xyz'));
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 4, 'dry runs and reads are not actions');
    const [sent, refused, denied, unplanned] = lines as Array<{ action: string; outcome: string; exitCode: number; user: string; host: string; profile: string; cluster: string; targets: string[]; requests: Array<{ member: string; status: number | null; outcome: string }>; durationMs: number }>;
    assert.equal(sent!.action, 'reload');
    assert.equal(sent!.outcome, 'succeeded');
    assert.equal(sent!.profile, 'p');
    assert.equal(sent!.cluster, cluster.scope);
    assert.ok(sent!.user.length > 0 && sent!.host.length > 0 && sent!.durationMs >= 0);
    assert.deepEqual([...sent!.targets].sort(), cluster.members.map((m) => m.name).sort());
    assert.ok(sent!.requests.every((r) => r.status === 202 && r.outcome === 'ok'));
    assert.equal(refused!.outcome, 'refused');
    assert.ok(refused!.requests.every((r) => r.outcome === 'not-sent' && r.status === null));
    assert.equal(denied!.outcome, 'refused');
    assert.equal(denied!.exitCode, 4);
    assert.deepEqual(denied!.targets, [replica]);
    assert.equal(unplanned!.action, 'restart');
    assert.equal(unplanned!.outcome, 'refused');
    assert.equal(unplanned!.exitCode, 6);
    assert.equal(unplanned!.cluster, cluster.scope);
    assert.deepEqual(unplanned!.targets, []);

    const shown = await runPatrol(['audit', '-f', 'json', '--since', '1h', '--action', 'reload'], { configDir, env });
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal((JSON.parse(shown.stdout) as unknown[]).length, 3);
    const pretty = await runPatrol(['audit'], { configDir, env });
    assert.match(pretty.stdout, /reload .*succeeded/u);
  });
});
