import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { clusterFromDcs, configFromDcs, historyFromDcs, type DcsSnapshot } from '../../src/cluster/from-dcs.js';
import { clusterFromRest } from '../../src/cluster/from-rest.js';
import type { Cluster, Member } from '../../src/cluster/model.js';
import { clusterToJson } from '../../src/cluster/view.js';

const raw = (name: string): string => readFileSync(new URL(`../../../test/fixtures/responses/v4/${name}`, import.meta.url), 'utf8');

function v4Snapshot(): DcsSnapshot {
  return new Map([
    ['leader', raw('dcs-leader.txt')],
    ['members/node1', raw('dcs-members-node1.json')],
    ['members/node2', raw('dcs-members-node2.json')],
    ['members/node3', raw('dcs-members-node3.json')],
    ['config', raw('dcs-config.json')],
    ['status', raw('dcs-status.json')],
    ['sync', raw('dcs-sync.json')],
    ['failover', raw('dcs-failover.json')],
    ['history', raw('dcs-history.json')],
    ['initialize', raw('dcs-initialize.txt')],
  ]);
}

function member(cluster: Cluster, name: string): Member {
  const m = cluster.members.find((x) => x.name === name);
  assert.ok(m, `member ${name} present`);
  return m;
}

const OPTIME = 21913877568;

describe('clusterFromDcs with the Patroni 4.1 DCS keys (scope demo)', () => {
  const cluster = clusterFromDcs(v4Snapshot(), 'demo');

  test('cluster-level fields', () => {
    assert.equal(cluster.scope, 'demo');
    assert.equal(cluster.source, 'dcs');
    assert.equal(cluster.leader, 'node1');
    assert.equal(cluster.systemId, '7438553642038517801');
    assert.equal(cluster.paused, true, 'config.pause');
    assert.deepEqual(cluster.scheduledSwitchover, { at: '2025-06-14T01:30:00+00:00', from: 'node1', to: 'node2' });
    assert.deepEqual(cluster.members.map((m) => m.name), ['node1', 'node2', 'node3']);
  });

  const rows: Array<[string, string, string, number | undefined, number | undefined, number | undefined]> = [
    // name, role, state, lag, receive lag, replay lag
    ['node1', 'leader', 'running', undefined, undefined, undefined],
    ['node2', 'sync_standby', 'streaming', 0, 0, 416],
    ['node3', 'replica', 'streaming', 25165824, 25165824, 44040192],
  ];
  for (const [name, role, state, lag, receive, replay] of rows) {
    test(`${name}: ${role}, ${state}, lag = status.optime - xlog_location`, () => {
      const m = member(cluster, name);
      assert.equal(m.role, role);
      assert.equal(m.state, state);
      assert.equal(m.lagBytes, lag);
      assert.equal(m.receiveLagBytes, receive);
      assert.equal(m.replayLagBytes, replay);
      assert.equal(m.timeline, 4);
      assert.equal(m.port, 5432);
      assert.equal(m.patroniVersion, '4.1.1');
    });
  }

  test('host/port from conn_url, api_url, tags, pending and scheduled restart', () => {
    assert.equal(member(cluster, 'node2').host, '10.0.1.12');
    assert.equal(member(cluster, 'node2').apiUrl, 'https://10.0.1.12:8008/patroni');
    assert.deepEqual(member(cluster, 'node1').tags, { clonefrom: true });
    const node3 = member(cluster, 'node3');
    assert.deepEqual(node3.tags, { nofailover: true });
    assert.equal(node3.pendingRestart, true);
    assert.deepEqual(node3.pendingRestartReason, { shared_buffers: { old_value: '128MB', new_value: '512MB' } });
    assert.deepEqual(node3.scheduledRestart, { schedule: '2025-06-14T02:00:00+00:00' });
  });

  test('agrees with the REST /cluster fixture for the same scenario (list -f json)', () => {
    const rest = clusterFromRest(JSON.parse(raw('cluster.json')), 'demo');
    const fromDcs = clusterToJson(cluster);
    const fromRest = clusterToJson(rest);
    assert.deepEqual({ ...fromDcs, source: 'x', systemId: null }, { ...fromRest, source: 'x', systemId: null });
  });

  test('configFromDcs and historyFromDcs decode the config and history keys', () => {
    const config = configFromDcs(v4Snapshot());
    assert.equal(config?.['synchronous_mode'], true);
    assert.equal(config?.['ttl'], 30);
    const history = historyFromDcs(v4Snapshot());
    assert.equal(history.length, 3);
    assert.deepEqual(history[2], [3, 19528679584, 'no recovery target specified', '2025-05-20T14:02:17.834120+00:00', 'node1']);
  });

  test('sync_standby as a 4.x-style list is understood too', () => {
    const snap = v4Snapshot();
    snap.set('sync', JSON.stringify({ leader: 'node1', sync_standby: ['node3'] }));
    const c = clusterFromDcs(snap, 'demo');
    assert.equal(member(c, 'node2').role, 'replica');
    assert.equal(member(c, 'node3').role, 'sync_standby');
  });

  test('a standby cluster (config.standby_cluster) makes the leader a standby_leader', () => {
    const snap = v4Snapshot();
    snap.set('config', JSON.stringify({ ttl: 30, standby_cluster: { host: '10.9.9.9', port: 5432 } }));
    const c = clusterFromDcs(snap, 'demo');
    assert.equal(member(c, 'node1').role, 'standby_leader');
    assert.equal(c.leader, 'node1');
    assert.equal(c.paused, false, 'no pause key in the new config');
  });

  test(
    'a standby leader shows its replication_state, as Patroni 4.x cluster_as_json does (role != "leader")',
    () => {
      const snap = v4Snapshot();
      snap.set('config', JSON.stringify({ standby_cluster: { host: '10.9.9.9', port: 5432 } }));
      const node1 = JSON.parse(raw('dcs-members-node1.json')) as Record<string, unknown>;
      snap.set('members/node1', JSON.stringify({ ...node1, role: 'standby_leader', replication_state: 'streaming' }));
      assert.equal(member(clusterFromDcs(snap, 'demo'), 'node1').state, 'streaming');
    },
  );

  test(
    'quorum commit (synchronous_mode: "quorum") shows the sync key members as quorum_standby',
    () => {
      const snap = v4Snapshot();
      snap.set('config', JSON.stringify({ synchronous_mode: 'quorum' }));
      snap.set('sync', JSON.stringify({ leader: 'node1', quorum: 1, sync_standby: 'node2,node3' }));
      const c = clusterFromDcs(snap, 'demo');
      assert.deepEqual([member(c, 'node2').role, member(c, 'node3').role], ['quorum_standby', 'quorum_standby']);
    },
  );
});

/** The keys of a Patroni 3.0.2 cluster: role master, no replication_state, sync_standby a string. */
function v302Snapshot(): DcsSnapshot {
  const m = (host: string, extra: Record<string, unknown>): string =>
    JSON.stringify({ conn_url: `postgres://${host}/postgres`, api_url: `https://${host.split(':')[0]}:8008/patroni`, state: 'running', role: 'replica', version: '3.0.2', ...extra });
  return new Map([
    ['config', JSON.stringify({ ttl: 30, loop_wait: 10, synchronous_mode: true, postgresql: { use_pg_rewind: true } })],
    ['initialize', '7199999999999999999'],
    ['leader', 'pg1\n'],
    ['members/pg2', m('10.0.0.2:5433', { xlog_location: 50331000, timeline: 2 })],
    ['members/pg1', m('10.0.0.1:5432', { role: 'master', xlog_location: 50331808, timeline: 2 })],
    ['members/pg4', m('10.0.0.4', { xlog_location: 50332000, timeline: 2 })],
    ['members/pg3', m('10.0.0.3:5432', { state: 'stopped' })],
    ['status', JSON.stringify({ optime: 50331808, slots: { pg2: 50331000 } })],
    ['sync', JSON.stringify({ leader: 'pg1', sync_standby: 'pg2' })],
  ]);
}

describe('clusterFromDcs with Patroni 3.0.2-shaped keys', () => {
  const cluster = clusterFromDcs(v302Snapshot(), 'legacy');

  test('leader from the leader key (trimmed), role master → leader, sync_standby string', () => {
    assert.equal(cluster.leader, 'pg1');
    assert.deepEqual(
      cluster.members.map((m) => [m.name, m.role, m.state]),
      [
        ['pg1', 'leader', 'running'],
        ['pg2', 'sync_standby', 'running'],
        ['pg3', 'replica', 'stopped'],
        ['pg4', 'replica', 'running'],
      ],
    );
    assert.equal(cluster.systemId, '7199999999999999999');
    assert.equal(cluster.paused, false);
    assert.equal(cluster.scheduledSwitchover, undefined);
  });

  test('lag: optime - xlog_location, clamped at 0, null without xlog_location, absent for the leader', () => {
    assert.equal(member(cluster, 'pg1').lagBytes, undefined);
    assert.equal(member(cluster, 'pg2').lagBytes, 808);
    assert.equal(member(cluster, 'pg3').lagBytes, null);
    assert.equal(member(cluster, 'pg4').lagBytes, 0, 'a member ahead of the last known optime has lag 0');
    assert.equal(member(cluster, 'pg2').receiveLagBytes, undefined, '3.0.2 has no receive_lsn');
    assert.equal(member(cluster, 'pg2').replayLagBytes, undefined);
  });

  test('port from conn_url, 5432 when the URL has none', () => {
    assert.equal(member(cluster, 'pg2').port, 5433);
    assert.equal(member(cluster, 'pg4').port, 5432);
    assert.equal(member(cluster, 'pg4').host, '10.0.0.4');
  });

  test('legacy optime/leader key is used when there is no status key', () => {
    const snap = v302Snapshot();
    snap.delete('status');
    snap.set('optime/leader', '50331900');
    assert.equal(member(clusterFromDcs(snap, 'legacy'), 'pg2').lagBytes, 900);
  });

  test('status key wins over optime/leader', () => {
    const snap = v302Snapshot();
    snap.set('optime/leader', '1');
    assert.equal(member(clusterFromDcs(snap, 'legacy'), 'pg2').lagBytes, 808);
  });

  test(
    'a legacy bare-integer /status value is read as the optime (Patroni Status.from_node accepts it)',
    () => {
      const snap = v302Snapshot();
      snap.set('status', '50331900');
      assert.equal(member(clusterFromDcs(snap, 'legacy'), 'pg2').lagBytes, 900);
    },
  );

  test('scheduled switchover from the failover key: leader → from, member → to (candidate accepted too)', () => {
    const snap = v302Snapshot();
    snap.set('failover', JSON.stringify({ leader: 'pg1', member: 'pg2', scheduled_at: '2023-04-01T02:00:00+00:00' }));
    assert.deepEqual(clusterFromDcs(snap, 'legacy').scheduledSwitchover, { at: '2023-04-01T02:00:00+00:00', from: 'pg1', to: 'pg2' });
    snap.set('failover', JSON.stringify({ candidate: 'pg4', scheduled_at: 'T' }));
    assert.deepEqual(clusterFromDcs(snap, 'legacy').scheduledSwitchover, { at: 'T', to: 'pg4' });
    snap.set('failover', JSON.stringify({ leader: 'pg1', member: 'pg2' }));
    assert.equal(clusterFromDcs(snap, 'legacy').scheduledSwitchover, undefined, 'a manual failover without scheduled_at is not scheduled');
  });

  test('paused from config.pause === true only', () => {
    const snap = v302Snapshot();
    snap.set('config', JSON.stringify({ pause: true }));
    assert.equal(clusterFromDcs(snap, 'legacy').paused, true);
    snap.set('config', JSON.stringify({ pause: 'true' }));
    assert.equal(clusterFromDcs(snap, 'legacy').paused, false);
  });
});

describe('clusterFromDcs with hostile or missing keys', () => {
  test('an empty snapshot is an empty, leaderless cluster', () => {
    const c = clusterFromDcs(new Map(), 's');
    assert.deepEqual(c, { scope: 's', paused: false, members: [], source: 'dcs' });
  });

  test('unparsable member values, empty names and non-member keys are skipped', () => {
    const c = clusterFromDcs(
      new Map([
        ['members/', '{}'],
        ['members/bad', '{not json'],
        ['members/arr', '[1,2]'],
        ['members/ok', '{"state":"running"}'],
        ['leader', ''],
        ['config', 'not json'],
        ['sync', '"node"'],
      ]),
      's',
    );
    assert.deepEqual(c.members.map((m) => m.name), ['ok']);
    assert.equal(c.leader, undefined);
    assert.equal(c.paused, false);
    assert.equal(c.members[0]?.role, 'replica');
  });

  test('wrong-typed member fields are dropped', () => {
    const c = clusterFromDcs(
      new Map([['members/m', JSON.stringify({ state: 1, conn_url: 'not a url', api_url: 5, timeline: '4x', tags: 'x', pending_restart: 1, xlog_location: 'abc', version: 4 })]]),
      's',
    );
    const m = member(c, 'm');
    assert.equal(m.state, 'unknown');
    assert.equal(m.host, undefined);
    assert.equal(m.port, undefined);
    assert.equal(m.apiUrl, undefined);
    assert.equal(m.timeline, undefined);
    assert.deepEqual(m.tags, {});
    assert.equal(m.pendingRestart, false);
    assert.equal(m.lagBytes, null);
    assert.equal(m.patroniVersion, undefined);
  });
});
