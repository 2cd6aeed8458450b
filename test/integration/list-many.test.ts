// `patrol list --all`, `list C1 C2 …` and `list -p a -p b` against a real etcd: every cluster in
// the namespace, a name that does not exist, and a profile whose endpoint accepts connections
// but never answers — shown as unreachable once the one deadline (--timeout) has passed, while
// the reachable cluster is still listed.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type ClusterHandle, startCluster } from '../fixtures/cluster.js';
import { clusterProfile } from '../support/cluster-profile.js';
import { runPatrol } from '../support/run-patrol.js';

interface ManyJson {
  clusters: Array<{ profile: string; cluster: string; leader: string | null; members: Array<{ name: string; role: string }> }>;
  unavailable: Array<{ profile: string; cluster: string; error: string; exitCode: number }>;
}

let cluster: ClusterHandle;
let configDir: string;
let env: Record<string, string>;
let silent: net.Server;
const held: net.Socket[] = [];

/** Write keys into etcd as its root user, through the JSON gateway. */
async function etcdPut(entries: Array<[string, string]>): Promise<void> {
  const tls = { ca: await readFile(cluster.pki.ca), cert: await readFile(cluster.pki.etcdClientCert), key: await readFile(cluster.pki.etcdClientKey) };
  const post = (path: string, body: unknown, token?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = request(`${cluster.etcdUrl}${path}`, { method: 'POST', ...tls, agent: false, headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>) : reject(new Error(`etcd ${path}: HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  const { token } = (await post('/v3/auth/authenticate', { name: 'root', password: cluster.etcdRootPassword })) as { token: string };
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  await post('/v3/kv/txn', { success: entries.map(([key, value]) => ({ request_put: { key: b64(key), value: b64(value) } })) }, token);
}

before(async () => {
  cluster = await startCluster({ scope: 'many-a', removeOnStop: true });
  const made = await clusterProfile(cluster);
  assert.equal(made.add.code, 0, made.add.stderr);
  configDir = made.configDir;
  env = made.env;
  // A second cluster in the same namespace, as Patroni 3.0 writes it (its members are not real).
  const prefix = `${cluster.namespace}/many-b/`;
  const member = (host: string, role: string) => JSON.stringify({ conn_url: `postgres://${host}:5432/postgres`, api_url: `https://${host}:8008/patroni`, state: 'running', role, version: '3.0.2', xlog_location: 100, timeline: 1 });
  await etcdPut([
    [`${prefix}initialize`, '7000000000000000001'],
    [`${prefix}leader`, 'b0'],
    [`${prefix}config`, '{"ttl":30}'],
    [`${prefix}members/b0`, member('10.9.0.1', 'master')],
    [`${prefix}members/b1`, member('10.9.0.2', 'replica')],
  ]);
  // An endpoint that accepts connections and then says nothing, ever.
  silent = net.createServer((socket) => void held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  const add = await runPatrol(
    [
      'profile', 'add', 'silent', '--cluster', 'many-a', '--rest-url', `https://127.0.0.1:${port}`,
      '--cacert', cluster.pki.ca, '--cert', cluster.pki.restClientCert, '--key', cluster.pki.restClientKey,
      '--dcs-url', `https://127.0.0.1:${port}`, '--dcs-cacert', cluster.pki.ca,
      '--dcs-cert', cluster.pki.etcdClientCert, '--dcs-key', cluster.pki.etcdClientKey, '--dcs-username', cluster.etcdUser,
    ],
    { configDir },
  );
  assert.equal(add.code, 0, add.stderr);
});

after(async () => {
  for (const socket of held) socket.destroy();
  silent?.close();
  await cluster?.stop();
});

describe('list over many clusters (real etcd)', () => {
  test('--all lists every cluster in the namespace with its members', async () => {
    const run = await runPatrol(['list', '--all', '-f', 'json'], { configDir, env });
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout) as ManyJson;
    assert.deepEqual(doc.clusters.map((c) => c.cluster), ['many-a', 'many-b']);
    assert.deepEqual(doc.unavailable, []);
    const a = doc.clusters.find((c) => c.cluster === 'many-a')!;
    assert.equal(a.members.length, cluster.members.length);
    assert.ok(a.leader && a.members.some((m) => m.name === a.leader && m.role === 'leader'));
    const b = doc.clusters.find((c) => c.cluster === 'many-b')!;
    assert.deepEqual(b.members.map((m) => [m.name, m.role]), [['b0', 'leader'], ['b1', 'replica']]);
  });

  test('--all in pretty form prints one table per cluster', async () => {
    const run = await runPatrol(['list', '--all'], { configDir, env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /\+ Cluster: many-a \(\d+\)/u);
    assert.match(run.stdout, /\+ Cluster: many-b \(7000000000000000001\)/u);
  });

  test('named clusters: the ones that exist are listed, a name that does not is reported (exit 2)', async () => {
    const run = await runPatrol(['list', 'many-b', 'no-such-cluster', '-f', 'json'], { configDir, env });
    assert.equal(run.code, 2, run.stderr);
    const doc = JSON.parse(run.stdout) as ManyJson;
    assert.deepEqual(doc.clusters.map((c) => c.cluster), ['many-b']);
    assert.equal(doc.unavailable.length, 1);
    assert.equal(doc.unavailable[0]!.cluster, 'no-such-cluster');
    assert.equal(doc.unavailable[0]!.exitCode, 2);
    assert.match(doc.unavailable[0]!.error, /not in the DCS/u);
  });

  test('a profile whose endpoint never answers is shown as unreachable at the deadline; the other is listed (exit 5)', async () => {
    const run = await runPatrol(['list', '-p', 'test', '-p', 'silent', '--timeout', '2', '-f', 'json'], { configDir, env, timeoutMs: 30_000 });
    assert.equal(run.code, 5, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
    const doc = JSON.parse(run.stdout) as ManyJson;
    assert.deepEqual(doc.clusters.map((c) => [c.profile, c.cluster]), [['test', 'many-a']]);
    assert.equal(doc.unavailable.length, 1);
    assert.equal(doc.unavailable[0]!.profile, 'silent');
    assert.equal(doc.unavailable[0]!.exitCode, 5);
  });

  test('a repeated -p is refused by commands that act on one profile', async () => {
    const run = await runPatrol(['history', '-p', 'test', '-p', 'silent'], { configDir, env });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--profile is given 2 times/u);
  });
});
