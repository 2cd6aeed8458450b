import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { clusterFromRest } from '../../src/cluster/from-rest.js';
import type { Cluster, Member } from '../../src/cluster/model.js';
import { ExitCode, ProtocolError } from '../../src/errors.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/responses/v4/${name}`, import.meta.url), 'utf8'));

function member(cluster: Cluster, name: string): Member {
  const m = cluster.members.find((x) => x.name === name);
  assert.ok(m, `member ${name} present`);
  return m;
}

describe('clusterFromRest with the recorded Patroni 4.1 /cluster (scope demo)', () => {
  const cluster = clusterFromRest(fixture('cluster.json'), 'fallback');

  test('cluster-level fields', () => {
    assert.equal(cluster.scope, 'demo', 'scope key wins over the fallback');
    assert.equal(cluster.source, 'rest');
    assert.equal(cluster.paused, true);
    assert.equal(cluster.leader, 'node1');
    assert.equal(cluster.systemId, undefined, 'REST mode cannot know the system id');
    assert.deepEqual(cluster.scheduledSwitchover, { at: '2025-06-14T01:30:00+00:00', from: 'node1', to: 'node2' });
    assert.deepEqual(cluster.members.map((m) => m.name), ['node1', 'node2', 'node3']);
  });

  const table: Array<{ name: string; role: string; state: string; lag: number | undefined; receive: number | undefined; replay: number | undefined }> = [
    { name: 'node1', role: 'leader', state: 'running', lag: undefined, receive: undefined, replay: undefined },
    { name: 'node2', role: 'sync_standby', state: 'streaming', lag: 0, receive: 0, replay: 416 },
    { name: 'node3', role: 'replica', state: 'streaming', lag: 25165824, receive: 25165824, replay: 44040192 },
  ];
  for (const row of table) {
    test(`${row.name}: role ${row.role}, state ${row.state}, lags`, () => {
      const m = member(cluster, row.name);
      assert.equal(m.role, row.role);
      assert.equal(m.state, row.state);
      assert.equal(m.lagBytes, row.lag);
      assert.equal(m.receiveLagBytes, row.receive);
      assert.equal(m.replayLagBytes, row.replay);
      assert.equal(m.timeline, 4);
      assert.equal(m.port, 5432);
      assert.equal(m.host, `10.0.1.1${row.name.slice(-1)}`);
      assert.equal(m.apiUrl, `https://10.0.1.1${row.name.slice(-1)}:8008/patroni`);
    });
  }

  test('tags, pending restart and scheduled restart', () => {
    assert.deepEqual(member(cluster, 'node1').tags, { clonefrom: true });
    assert.deepEqual(member(cluster, 'node2').tags, {});
    const node3 = member(cluster, 'node3');
    assert.deepEqual(node3.tags, { nofailover: true });
    assert.equal(node3.pendingRestart, true);
    assert.deepEqual(node3.pendingRestartReason, { shared_buffers: { old_value: '128MB', new_value: '512MB' } });
    assert.deepEqual(node3.scheduledRestart, { schedule: '2025-06-14T02:00:00+00:00' });
    assert.equal(member(cluster, 'node2').pendingRestart, false);
    assert.equal(member(cluster, 'node2').scheduledRestart, undefined);
  });
});

/** GET /cluster as Patroni 3.0.2 answers it: no scope, replicas "running", only `lag`. */
function v302Body(): Record<string, unknown> {
  return {
    members: [
      // deliberately not sorted by name
      { name: 'pg3', role: 'replica', state: 'stopped', api_url: 'https://10.0.0.3:8008/patroni', host: '10.0.0.3', port: 5432, lag: 'unknown', tags: { replicatefrom: 'pg2' } },
      { name: 'pg1', role: 'leader', state: 'running', api_url: 'https://10.0.0.1:8008/patroni', host: '10.0.0.1', port: 5432, timeline: 2 },
      { name: 'pg2', role: 'sync_standby', state: 'running', api_url: 'https://10.0.0.2:8008/patroni', host: '10.0.0.2', port: 5433, timeline: 2, lag: 3145728, pending_restart: true, scheduled_restart: { schedule: '2023-04-01T03:00:00+00:00', postgres_version: '15.2' } },
    ],
    pause: true,
    scheduled_switchover: { at: '2023-04-01T02:00:00+00:00', from: 'pg1' },
  };
}

describe('clusterFromRest with a Patroni 3.0.2-shaped /cluster', () => {
  const cluster = clusterFromRest(v302Body(), 'legacy');

  test('no scope key: falls back to the profile scope', () => {
    assert.equal(cluster.scope, 'legacy');
  });

  test('members sorted by name, roles and states as reported', () => {
    assert.deepEqual(
      cluster.members.map((m) => [m.name, m.role, m.state]),
      [
        ['pg1', 'leader', 'running'],
        ['pg2', 'sync_standby', 'running'],
        ['pg3', 'replica', 'stopped'],
      ],
    );
    assert.equal(cluster.leader, 'pg1');
  });

  test('lag: integer kept, "unknown" becomes null, leader has none; no receive/replay lags', () => {
    assert.equal(member(cluster, 'pg1').lagBytes, undefined);
    assert.equal(member(cluster, 'pg2').lagBytes, 3145728);
    assert.equal(member(cluster, 'pg3').lagBytes, null);
    for (const m of cluster.members) {
      assert.equal(m.receiveLagBytes, undefined);
      assert.equal(m.replayLagBytes, undefined);
    }
  });

  test('paused, partial scheduled switchover, pending/scheduled restart, tags, port', () => {
    assert.equal(cluster.paused, true);
    assert.deepEqual(cluster.scheduledSwitchover, { at: '2023-04-01T02:00:00+00:00', from: 'pg1' });
    const pg2 = member(cluster, 'pg2');
    assert.equal(pg2.pendingRestart, true);
    assert.deepEqual(pg2.scheduledRestart, { schedule: '2023-04-01T03:00:00+00:00', postgresVersion: '15.2' });
    assert.equal(pg2.port, 5433);
    assert.deepEqual(member(cluster, 'pg3').tags, { replicatefrom: 'pg2' });
    assert.equal(member(cluster, 'pg3').timeline, undefined);
  });

  test('not paused and no switchover when the keys are absent', () => {
    const body = v302Body();
    delete body['pause'];
    delete body['scheduled_switchover'];
    const c = clusterFromRest(body, 'x');
    assert.equal(c.paused, false);
    assert.equal(c.scheduledSwitchover, undefined);
  });

  test('a scheduled_switchover without "at" is ignored', () => {
    const c = clusterFromRest({ members: [], scheduled_switchover: { from: 'a', to: 'b' } }, 'x');
    assert.equal(c.scheduledSwitchover, undefined);
  });

  test('master/primary/standby_leader role spellings normalize', () => {
    const c = clusterFromRest(
      {
        members: [
          { name: 'a', role: 'master' },
          { name: 'b', role: 'primary' },
          { name: 'c', role: 'standby_leader' },
          { name: 'd', role: 'quorum_standby' },
          { name: 'e', role: 'something-new' },
        ],
      },
      'x',
    );
    assert.deepEqual(c.members.map((m) => m.role), ['leader', 'leader', 'standby_leader', 'quorum_standby', 'replica']);
  });

  test('a standby cluster reports its standby_leader as the leader', () => {
    const c = clusterFromRest({ members: [{ name: 'b', role: 'replica' }, { name: 's', role: 'standby_leader', state: 'streaming' }] }, 'x');
    assert.equal(c.leader, 's');
  });
});

describe('clusterFromRest with hostile input', () => {
  const notClusters: Array<[string, unknown]> = [
    ['null', null],
    ['a string', 'members'],
    ['an array', [{ name: 'a' }]],
    ['no members key', { scope: 'x' }],
    ['members is an object', { members: { a: { name: 'a' } } }],
    ['members is a string', { members: 'a,b' }],
    ['members is null', { members: null }],
  ];
  for (const [label, body] of notClusters) {
    test(`body that is ${label} → ProtocolError`, () => {
      assert.throws(() => clusterFromRest(body, 'x'), (e: unknown) => e instanceof ProtocolError && e.exitCode === ExitCode.unexpected);
    });
  }

  test('members without a usable name are skipped', () => {
    const c = clusterFromRest(
      { members: [null, 5, 'node9', [], { role: 'leader' }, { name: '' }, { name: 42, role: 'leader' }, { name: 'ok', role: 'replica' }] },
      'x',
    );
    assert.deepEqual(c.members.map((m) => m.name), ['ok']);
    assert.equal(c.leader, undefined, 'a nameless "leader" must not become the leader');
  });

  test('fields of the wrong type are dropped, not trusted', () => {
    const c = clusterFromRest(
      {
        scope: 7,
        pause: 'true',
        scheduled_switchover: { at: 12345, from: 'a' },
        members: [
          {
            name: 'm',
            role: ['leader'],
            state: 5,
            host: 10,
            port: 'abc',
            api_url: { href: 'https://x' },
            timeline: 4.5,
            pending_restart: 'yes',
            pending_restart_reason: 'because',
            scheduled_restart: { schedule: 123 },
            tags: ['nofailover'],
            lag: -5,
          },
        ],
      },
      'fallback',
    );
    assert.equal(c.scope, 'fallback');
    assert.equal(c.paused, false);
    assert.equal(c.scheduledSwitchover, undefined);
    const m = member(c, 'm');
    assert.equal(m.role, 'replica');
    assert.equal(m.state, 'unknown');
    assert.equal(m.host, undefined);
    assert.equal(m.port, undefined);
    assert.equal(m.apiUrl, undefined);
    assert.equal(m.timeline, undefined);
    assert.equal(m.pendingRestart, false);
    assert.equal(m.pendingRestartReason, undefined);
    assert.equal(m.scheduledRestart, undefined);
    assert.deepEqual(m.tags, {});
    assert.equal(m.lagBytes, 0, 'a negative lag is clamped to 0');
  });

  test('lag values that are not byte counts read as unknown (null)', () => {
    const lags: unknown[] = ['unknown', null, 'lots', 1.5, true, {}, '99999999999999999999'];
    const c = clusterFromRest({ members: lags.map((lag, i) => ({ name: `m${i}`, role: 'replica', lag })) }, 'x');
    assert.deepEqual(c.members.map((m) => m.lagBytes), lags.map(() => null));
  });

  test('numeric strings are accepted for port and lag', () => {
    const c = clusterFromRest({ members: [{ name: 'm', port: '5433', lag: '1024' }] }, 'x');
    assert.equal(member(c, 'm').port, 5433);
    assert.equal(member(c, 'm').lagBytes, 1024);
  });

  test('control characters in names are kept verbatim in the model (sanitized only when printed)', () => {
    const c = clusterFromRest({ members: [{ name: 'evil\u001b]0;pwned\u0007', role: 'replica' }] }, 'x');
    assert.equal(c.members[0]?.name, 'evil\u001b]0;pwned\u0007');
  });
});
