import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { refuseSecretsInArgv } from '../../src/cli.js';
import { clusterFromRest } from '../../src/cluster/from-rest.js';
import type { Cluster, Member } from '../../src/cluster/model.js';
import { chooseDsnMember, dsnFor, type DsnRole } from '../../src/commands/dsn.js';
import { historyDocument, parseHistory } from '../../src/commands/history.js';
import { listDocument, listTable } from '../../src/commands/list.js';
import { postgresVersionText, selectMembers } from '../../src/commands/version.js';
import { PreconditionError, UsageError } from '../../src/errors.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/responses/v4/${name}`, import.meta.url), 'utf8'));

function m(name: string, extra: Partial<Member> = {}): Member {
  return { name, role: 'replica', state: 'streaming', pendingRestart: false, tags: {}, ...extra };
}
const cluster = (members: Member[], extra: Partial<Cluster> = {}): Cluster => ({ scope: 'demo', paused: false, members, source: 'rest', ...extra });

describe('parseHistory', () => {
  test('the recorded /history: five-element entries', () => {
    const entries = parseHistory(fixture('history.json') as unknown[]);
    assert.equal(entries.length, 3);
    assert.deepEqual(entries[0], { timeline: 1, lsn: 100663456, reason: 'no recovery target specified', timestamp: '2025-01-14T03:05:51.207664+00:00', newLeader: 'node1' });
    assert.deepEqual(entries.map((e) => e.newLeader), ['node1', 'node2', 'node1']);
  });

  test('old three- and four-element entries get nulls; junk is skipped; sorted by timeline', () => {
    const entries = parseHistory([
      [3, 300, 'switchover', '2024-01-01T00:00:00+00:00'],
      'garbage',
      null,
      [],
      ['x', 1, 'bad timeline'],
      [1, '100', 'no recovery target specified'],
      [2, 'n/a', 42, 7, ['leader']],
    ]);
    assert.deepEqual(entries, [
      { timeline: 1, lsn: 100, reason: 'no recovery target specified', timestamp: null, newLeader: null },
      { timeline: 2, lsn: null, reason: null, timestamp: null, newLeader: null },
      { timeline: 3, lsn: 300, reason: 'switchover', timestamp: '2024-01-01T00:00:00+00:00', newLeader: null },
    ]);
  });

  test('historyDocument table rows follow the columns', () => {
    const doc = historyDocument(parseHistory([[1, 2, 'r', 't', 'n']]));
    assert.deepEqual(doc.table, { columns: ['TL', 'LSN', 'Reason', 'Timestamp', 'New Leader'], rows: [[1, 2, 'r', 't', 'n']] });
  });
});

describe('chooseDsnMember / dsnFor', () => {
  const c = cluster([
    m('a-stopped', { state: 'stopped', host: '10.0.0.1', port: 5432 }),
    m('b-nohost', { state: 'streaming' }),
    m('c-replica', { state: 'streaming', host: '10.0.0.3', port: 5433 }),
    m('d-sync', { role: 'sync_standby', state: 'running', host: '10.0.0.4' }),
    m('e-leader', { role: 'leader', state: 'running', host: '10.0.0.5', port: 5432 }),
  ]);

  const byRole: Array<[DsnRole, string]> = [
    ['leader', 'e-leader'],
    ['primary', 'e-leader'],
    ['replica', 'c-replica'], // first healthy replica with a host, skipping the stopped one and the host-less one
    ['any', 'c-replica'],
  ];
  for (const [role, name] of byRole) test(`role ${role} → ${name}`, () => assert.equal(chooseDsnMember(c, role).name, name));

  test('falls back to an unhealthy member with a host when no healthy one exists', () => {
    const only = cluster([m('x', { state: 'stopped', host: 'h' }), m('y', { state: 'running' })]);
    assert.equal(chooseDsnMember(only, 'replica').name, 'x');
  });

  test('standby-leader matches only a standby_leader; leader matches it too', () => {
    const standby = cluster([m('s', { role: 'standby_leader', state: 'streaming', host: 'h' }), m('r', { host: 'r' })]);
    assert.equal(chooseDsnMember(standby, 'standby-leader').name, 's');
    assert.equal(chooseDsnMember(standby, 'leader').name, 's');
    assert.throws(() => chooseDsnMember(c, 'standby-leader'), PreconditionError);
  });

  test('by member name, whatever its role or health', () => {
    assert.equal(chooseDsnMember(c, 'leader', 'a-stopped').name, 'a-stopped');
  });

  test('an unknown member name is a UsageError listing the members (sanitized)', () => {
    assert.throws(
      () => chooseDsnMember(c, 'leader', 'zz\u001b[2J'),
      (e: unknown) => e instanceof UsageError && e.message.includes('zz\\e[2J') && !e.message.includes('\u001b') && (e.hint ?? '').includes('c-replica'),
    );
  });

  test('no member with a host in the role → PreconditionError', () => {
    assert.throws(() => chooseDsnMember(cluster([m('l', { role: 'leader' })]), 'leader'), PreconditionError);
    assert.throws(() => chooseDsnMember(cluster([]), 'any'), PreconditionError);
  });

  test('dsnFor: host and port, port defaulting to 5432', () => {
    assert.equal(dsnFor(m('x', { host: '10.0.0.3', port: 5433 })), 'host=10.0.0.3 port=5433');
    assert.equal(dsnFor(m('x', { host: 'db.example.com' })), 'host=db.example.com port=5432');
    assert.deepEqual(parseConninfo(dsnFor(m('x', { host: '10.0.0.3', port: 5433 }))), [['host', '10.0.0.3'], ['port', '5433']]);
    assert.deepEqual(parseConninfo("host='a b\\'c' port=1"), [['host', "a b'c"], ['port', '1']], 'the test parser itself');
  });

  test(
    'dsnFor quotes a server-supplied host so it cannot inject conninfo keywords',
    () => {
      for (const host of ['10.0.0.3 sslmode=disable', "h' sslmode='disable", 'h\\ x', '']) {
        const parsed = parseConninfo(dsnFor(m('x', { host, port: 5432 })));
        assert.deepEqual(parsed, [['host', host], ['port', '5432']], host);
      }
    },
  );
});

/** libpq keyword=value conninfo: values are bare words or '…' with \\ and \' escapes. */
function parseConninfo(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const re = /\s*([a-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|([^\s']*))/gyu;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text)) !== null && match[0] !== '') {
    out.push([match[1] ?? '', match[2] !== undefined ? match[2].replace(/\\(.)/gu, '$1') : (match[3] ?? '')]);
  }
  return out;
}

describe('version helpers', () => {
  const versions: Array<[number, string]> = [
    [170005, '17.5'],
    [150002, '15.2'],
    [100000, '10.0'],
    [90624, '9.6.24'],
    [90500, '9.5.0'],
  ];
  for (const [num, text] of versions) test(`postgresVersionText(${num}) = ${text}`, () => assert.equal(postgresVersionText(num), text));

  const members = [m('node1'), m('node2'), m('node3')];
  test('selectMembers: no names → all members', () => assert.deepEqual(selectMembers(members, [], 'demo'), members));
  test('selectMembers: named members, in cluster order', () => {
    assert.deepEqual(selectMembers(members, ['node3', 'node1'], 'demo').map((x) => x.name), ['node1', 'node3']);
  });
  test('selectMembers: any unknown name is a UsageError, never silently dropped', () => {
    assert.throws(
      () => selectMembers(members, ['node1', 'nodeX'], 'demo'),
      (e: unknown) => e instanceof UsageError && e.message === 'unknown member "nodeX" in cluster demo' && e.hint === 'members: node1, node2, node3',
    );
    assert.throws(() => selectMembers(members, ['a', 'b'], 'demo'), (e: unknown) => e instanceof UsageError && e.message.startsWith('unknown members "a", "b"'));
    assert.throws(() => selectMembers([], ['node1'], 'demo'), UsageError);
  });
});

describe('list', () => {
  const demo = clusterFromRest(fixture('cluster.json'), 'demo');

  test('basic columns and rows from the 4.1 fixture', () => {
    const t = listTable(demo, false);
    assert.deepEqual(t.columns, ['Member', 'Host', 'Role', 'State', 'TL', 'Lag in MB']);
    assert.deepEqual(t.rows, [
      ['node1', '10.0.1.11', 'Leader', 'running', 4, ''],
      ['node2', '10.0.1.12', 'Sync Standby', 'streaming', 4, 0],
      ['node3', '10.0.1.13', 'Replica', 'streaming', 4, 24],
    ]);
  });

  test('extended columns on request', () => {
    const t = listTable(demo, true);
    assert.deepEqual(t.columns.slice(6), ['Pending restart', 'Scheduled restart', 'Tags']);
    assert.deepEqual(t.rows.map((r) => r.slice(6)), [
      ['', '', 'clonefrom: true'],
      ['', '', ''],
      ['*', '2025-06-14T02:00:00+00:00', 'nofailover: true'],
    ]);
  });

  test('listDocument turns extended columns on when a member has tags', () => {
    const tagged = cluster([m('a', { tags: { nosync: true } }), m('b')]);
    assert.equal(listDocument(tagged, false).table?.columns.length, 9);
    const plain = cluster([m('a'), m('b')]);
    assert.equal(listDocument(plain, false).table?.columns.length, 6);
    assert.equal(listDocument(plain, true).table?.columns.length, 9);
  });

  test('listDocument data is the clusterToJson shape', () => {
    const data = listDocument(demo, false).data as { cluster: string; leader: string; members: Array<{ name: string; lagBytes: number | null }> };
    assert.equal(data.cluster, 'demo');
    assert.equal(data.leader, 'node1');
    assert.deepEqual(data.members.map((x) => x.lagBytes), [0, 0, 25165824]);
  });

  test('pretty output: titled table followed by maintenance and switchover lines', () => {
    const text = listDocument(demo, false).pretty?.() ?? '';
    const lines = text.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^\+ Cluster: demo -+\+[-+]+\+$/u);
    assert.match(lines[1] ?? '', /^\| Member \| Host +\| Role +\| State +\| TL \| Lag in MB \| Pending restart \| Scheduled restart +\| Tags +\|$/u);
    assert.deepEqual(lines.slice(-4), [' Maintenance mode: on', ' Switchover scheduled at: 2025-06-14T01:30:00+00:00', '                    from: node1', '                      to: node2']);
  });

  test('unknown lag shows as "unknown", hostile names are escaped in the pretty table', () => {
    const c = cluster([m('evil\u001b[2J', { lagBytes: null, host: 'h' })]);
    const text = listDocument(c, false).pretty?.() ?? '';
    assert.ok(!text.includes('\u001b'));
    assert.match(text, /\| evil\\e\[2J \| h +\| Replica \| streaming \|    \| unknown +\|/u);
  });
});

describe('refuseSecretsInArgv', () => {
  const refused: string[][] = [
    ['list', '--password', 'x'],
    ['list', '--password=x'],
    ['--dcs-password=x', 'list'],
    ['--rest-password', 's'],
    ['-passphrase', 'x'],
    ['--key-passphrase=abc'],
    ['--TOKEN=abc'],
    ['--secret'],
    ['profile', 'add', 'p', '--rest-url', 'https://user:pass@10.0.0.1:8008'],
    ['profile', 'add', 'p', '--dcs-url=https://root:pw@10.0.0.1:2379'],
    ['profile', 'add', 'p', '--rest-url', 'https://user:@10.0.0.1:8008'],
  ];
  for (const argv of refused) {
    test(`refuses ${argv.join(' ')}`, () => {
      assert.throws(
        () => refuseSecretsInArgv(argv),
        (e: unknown) => e instanceof UsageError && e.exitCode === 2 && !e.message.includes('pass@') && !/=(x|abc|pw)\b/u.test(e.message),
      );
    });
  }

  const allowed: string[][] = [
    [],
    ['list'],
    ['list', '-f', 'json', '--profile', 'prod', '--source', 'dcs'],
    ['profile', 'add', 'p', '--cluster', 'demo', '--rest-url', 'https://10.0.0.1:8008', '--username', 'patroni'],
    ['--password-file', '/x'],
    ['version', 'password'],
    ['dsn', '-m', 'node1'],
    ['profile', 'add', 'p', '--rest-url', 'https://10.0.0.1:8008/path@x'],
  ];
  for (const argv of allowed) test(`allows ${argv.join(' ') || '(empty)'}`, () => assert.doesNotThrow(() => refuseSecretsInArgv(argv)));

  test('the message names the flag but not its value', () => {
    try {
      refuseSecretsInArgv(['--dcs-password=hunter2']);
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /\(--dcs-password\)/u);
      assert.ok(!e.message.includes('hunter2'));
    }
  });
});
