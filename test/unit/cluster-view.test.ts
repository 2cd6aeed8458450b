import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster, Member, MemberRole } from '../../src/cluster/model.js';
import {
  clusterTitle,
  clusterToJson,
  hostColumn,
  lagInMb,
  needsExtendedColumns,
  roleTitle,
  serviceLines,
  tagsText,
  topologyOrder,
} from '../../src/cluster/view.js';

function m(name: string, extra: Partial<Member> = {}): Member {
  return { name, role: 'replica', state: 'streaming', pendingRestart: false, tags: {}, ...extra };
}

function cluster(members: Member[], extra: Partial<Cluster> = {}): Cluster {
  return { scope: 'demo', paused: false, members, source: 'rest', ...extra };
}

describe('roleTitle', () => {
  const table: Array<[MemberRole, string]> = [
    ['leader', 'Leader'],
    ['standby_leader', 'Standby Leader'],
    ['sync_standby', 'Sync Standby'],
    ['quorum_standby', 'Quorum Standby'],
    ['replica', 'Replica'],
  ];
  for (const [role, title] of table) test(`${role} → ${title}`, () => assert.equal(roleTitle(role), title));
});

describe('lagInMb', () => {
  const MB = 1024 * 1024;
  const table: Array<[number | null | undefined, string | number]> = [
    [undefined, ''],
    [null, 'unknown'],
    [0, 0],
    [MB / 2 - 1, 0],
    [MB / 2, 1],
    [24 * MB, 24],
    [25165824, 24],
    [10 * MB + 1, 10],
  ];
  for (const [lag, expected] of table) test(`${String(lag)} → ${JSON.stringify(expected)}`, () => assert.equal(lagInMb(lag), expected));
});

describe('hostColumn', () => {
  test('host alone on port 5432 (and when port is unknown)', () => {
    const a = m('a', { host: '10.0.0.1', port: 5432 });
    const b = m('b', { host: '10.0.0.2' });
    const c = cluster([a, b]);
    assert.equal(hostColumn(a, c), '10.0.0.1');
    assert.equal(hostColumn(b, c), '10.0.0.2');
  });
  test('host:port when the port is not 5432', () => {
    const a = m('a', { host: '10.0.0.1', port: 5433 });
    assert.equal(hostColumn(a, cluster([a])), '10.0.0.1:5433');
  });
  test('host:port for every member sharing a host, even on 5432', () => {
    const a = m('a', { host: 'db', port: 5432 });
    const b = m('b', { host: 'db', port: 5433 });
    const other = m('c', { host: 'other', port: 5432 });
    const c = cluster([a, b, other]);
    assert.deepEqual([hostColumn(a, c), hostColumn(b, c), hostColumn(other, c)], ['db:5432', 'db:5433', 'other']);
  });
  test('empty when the host is unknown', () => {
    const a = m('a', { port: 5433 });
    assert.equal(hostColumn(a, cluster([a, m('b')])), '');
  });
});

describe('clusterToJson', () => {
  const leader = m('node1', { role: 'leader', state: 'running', host: 'h1', port: 5432, timeline: 4, apiUrl: 'https://h1:8008/patroni' });
  const replica = m('node2', { lagBytes: null, receiveLagBytes: 5, replayLagBytes: 7, pendingRestart: true, pendingRestartReason: { a: 1 }, scheduledRestart: { schedule: 'S' }, tags: { nofailover: true } });
  const c = cluster([leader, replica], { leader: 'node1', systemId: '42', paused: true, scheduledSwitchover: { at: 'T', to: 'node2' } });
  const json = clusterToJson(c);

  test('cluster keys', () => {
    assert.deepEqual(Object.keys(json), ['cluster', 'systemId', 'source', 'leader', 'paused', 'scheduledSwitchover', 'members']);
    assert.equal(json.cluster, 'demo');
    assert.equal(json.systemId, '42');
    assert.equal(json.source, 'rest');
    assert.equal(json.leader, 'node1');
    assert.equal(json.paused, true);
    assert.deepEqual(json.scheduledSwitchover, { at: 'T', from: null, to: 'node2' });
  });

  test('every member key is present, with null for unknowns; leader lagBytes is 0', () => {
    const keys = ['name', 'host', 'port', 'role', 'state', 'timeline', 'lagBytes', 'receiveLagBytes', 'replayLagBytes', 'pendingRestart', 'pendingRestartReason', 'scheduledRestart', 'tags', 'apiUrl'];
    for (const member of json.members) assert.deepEqual(Object.keys(member), keys);
    assert.deepEqual(json.members[0], {
      name: 'node1', host: 'h1', port: 5432, role: 'leader', state: 'running', timeline: 4, lagBytes: 0, receiveLagBytes: null,
      replayLagBytes: null, pendingRestart: false, pendingRestartReason: null, scheduledRestart: null, tags: {}, apiUrl: 'https://h1:8008/patroni',
    });
    assert.deepEqual(json.members[1], {
      name: 'node2', host: null, port: null, role: 'replica', state: 'streaming', timeline: null, lagBytes: null, receiveLagBytes: 5,
      replayLagBytes: 7, pendingRestart: true, pendingRestartReason: { a: 1 }, scheduledRestart: { schedule: 'S', postgresVersion: null },
      tags: { nofailover: true }, apiUrl: null,
    });
  });

  test('an empty cluster has null leader/systemId/switchover and survives a JSON round trip', () => {
    const empty = clusterToJson(cluster([]));
    assert.deepEqual(empty, { cluster: 'demo', systemId: null, source: 'rest', leader: null, paused: false, scheduledSwitchover: null, members: [] });
    assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
  });
});

describe('serviceLines, clusterTitle, tagsText, needsExtendedColumns', () => {
  test('nothing to say for a plain cluster', () => assert.deepEqual(serviceLines(cluster([])), []));
  test('maintenance mode and a full switchover', () => {
    assert.deepEqual(serviceLines(cluster([], { paused: true, scheduledSwitchover: { at: 'T', from: 'a', to: 'b' } })), [
      ' Maintenance mode: on',
      ' Switchover scheduled at: T',
      '                    from: a',
      '                      to: b',
    ]);
  });
  test('switchover without from/to', () => {
    assert.deepEqual(serviceLines(cluster([], { scheduledSwitchover: { at: 'T' } })), [' Switchover scheduled at: T']);
  });
  test('clusterTitle with and without system id', () => {
    assert.equal(clusterTitle(cluster([])), 'Cluster: demo');
    assert.equal(clusterTitle(cluster([], { systemId: '7438553642038517801' })), 'Cluster: demo (7438553642038517801)');
  });
  test('tagsText sorts keys and JSON-encodes values', () => {
    assert.equal(tagsText({ nofailover: true, clonefrom: 'x', a: 1 }), 'a: 1, clonefrom: "x", nofailover: true');
    assert.equal(tagsText({}), '');
  });
  test('needsExtendedColumns when any member has tags, pending or scheduled restart', () => {
    assert.equal(needsExtendedColumns(cluster([m('a'), m('b')])), false);
    assert.equal(needsExtendedColumns(cluster([m('a'), m('b', { tags: { x: 1 } })])), true);
    assert.equal(needsExtendedColumns(cluster([m('a', { pendingRestart: true })])), true);
    assert.equal(needsExtendedColumns(cluster([m('a', { scheduledRestart: { schedule: 'S' } })])), true);
  });
});

describe('topologyOrder', () => {
  const order = (c: Cluster): Array<[string, number]> => topologyOrder(c).map(({ member, depth }) => [member.name, depth]);

  test('leader first, replicas under it, cascading replicas nested by replicatefrom', () => {
    const c = cluster(
      [
        m('a', { tags: { replicatefrom: 'c' } }),
        m('b'),
        m('c'),
        m('d', { tags: { replicatefrom: 'a' } }),
        m('l', { role: 'leader' }),
        m('e', { tags: { replicatefrom: 'l' } }),
      ],
      { leader: 'l' },
    );
    assert.deepEqual(order(c), [
      ['l', 0],
      ['b', 1],
      ['c', 1],
      ['a', 2],
      ['d', 3],
      ['e', 1],
    ]);
  });

  test('an unknown upstream, a non-string or self replicatefrom fall back to the leader', () => {
    const c = cluster([m('l', { role: 'leader' }), m('x', { tags: { replicatefrom: 'ghost' } }), m('y', { tags: { replicatefrom: 5 } }), m('z', { tags: { replicatefrom: 'z' } })], { leader: 'l' });
    assert.deepEqual(order(c), [
      ['l', 0],
      ['x', 1],
      ['y', 1],
      ['z', 1],
    ]);
  });

  test('a replicatefrom cycle terminates and still lists every member exactly once', () => {
    const c = cluster([m('l', { role: 'leader' }), m('p', { tags: { replicatefrom: 'q' } }), m('q', { tags: { replicatefrom: 'p' } })], { leader: 'l' });
    const result = order(c);
    assert.deepEqual(result.map(([n]) => n).sort(), ['l', 'p', 'q']);
    assert.deepEqual(result, [
      ['l', 0],
      ['p', 0],
      ['q', 1],
    ]);
  });

  test('without a leader every root is at depth 0', () => {
    const c = cluster([m('a'), m('b', { tags: { replicatefrom: 'a' } })]);
    assert.deepEqual(order(c), [
      ['a', 0],
      ['b', 1],
    ]);
  });
});
