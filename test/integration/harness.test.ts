/**
 * Proves the integration harness itself: a real mTLS Patroni cluster comes up
 * healthy, patronictl agrees with the REST API, the REST API enforces client
 * certificates and basic auth, and stop() leaves none of its processes behind.
 * Every other integration test builds on these guarantees.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { isAlive, startCluster, type ClusterHandle } from '../fixtures/cluster.js';

interface ClusterJson {
  members: Array<{ name: string; role: string; state: string; timeline?: number }>;
}

interface CtlRow {
  Member: string;
  Role: string;
  State: string;
}

/** Raw HTTPS request with full control over what client credentials are offered. */
function rawRequest(
  url: string,
  opts: { method?: string; ca: Buffer; cert?: Buffer; key?: Buffer; headers?: Record<string, string> },
): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: opts.method ?? 'GET',
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        headers: opts.headers,
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function postmasterPid(dataDir: string): number {
  try {
    return Number.parseInt(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10);
  } catch {
    return 0;
  }
}

describe('integration harness', { timeout: 240_000 }, () => {
  let cluster: ClusterHandle | undefined;
  let stopped = false;

  before(async () => {
    cluster = await startCluster({ removeOnStop: true });
  });

  after(async () => {
    // Safety net if the stop() test did not run or failed half-way.
    if (cluster && !stopped) await cluster.stop();
  });

  const c = (): ClusterHandle => {
    assert.ok(cluster, 'cluster did not start');
    return cluster;
  };

  it('GET /cluster reports one leader and two replicas', async () => {
    const res = await c().restGet('pg0', '/cluster');
    assert.equal(res.status, 200);
    const body = res.body as ClusterJson;
    assert.deepEqual(body.members.map((m) => m.name).sort(), ['pg0', 'pg1', 'pg2']);
    assert.equal(body.members.filter((m) => m.role === 'leader').length, 1);
    assert.equal(body.members.filter((m) => m.role === 'replica').length, 2);
    for (const m of body.members) assert.equal(m.state, 'running');
  });

  it('patronictl list -f json agrees with the REST API', async () => {
    const ctl = await c().patronictl(['list', '-f', 'json']);
    assert.equal(ctl.code, 0, `patronictl failed: ${ctl.stderr}`);
    const rows = JSON.parse(ctl.stdout) as CtlRow[];
    assert.deepEqual(rows.map((r) => r.Member).sort(), ['pg0', 'pg1', 'pg2']);

    const rest = (await c().restGet('pg1', '/cluster')).body as ClusterJson;
    const restLeader = rest.members.find((m) => m.role === 'leader')?.name;
    const ctlLeaders = rows.filter((r) => r.Role === 'Leader').map((r) => r.Member);
    assert.deepEqual(ctlLeaders, [restLeader]);
  });

  // With TLS 1.3 the server's rejection arrives as an alert after the
  // client-side handshake finished, so it surfaces as a request error (never
  // as an HTTP status). ECONNRESET covers a server that hangs up first.
  const isHandshakeRejection = (expectedAlert: RegExp) => (err: Error) => {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    assert.match(code, new RegExp(`${expectedAlert.source}|^ECONNRESET$|^EPIPE$|HANDSHAKE_FAILURE`), `unexpected error: ${code} ${err.message}`);
    return true;
  };

  it('REST API rejects a TLS client without a certificate', async () => {
    const ca = readFileSync(c().pki.ca);
    await assert.rejects(rawRequest(`${c().restUrls[0]}/cluster`, { ca }), isHandshakeRejection(/CERTIFICATE_REQUIRED/));
  });

  it('REST API rejects a client certificate from an untrusted CA', async () => {
    const { pki, restUrls } = c();
    await assert.rejects(
      rawRequest(`${restUrls[0]}/cluster`, { ca: readFileSync(pki.ca), cert: readFileSync(pki.rogueClientCert), key: readFileSync(pki.rogueClientKey) }),
      isHandshakeRejection(/UNKNOWN_CA/),
    );
  });

  it('REST API answers 401 to a write without basic auth', async () => {
    const { pki, restUrls } = c();
    const res = await rawRequest(`${restUrls[0]}/reload`, {
      method: 'POST',
      ca: readFileSync(pki.ca),
      cert: readFileSync(pki.restClientCert),
      key: readFileSync(pki.restClientKey),
    });
    assert.equal(res.status, 401);
  });

  it('stop() leaves none of its processes alive', async () => {
    const h = c();
    const pids = [h.etcdPid, ...h.members.map((m) => m.pid), ...h.members.map((m) => postmasterPid(m.dataDir))];
    assert.equal(pids.filter((p) => p > 0).length, 1 + 2 * h.members.length, `missing pids: ${pids.join(',')}`);
    for (const pid of pids) assert.ok(isAlive(pid), `pid ${pid} should be alive before stop()`);
    stopped = true;
    await h.stop();
    const survivors = pids.filter((pid) => isAlive(pid));
    assert.deepEqual(survivors, [], `still alive after stop(): ${survivors.join(',')}`);
  });
});
