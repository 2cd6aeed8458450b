// patrol's read-only commands against a real TLS-everywhere cluster (etcd + 3 Patroni nodes),
// compared with what the cluster really is according to Patroni's own patronictl.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ClusterHandle, startCluster } from '../fixtures/cluster.js';
import { clusterProfile } from '../support/cluster-profile.js';
import { runPatrol, tempConfigDir } from '../support/run-patrol.js';

let cluster: ClusterHandle;
let configDir: string;
let env: Record<string, string>;

interface ListJson {
  cluster: string;
  leader: string | null;
  source: string;
  members: Array<{ name: string; role: string; state: string; timeline: number | null; host: string; port: number; lagBytes: number | null }>;
}

interface PatronictlRow {
  Cluster: string;
  Member: string;
  Host: string;
  Role: string;
  State: string;
  TL?: number;
}

const ROLE_FROM_PATRONICTL: Record<string, string> = { Leader: 'leader', Replica: 'replica', 'Sync Standby': 'sync_standby', 'Standby Leader': 'standby_leader' };

async function patronictlList(): Promise<PatronictlRow[]> {
  const result = await cluster.patronictl(['list', '-f', 'json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as PatronictlRow[];
}

/** patrol and patronictl read at slightly different moments; retry while the cluster settles. */
async function agreeWithPatronictl(source: 'dcs' | 'rest'): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const [theirs, ours] = await Promise.all([patronictlList(), runPatrol(['list', '-f', 'json', '--source', source], { configDir, env })]);
    try {
      assert.equal(ours.code, 0, ours.stderr);
      const list = JSON.parse(ours.stdout) as ListJson;
      assert.equal(list.source, source);
      assert.equal(list.cluster, cluster.scope);
      assert.deepEqual(list.members.map((m) => m.name), theirs.map((r) => r.Member).sort());
      for (const row of theirs) {
        const member = list.members.find((m) => m.name === row.Member)!;
        assert.equal(member.role, ROLE_FROM_PATRONICTL[row.Role], `role of ${row.Member}`);
        assert.equal(member.state, row.State, `state of ${row.Member}`);
        assert.equal(member.timeline, row.TL ?? null, `timeline of ${row.Member}`);
        assert.equal(`${member.host}:${member.port}`, row.Host, `host of ${row.Member}`);
      }
      assert.equal(list.leader, theirs.find((r) => r.Role === 'Leader')?.Member);
      return;
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  throw lastError;
}

before(async () => {
  cluster = await startCluster({ scope: 'patrol-test', removeOnStop: true });
  const made = await clusterProfile(cluster);
  ({ configDir, env } = made);
  const add = made.add;
  assert.equal(add.code, 0, add.stderr);
});

after(async () => {
  await cluster?.stop();
});

describe('list', () => {
  test('DCS mode agrees with patronictl on members, roles, leader, state and timeline', async () => {
    await agreeWithPatronictl('dcs');
  });

  test('REST-only mode agrees with patronictl', async () => {
    await agreeWithPatronictl('rest');
  });

  test('pretty output shows the cluster title and every member', async () => {
    const result = await runPatrol(['list'], { configDir, env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`Cluster: ${cluster.scope} \\(\\d+\\)`));
    for (const m of cluster.members) assert.match(result.stdout, new RegExp(`\\| ${m.name} +\\|`));
    assert.match(result.stdout, /\| Leader +\|/);
  });

  test('tsv output has a header and one line per member', async () => {
    const result = await runPatrol(['list', '-f', 'tsv'], { configDir, env });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines[0], 'Member\tHost\tRole\tState\tTL\tLag in MB');
    assert.equal(lines.length, 1 + cluster.members.length);
  });

  test('a REST-only profile works without any DCS credentials', async () => {
    const dir = tempConfigDir();
    const add = await runPatrol(
      ['profile', 'add', 'rest-only', '--cluster', cluster.scope, '--rest-url', cluster.restUrls[1]!, '--cacert', cluster.pki.ca,
        '--cert', cluster.pki.restClientCert, '--key', cluster.pki.restClientKey],
      { configDir: dir },
    );
    assert.equal(add.code, 0, add.stderr);
    const result = await runPatrol(['list', '-f', 'json'], { configDir: dir });
    assert.equal(result.code, 0, result.stderr);
    const list = JSON.parse(result.stdout) as ListJson;
    assert.equal(list.source, 'rest');
    assert.equal(list.members.length, 3);
  });
});

describe('other read-only commands', () => {
  test('topology puts the leader first and the replicas under it', async () => {
    const result = await runPatrol(['topology', '-f', 'json'], { configDir, env });
    assert.equal(result.code, 0, result.stderr);
    const topo = JSON.parse(result.stdout) as { leader: string; members: Array<{ name: string; depth: number }> };
    assert.equal(topo.members[0]!.name, topo.leader);
    assert.equal(topo.members[0]!.depth, 0);
    assert.ok(topo.members.slice(1).every((m) => m.depth === 1));
    const pretty = await runPatrol(['topology'], { configDir, env });
    assert.match(pretty.stdout, /\| \+ pg\d/);
  });

  test('show-config returns the dynamic configuration from DCS and REST alike', async () => {
    const viaDcs = await runPatrol(['show-config', '-f', 'json'], { configDir, env });
    const viaRest = await runPatrol(['show-config', '-f', 'json', '--source', 'rest'], { configDir, env });
    assert.equal(viaDcs.code, 0, viaDcs.stderr);
    assert.equal(viaRest.code, 0, viaRest.stderr);
    const config = JSON.parse(viaDcs.stdout) as Record<string, unknown>;
    assert.equal(typeof config['loop_wait'], 'number');
    assert.deepEqual(JSON.parse(viaRest.stdout), config);
    const theirs = await cluster.patronictl(['show-config']);
    assert.match(theirs.stdout, new RegExp(`loop_wait: ${String(config['loop_wait'])}`));
  });

  test('history is a JSON array in both modes', async () => {
    for (const source of ['dcs', 'rest']) {
      const result = await runPatrol(['history', '-f', 'json', '--source', source], { configDir, env });
      assert.equal(result.code, 0, result.stderr);
      assert.ok(Array.isArray(JSON.parse(result.stdout)));
    }
  });

  test('version reports each member’s Patroni and PostgreSQL version', async () => {
    const result = await runPatrol(['version', '-f', 'json'], { configDir, env });
    assert.equal(result.code, 0, result.stderr);
    const doc = JSON.parse(result.stdout) as { patrol: string; members: Array<{ name: string; patroni: string; postgres: string; error: null }> };
    assert.match(doc.patrol, /^\d+\.\d+\.\d+/);
    assert.equal(doc.members.length, 3);
    const theirs = await cluster.patronictl(['version', cluster.scope]);
    for (const m of doc.members) {
      assert.equal(m.error, null);
      assert.match(m.postgres, /^15\.\d+$/);
      assert.match(theirs.stdout, new RegExp(`${m.name}: Patroni ${m.patroni.replace(/\./g, '\\.')} PostgreSQL ${m.postgres.replace(/\./g, '\\.')}`));
    }
  });

  test('version with an unknown member is a usage error, not silently dropped', async () => {
    const result = await runPatrol(['version', 'pg0', 'nosuch'], { configDir, env });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown member "nosuch"/);
  });

  test('dsn matches patronictl for the leader and a named member', async () => {
    const ours = await runPatrol(['dsn'], { configDir, env });
    const theirs = await cluster.patronictl(['dsn']);
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(ours.stdout.trim(), theirs.stdout.trim());
    const member = cluster.members[2]!;
    const named = await runPatrol(['dsn', '--member', member.name], { configDir, env });
    assert.equal(named.stdout.trim(), `host=127.0.0.1 port=${member.pgPort}`);
  });

  test('an encrypted client key works with PATROL_KEY_PASSPHRASE', async () => {
    const dir = tempConfigDir();
    await runPatrol(
      ['profile', 'add', 'enc', '--cluster', cluster.scope, '--rest-url', cluster.restUrls[0]!, '--cacert', cluster.pki.ca,
        '--cert', cluster.pki.restClientCert, '--key', cluster.pki.restClientKeyEncrypted],
      { configDir: dir },
    );
    const ok = await runPatrol(['list', '-f', 'json'], { configDir: dir, env: { PATROL_KEY_PASSPHRASE: cluster.pki.keyPassphrase } });
    assert.equal(ok.code, 0, ok.stderr);
    const missing = await runPatrol(['list'], { configDir: dir });
    // No passphrase in the environment and no usable keychain here: exit 4, naming the way out.
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /passphrase of profile "enc".*--secret-store file.*PATROL_KEY_PASSPHRASE/);
    const wrong = await runPatrol(['list', '--debug'], { configDir: dir, env: { PATROL_KEY_PASSPHRASE: 'not-the-passphrase' } });
    assert.equal(wrong.code, 4);
    assert.match(wrong.stderr, /wrong passphrase/);
    assert.doesNotMatch(wrong.stderr + wrong.stdout, /not-the-passphrase/);
  });
});
