import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster, Member } from '../../src/cluster/model.js';
import {
  candidateInfo,
  matchesRole,
  planFailover,
  planFlush,
  planPause,
  planReinit,
  planReload,
  planRestart,
  planSwitchover,
  requireMembers,
  selectTargets,
  type RestartInput,
} from '../../src/cluster/plan.js';
import { ExitCode, PreconditionError, UsageError } from '../../src/errors.js';

function m(name: string, extra: Partial<Member> = {}): Member {
  return { name, role: 'replica', state: 'streaming', pendingRestart: false, tags: {}, apiUrl: `https://${name}.example:8008/patroni`, ...extra };
}
const cluster = (members: Member[], extra: Partial<Cluster> = {}): Cluster => ({ scope: 'demo', paused: false, members, source: 'rest', ...extra });

/** leader n1, healthy replicas n2 (sync) and n3, a nofailover replica n4, a stopped replica n5. */
const demo = (extra: Partial<Cluster> = {}): Cluster =>
  cluster(
    [
      m('n1', { role: 'leader', state: 'running' }),
      m('n2', { role: 'sync_standby' }),
      m('n3'),
      m('n4', { tags: { nofailover: true } }),
      m('n5', { state: 'stopped' }),
    ],
    { leader: 'n1', ...extra },
  );

const FUTURE = '2099-01-01T10:00:00+00:00';

function throwsWith(fn: () => unknown, type: typeof UsageError | typeof PreconditionError, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    if (message) assert.match((error as Error).message, message);
    return true;
  });
}

describe('planSwitchover', () => {
  test('no leader → PreconditionError pointing at failover', () => {
    const c = cluster([m('a'), m('b')]);
    throwsWith(() => planSwitchover(c, {}), PreconditionError, /has no leader/u);
    try {
      planSwitchover(c, {});
    } catch (error) {
      assert.match((error as PreconditionError).hint ?? '', /failover/u);
      assert.equal((error as PreconditionError).exitCode, ExitCode.preconditionRefused);
    }
  });

  test('--leader naming another known member → PreconditionError naming the real leader', () => {
    assert.throws(() => planSwitchover(demo(), { leader: 'n2' }), (e: unknown) => e instanceof PreconditionError && /not the leader/u.test(e.message) && /n1/u.test(e.hint ?? ''));
  });

  test('--leader naming an unknown member → UsageError (exit 2)', () => {
    assert.throws(() => planSwitchover(demo(), { leader: 'ghost' }), (e: unknown) => e instanceof UsageError && e.exitCode === 2 && /"ghost"/u.test(e.message));
  });

  test('--leader equal to the leader is accepted', () => {
    assert.equal(planSwitchover(demo(), { leader: 'n1', candidate: 'n2' }).requests.length, 1);
  });

  test('candidate = leader → PreconditionError', () => {
    throwsWith(() => planSwitchover(demo(), { candidate: 'n1' }), PreconditionError, /already the leader/u);
  });

  test('unknown candidate → UsageError exit 2', () => {
    assert.throws(() => planSwitchover(demo(), { candidate: 'ghost' }), (e: unknown) => e instanceof UsageError && e.exitCode === ExitCode.usage);
  });

  test('nofailover-tagged candidate refused now, allowed when scheduled', () => {
    throwsWith(() => planSwitchover(demo(), { candidate: 'n4' }), PreconditionError, /nofailover/u);
    const plan = planSwitchover(demo(), { candidate: 'n4', scheduledAt: FUTURE });
    assert.deepEqual(plan.requests[0]!.body, { leader: 'n1', candidate: 'n4', scheduled_at: FUTURE });
  });

  test('non-running candidate refused now, allowed when scheduled', () => {
    throwsWith(() => planSwitchover(demo(), { candidate: 'n5' }), PreconditionError, /state is stopped/u);
    assert.doesNotThrow(() => planSwitchover(demo(), { candidate: 'n5', scheduledAt: FUTURE }));
  });

  test('paused cluster: needs a candidate', () => {
    throwsWith(() => planSwitchover(demo({ paused: true }), {}), PreconditionError, /paused/u);
    const plan = planSwitchover(demo({ paused: true }), { candidate: 'n3' });
    assert.deepEqual(plan.requests[0]!.body, { leader: 'n1', candidate: 'n3' });
  });

  test('paused cluster: cannot schedule, even with a candidate', () => {
    throwsWith(() => planSwitchover(demo({ paused: true }), { candidate: 'n3', scheduledAt: FUTURE }), PreconditionError, /cannot schedule/u);
  });

  test('no eligible candidate at all → PreconditionError', () => {
    const c = cluster([m('l', { role: 'leader', state: 'running' }), m('x', { state: 'stopped' }), m('y', { tags: { nofailover: 'true' } })], { leader: 'l' });
    throwsWith(() => planSwitchover(c, {}), PreconditionError, /no candidate/u);
  });

  test('body {leader} only, POST /switchover to the leader api_url', () => {
    const plan = planSwitchover(demo(), {});
    assert.equal(plan.action, 'switchover');
    assert.equal(plan.cluster, 'demo');
    assert.deepEqual(plan.requests, [{ member: 'n1', apiUrl: 'https://n1.example:8008/patroni', method: 'POST', path: '/switchover', body: { leader: 'n1' } }]);
    assert.match(plan.summary, /healthiest replica/u);
  });

  test('scheduled summary names the time; candidate named in summary', () => {
    const plan = planSwitchover(demo(), { candidate: 'n2', scheduledAt: FUTURE });
    assert.match(plan.summary, new RegExp(`schedule a switchover at ${FUTURE.replace(/\+/gu, '\\+')}`, 'u'));
    assert.match(plan.summary, /promote n2/u);
    assert.deepEqual(Object.keys(plan.requests[0]!.body!).sort(), ['candidate', 'leader', 'scheduled_at']);
  });

  test('a hostile member name is escaped in the summary', () => {
    const c = cluster([m('l', { role: 'leader', state: 'running' }), m('evil\u001b[2J')], { leader: 'l' });
    const plan = planSwitchover(c, { candidate: 'evil\u001b[2J' });
    assert.ok(!plan.summary.includes('\u001b'));
    assert.equal((plan.requests[0]!.body as Record<string, unknown>)['candidate'], 'evil\u001b[2J');
  });
});

describe('planFailover', () => {
  test('candidate required → UsageError', () => {
    throwsWith(() => planFailover(demo(), undefined), UsageError, /needs a candidate/u);
  });

  test('with a leader: POST /failover to the leader, body {candidate}', () => {
    const plan = planFailover(demo(), 'n3');
    assert.deepEqual(plan.requests, [{ member: 'n1', apiUrl: 'https://n1.example:8008/patroni', method: 'POST', path: '/failover', body: { candidate: 'n3' } }]);
    assert.match(plan.summary, /demoting leader n1/u);
  });

  test('without a leader: sent to the candidate itself', () => {
    const c = cluster([m('a', { state: 'running' }), m('b', { state: 'running' })]);
    const plan = planFailover(c, 'b');
    assert.equal(plan.requests[0]!.member, 'b');
    assert.equal(plan.requests[0]!.apiUrl, 'https://b.example:8008/patroni');
    assert.deepEqual(plan.requests[0]!.body, { candidate: 'b' });
    assert.match(plan.summary, /no leader/u);
  });

  test('candidate = leader, unknown, or ineligible are refused', () => {
    throwsWith(() => planFailover(demo(), 'n1'), PreconditionError, /already the leader/u);
    throwsWith(() => planFailover(demo(), 'ghost'), UsageError);
    throwsWith(() => planFailover(demo(), 'n4'), PreconditionError, /nofailover/u);
    throwsWith(() => planFailover(demo(), 'n5'), PreconditionError, /stopped/u);
  });
});

describe('planRestart', () => {
  const input = (extra: Partial<RestartInput> = {}): RestartInput => ({ members: [], role: 'any', pending: false, ...extra });

  test('all members, leader last, empty body', () => {
    const plan = planRestart(demo(), input());
    assert.deepEqual(plan.requests.map((r) => r.member), ['n2', 'n3', 'n4', 'n5', 'n1']);
    for (const r of plan.requests) {
      assert.equal(r.method, 'POST');
      assert.equal(r.path, '/restart');
      assert.deepEqual(r.body, {});
    }
  });

  test('named members keep the leader last even when named first', () => {
    const plan = planRestart(demo(), input({ members: ['n1', 'n3'] }));
    assert.deepEqual(plan.requests.map((r) => r.member), ['n3', 'n1']);
    assert.equal(plan.requests[1]!.apiUrl, 'https://n1.example:8008/patroni');
  });

  test('--pending immediate: only members with a pending restart; restart_pending in body', () => {
    const c = demo();
    c.members[2]!.pendingRestart = true; // n3
    c.members[0]!.pendingRestart = true; // n1
    const plan = planRestart(c, input({ pending: true }));
    assert.deepEqual(plan.requests.map((r) => r.member), ['n3', 'n1']);
    assert.deepEqual(plan.requests[0]!.body, { restart_pending: true });
    assert.match(plan.summary, /only if a restart is pending/u);
  });

  test('--pending immediate with nobody pending → PreconditionError', () => {
    throwsWith(() => planRestart(demo(), input({ pending: true })), PreconditionError, /pending restart/u);
  });

  test('--pending scheduled keeps every selected member', () => {
    const plan = planRestart(demo(), input({ pending: true, scheduledAt: FUTURE }));
    assert.equal(plan.requests.length, 5);
    assert.deepEqual(plan.requests[0]!.body, { restart_pending: true, schedule: FUTURE });
    assert.match(plan.summary, /schedule a restart at/u);
  });

  test('postgres_version and timeout body keys (timeout 0 kept)', () => {
    assert.deepEqual(planRestart(demo(), input({ pgVersion: '15.4', timeoutSeconds: 30 })).requests[0]!.body, { postgres_version: '15.4', timeout: 30 });
    assert.deepEqual(planRestart(demo(), input({ timeoutSeconds: 0 })).requests[0]!.body, { timeout: 0 });
    for (const v of ['16.1', '9.6.24', '15.4.1']) assert.doesNotThrow(() => planRestart(demo(), input({ pgVersion: v })));
  });

  test('invalid pg version → UsageError', () => {
    // '16' and '9.6' are refused by Patroni itself (X.Y needs X >= 10; one part is never enough).
    for (const v of ['fifteen', '15.4.1.2', '', '15.', ' 15', '16', '9.6']) {
      throwsWith(() => planRestart(demo(), input({ pgVersion: v })), UsageError, /invalid --pg-version/u);
    }
  });

  test('scheduled while paused refused; immediate while paused allowed', () => {
    throwsWith(() => planRestart(demo({ paused: true }), input({ scheduledAt: FUTURE })), PreconditionError, /paused/u);
    assert.equal(planRestart(demo({ paused: true }), input()).requests.length, 5);
  });

  test('role filters', () => {
    assert.deepEqual(planRestart(demo(), input({ role: 'replica' })).requests.map((r) => r.member), ['n2', 'n3', 'n4', 'n5']);
    assert.deepEqual(planRestart(demo(), input({ role: 'primary' })).requests.map((r) => r.member), ['n1']);
    assert.deepEqual(planRestart(demo(), input({ role: 'leader', members: ['n1', 'n2'] })).requests.map((r) => r.member), ['n1']);
    throwsWith(() => planRestart(demo(), input({ role: 'standby-leader' })), PreconditionError);
  });

  test('unknown member → UsageError', () => {
    throwsWith(() => planRestart(demo(), input({ members: ['n2', 'ghost'] })), UsageError, /"ghost"/u);
  });

  test('a member named twice is restarted once', () => {
    assert.deepEqual(planRestart(demo(), input({ members: ['n2', 'n2'] })).requests.map((r) => r.member), ['n2']);
  });
});

describe('planReload', () => {
  test('POST /reload without body to each selected member', () => {
    const plan = planReload(demo(), ['n2', 'n1'], 'any');
    assert.deepEqual(plan.requests, [
      { member: 'n2', apiUrl: 'https://n2.example:8008/patroni', method: 'POST', path: '/reload' },
      { member: 'n1', apiUrl: 'https://n1.example:8008/patroni', method: 'POST', path: '/reload' },
    ]);
    assert.equal(plan.action, 'reload');
  });

  test('role filter and empty selection', () => {
    assert.deepEqual(planReload(demo(), [], 'leader').requests.map((r) => r.member), ['n1']);
    throwsWith(() => planReload(demo(), ['n1'], 'replica'), PreconditionError, /among those named/u);
  });
});

describe('planReinit', () => {
  test('no names → UsageError listing the replicas', () => {
    assert.throws(() => planReinit(demo(), [], { fromLeader: false, cancelRunning: false }), (e: unknown) => e instanceof UsageError && /n2, n3, n4, n5/u.test(e.hint ?? '') && !/n1/u.test(e.hint ?? ''));
  });

  test('leader refused', () => {
    throwsWith(() => planReinit(demo(), ['n2', 'n1'], { fromLeader: false, cancelRunning: false }), PreconditionError, /n1 is the leader/u);
  });

  test('standby leader refused too', () => {
    const c = cluster([m('s', { role: 'standby_leader' }), m('r')], { leader: 's' });
    throwsWith(() => planReinit(c, ['s'], { fromLeader: false, cancelRunning: false }), PreconditionError);
  });

  test('unknown → UsageError', () => {
    throwsWith(() => planReinit(demo(), ['ghost'], { fromLeader: false, cancelRunning: false }), UsageError);
  });

  test('body: force always, from_leader only when asked', () => {
    assert.deepEqual(planReinit(demo(), ['n3'], { fromLeader: false, cancelRunning: false }).requests, [
      { member: 'n3', apiUrl: 'https://n3.example:8008/patroni', method: 'POST', path: '/reinitialize', body: { force: false } },
    ]);
    assert.deepEqual(planReinit(demo(), ['n3', 'n2'], { fromLeader: true, cancelRunning: true }).requests.map((r) => [r.member, r.body]), [
      ['n3', { force: true, from_leader: true }],
      ['n2', { force: true, from_leader: true }],
    ]);
  });
});

describe('planPause', () => {
  test('already paused / not paused → PreconditionError', () => {
    throwsWith(() => planPause(demo({ paused: true }), true), PreconditionError, /already paused/u);
    throwsWith(() => planPause(demo(), false), PreconditionError, /not paused/u);
  });

  test('pause: PATCH /config {pause:true} to the leader', () => {
    const plan = planPause(demo(), true);
    assert.equal(plan.action, 'pause');
    assert.deepEqual(plan.requests, [{ member: 'n1', apiUrl: 'https://n1.example:8008/patroni', method: 'PATCH', path: '/config', body: { pause: true } }]);
  });

  test('resume: PATCH /config {pause:null}, leader first even when not first by name', () => {
    const c = cluster([m('a'), m('b'), m('z', { role: 'leader', state: 'running' })], { leader: 'z', paused: true });
    const plan = planPause(c, false);
    assert.equal(plan.action, 'resume');
    assert.equal(plan.requests[0]!.member, 'z');
    assert.deepEqual(plan.requests[0]!.body, { pause: null });
  });

  test('no leader: some member; no members: PreconditionError', () => {
    assert.equal(planPause(cluster([m('a')]), true).requests[0]!.member, 'a');
    throwsWith(() => planPause(cluster([]), true), PreconditionError, /no members/u);
  });
});

describe('planFlush', () => {
  test('switchover without a schedule refused', () => {
    throwsWith(() => planFlush(demo(), 'switchover', [], 'any'), PreconditionError, /no scheduled switchover/u);
  });

  test('switchover: DELETE /switchover to the leader', () => {
    const plan = planFlush(demo({ scheduledSwitchover: { at: FUTURE } }), 'switchover', [], 'any');
    assert.deepEqual(plan.requests, [{ member: 'n1', apiUrl: 'https://n1.example:8008/patroni', method: 'DELETE', path: '/switchover' }]);
    assert.match(plan.summary, /2099-01-01/u);
  });

  test('switchover scheduled but no member records → PreconditionError', () => {
    throwsWith(() => planFlush(cluster([], { scheduledSwitchover: { at: FUTURE } }), 'switchover', [], 'any'), PreconditionError);
  });

  test('restart: only members with a scheduled restart', () => {
    const c = demo();
    c.members[1]!.scheduledRestart = { schedule: FUTURE };
    c.members[0]!.scheduledRestart = { schedule: FUTURE };
    const plan = planFlush(c, 'restart', [], 'any');
    assert.deepEqual(plan.requests.map((r) => [r.member, r.method, r.path]), [
      ['n1', 'DELETE', '/restart'],
      ['n2', 'DELETE', '/restart'],
    ]);
    assert.deepEqual(planFlush(c, 'restart', [], 'replica').requests.map((r) => r.member), ['n2']);
  });

  test('restart: nobody scheduled → PreconditionError', () => {
    throwsWith(() => planFlush(demo(), 'restart', [], 'any'), PreconditionError, /scheduled restart/u);
  });
});

describe('requireMembers / selectTargets', () => {
  test('unknown names are reported, never dropped', () => {
    assert.throws(
      () => requireMembers(demo(), ['n1', 'x', 'y']),
      (e: unknown) => e instanceof UsageError && /unknown members "x", "y"/u.test(e.message) && /n1, n2, n3, n4, n5/u.test(e.hint ?? ''),
    );
    assert.throws(() => requireMembers(demo(), ['x']), (e: unknown) => e instanceof UsageError && /unknown member "x"/u.test(e.message));
  });

  test('returns members in the order named', () => {
    assert.deepEqual(requireMembers(demo(), ['n3', 'n1']).map((x) => x.name), ['n3', 'n1']);
  });

  test('selectTargets: an unknown name among names is not filtered away by role', () => {
    throwsWith(() => selectTargets(demo(), ['n2', 'ghost'], 'replica'), UsageError);
  });

  test('selectTargets: empty selection → PreconditionError', () => {
    throwsWith(() => selectTargets(demo(), [], 'standby-leader'), PreconditionError, /no standby-leader member in cluster demo/u);
    throwsWith(() => selectTargets(cluster([]), [], 'any'), PreconditionError, /no member in cluster/u);
  });

  test('selectTargets: no names → all members matching the role', () => {
    assert.deepEqual(selectTargets(demo(), [], 'replica').map((x) => x.name), ['n2', 'n3', 'n4', 'n5']);
  });
});

describe('candidateInfo', () => {
  test('excludes the leader; reasons for nofailover and unhealthy state', () => {
    const info = candidateInfo(demo());
    assert.deepEqual(
      info.map((i) => [i.member.name, i.eligible, i.reason]),
      [
        ['n2', true, undefined],
        ['n3', true, undefined],
        ['n4', false, 'tagged nofailover'],
        ['n5', false, 'state is stopped'],
      ],
    );
  });

  test('nofailover tag spellings', () => {
    const c = cluster([m('a', { tags: { nofailover: 'True' } }), m('b', { tags: { nofailover: false } }), m('c', { tags: { nofailover: 'false' } }), m('d', { state: 'running' })]);
    assert.deepEqual(candidateInfo(c).map((i) => i.eligible), [false, true, true, true]);
  });
});

describe('matchesRole', () => {
  const cases: Array<[Member['role'], Record<string, boolean>]> = [
    ['leader', { leader: true, primary: true, 'standby-leader': false, replica: false, any: true }],
    ['standby_leader', { leader: true, primary: true, 'standby-leader': true, replica: false, any: true }],
    ['sync_standby', { leader: false, primary: false, 'standby-leader': false, replica: true, any: true }],
    ['quorum_standby', { leader: false, primary: false, 'standby-leader': false, replica: true, any: true }],
    ['replica', { leader: false, primary: false, 'standby-leader': false, replica: true, any: true }],
  ];
  for (const [role, expected] of cases) {
    test(`role ${role}`, () => {
      const got = Object.fromEntries(Object.keys(expected).map((f) => [f, matchesRole(m('x', { role }), f as Parameters<typeof matchesRole>[1])]));
      assert.deepEqual(got, expected);
    });
  }
});
