// Every cluster action, run through the real CLI against one real TLS cluster (etcd + 3 Patroni
// nodes). Each claim patrol makes is checked independently of patrol: through Patroni's own
// patronictl (reading the DCS) or a member's GET /patroni. Tests run in order and each one leaves
// the cluster healthy for the next.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ClusterHandle, startCluster } from '../fixtures/cluster.js';
import { type PatrolRun, runPatrol } from '../support/run-patrol.js';
import { clusterProfile } from '../support/cluster-profile.js';

let cluster: ClusterHandle;
let configDir: string;
let env: Record<string, string>;

/** Long enough for a switchover, a reinit or a rolling restart of three members. */
const ACTION_MS = 300_000;

interface CtlRow {
  Member: string;
  Role: string;
  State: string;
  TL?: number;
  'Pending restart'?: string;
  'Scheduled restart'?: string;
}

interface Report {
  action: string;
  outcome: string;
  detail: string;
  requests: Array<{ member: string; method: string; path: string; status: number | null; outcome: string; message: string }>;
}

interface ListJson {
  leader: string | null;
  paused: boolean;
  scheduledSwitchover: { at: string; from: string | null; to: string | null } | null;
  members: Array<{ name: string; pendingRestart: boolean; scheduledRestart: { schedule: string } | null }>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function patrol(args: string[]): Promise<PatrolRun> {
  return runPatrol(args, { configDir, env, timeoutMs: ACTION_MS });
}

function parse<T>(run: PatrolRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}\nstderr: ${run.stderr}`);
  }
}

async function ctlList(): Promise<CtlRow[]> {
  const result = await cluster.patronictl(['list', '-e', '-f', 'json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as CtlRow[];
}

/** The one Leader patronictl shows (the DCS's view, not patrol's). */
async function ctlLeader(): Promise<string> {
  const leaders = (await ctlList()).filter((r) => r.Role === 'Leader');
  assert.equal(leaders.length, 1, `exactly one leader expected: ${JSON.stringify(leaders)}`);
  return leaders[0]!.Member;
}

async function memberStatus(name: string): Promise<Record<string, unknown>> {
  const { status, body } = await cluster.restGet(name, '/patroni');
  assert.equal(status, 200, `GET /patroni on ${name}`);
  return body as Record<string, unknown>;
}

async function startTimes(): Promise<Record<string, string>> {
  const times: Record<string, string> = {};
  for (const m of cluster.members) {
    const started = (await memberStatus(m.name))['postmaster_start_time'];
    assert.equal(typeof started, 'string', `postmaster_start_time of ${m.name}`);
    times[m.name] = started as string;
  }
  return times;
}

/** Retry an assertion while the DCS and the members settle (bounded). */
async function eventually(check: () => Promise<void>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(1000);
    }
  }
}

async function replicas(): Promise<string[]> {
  const leader = await ctlLeader();
  return cluster.members.map((m) => m.name).filter((n) => n !== leader);
}

const isRunning = (row: CtlRow | undefined): boolean => row?.State === 'running' || row?.State === 'streaming';

/** X is the Leader and `old` is back as a running Replica, according to patronictl. */
async function assertLeaderChanged(newLeader: string | undefined, old: string): Promise<string> {
  let leader = '';
  await eventually(async () => {
    const rows = await ctlList();
    const lead = rows.find((r) => r.Role === 'Leader');
    assert.ok(lead && isRunning(lead), `a running leader: ${JSON.stringify(rows)}`);
    if (newLeader) assert.equal(lead.Member, newLeader);
    assert.notEqual(lead.Member, old);
    const oldRow = rows.find((r) => r.Member === old);
    assert.equal(oldRow?.Role, 'Replica', `${old} should be a replica: ${JSON.stringify(rows)}`);
    assert.ok(isRunning(oldRow), `${old} should be running: ${JSON.stringify(rows)}`);
    leader = lead.Member;
  }, 30_000);
  return leader;
}

/** A time a few hours ahead, with an explicit offset. */
function futureTime(hours = 3): string {
  return `${new Date(Date.now() + hours * 3_600_000).toISOString().slice(0, 19)}+00:00`;
}

before(async () => {
  cluster = await startCluster({ scope: 'patrol-actions', removeOnStop: true });
  const made = await clusterProfile(cluster);
  ({ configDir, env } = made);
  const add = made.add;
  assert.equal(add.code, 0, add.stderr);
});

after(async () => {
  await cluster?.stop();
});

describe('refusals change nothing', () => {
  test('without a terminal and without --yes: exit 2 at once, "pass --yes", nothing sent', async () => {
    const leader = await ctlLeader();
    const [replica] = await replicas();
    const before = await startTimes();
    for (const args of [['switchover', '--candidate', replica!], ['restart', replica!], ['reload'], ['pause']]) {
      const started = Date.now();
      const result = await patrol(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /pass --yes/);
      assert.ok(Date.now() - started < 15_000, `${args[0]} should refuse at once`);
    }
    assert.equal(await ctlLeader(), leader);
    assert.deepEqual(await startTimes(), before);
    assert.equal((await memberStatus(leader))['pause'] ?? false, false);
  });

  test('--dry-run prints method, URL and body and sends nothing', async () => {
    const leader = await ctlLeader();
    const [replica] = await replicas();
    const leaderUrl = cluster.members.find((m) => m.name === leader)!.restUrl;
    const replicaUrl = cluster.members.find((m) => m.name === replica)!.restUrl;
    const before = await startTimes();

    const pretty = await patrol(['switchover', '--candidate', replica!, '--dry-run']);
    assert.equal(pretty.code, 0, pretty.stderr);
    assert.ok(
      pretty.stdout.includes(`POST ${leaderUrl}/switchover ${JSON.stringify({ leader, candidate: replica })}`),
      `request line missing: ${pretty.stdout}`,
    );
    const json = await patrol(['restart', replica!, '--dry-run', '-f', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const doc = parse<{ dryRun: boolean; requests: Array<{ member: string; method: string; url: string; body: unknown }> }>(json);
    assert.equal(doc.dryRun, true);
    assert.deepEqual(doc.requests, [{ member: replica, method: 'POST', url: `${replicaUrl}/restart`, body: {} }]);

    await sleep(3000); // give anything wrongly sent time to show
    assert.equal(await ctlLeader(), leader);
    assert.deepEqual(await startTimes(), before);
  });

  test('unknown member names are a usage error (exit 2), never silently dropped', async () => {
    const [replica] = await replicas();
    const before = await startTimes();
    for (const args of [['restart', replica!, 'nosuch'], ['reload', replica!, 'nosuch'], ['reinit', 'nosuch'], ['restart', 'nosuch', '--rolling']]) {
      const result = await patrol([...args, '--yes']);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /unknown member "nosuch"/);
    }
    assert.deepEqual(await startTimes(), before);
  });

  test('switchover to the leader itself exits 6; to an unknown member exits 2; the cluster is unchanged', async () => {
    const leader = await ctlLeader();
    const self = await patrol(['switchover', '--candidate', leader, '--yes']);
    assert.equal(self.code, 6, self.stderr);
    assert.match(self.stderr, /already the leader/);
    const unknown = await patrol(['switchover', '--candidate', 'nosuch', '--yes']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /unknown member "nosuch"/);
    const failoverSelf = await patrol(['failover', '--candidate', leader, '--yes']);
    assert.equal(failoverSelf.code, 6, failoverSelf.stderr);
    await sleep(2000);
    assert.equal(await ctlLeader(), leader);
  });
});

describe('reload', () => {
  test('reload --yes: every member answers 202', async () => {
    const result = await patrol(['reload', '--yes', '-f', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const report = parse<Report>(result);
    assert.equal(report.requests.length, 3);
    assert.deepEqual(report.requests.map((r) => r.status), [202, 202, 202]);
    assert.deepEqual(report.requests.map((r) => r.member).sort(), cluster.members.map((m) => m.name).sort());
    await cluster.waitHealthy();
  });
});

describe('leader changes', () => {
  test('switchover --candidate X: X leads, the old leader is a running replica', async () => {
    const old = await ctlLeader();
    const target = (await replicas())[0]!;
    const result = await patrol(['switchover', '--candidate', target, '--yes', '-f', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const report = parse<Report>(result);
    assert.equal(report.outcome, 'completed');
    assert.equal(report.requests[0]!.path, '/switchover');
    assert.equal(report.requests[0]!.member, old);
    await assertLeaderChanged(target, old);
    await cluster.waitHealthy();
  });

  test('switchover without a candidate moves leadership to another member', async () => {
    const old = await ctlLeader();
    const result = await patrol(['switchover', '--yes', '-f', 'json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(parse<Report>(result).outcome, 'completed');
    await assertLeaderChanged(undefined, old);
    await cluster.waitHealthy();
  });

  test('failover --candidate Y: Y leads', async () => {
    const old = await ctlLeader();
    const target = (await replicas()).at(-1)!;
    const result = await patrol(['failover', '--candidate', target, '--yes', '-f', 'json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(parse<Report>(result).outcome, 'completed');
    await assertLeaderChanged(target, old);
    await cluster.waitHealthy();
  });
});

describe('restart', () => {
  test('restart <replica>: exit 0 and its postmaster start time changed', async () => {
    const [replica] = await replicas();
    const before = await startTimes();
    const result = await patrol(['restart', replica!, '--yes', '-f', 'json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(parse<Report>(result).outcome, 'completed');
    const afterTimes = await startTimes();
    assert.notEqual(afterTimes[replica!], before[replica!]);
    for (const m of cluster.members) if (m.name !== replica) assert.equal(afterTimes[m.name], before[m.name], `${m.name} must not restart`);
    await cluster.waitHealthy();
  });

  test('restart --pending with nothing pending: exit 6, nothing restarted', async () => {
    const before = await startTimes();
    const result = await patrol(['restart', '--pending', '--yes']);
    assert.equal(result.code, 6, result.stderr);
    assert.match(result.stderr, /pending restart/);
    assert.deepEqual(await startTimes(), before);
  });

  test('a postmaster-context change makes restarts pending; restart --pending clears them', async () => {
    const edit = await cluster.patronictl(['edit-config', cluster.scope, '--pg', 'max_connections=150', '--force', '--quiet']);
    assert.equal(edit.code, 0, edit.stderr);
    await eventually(async () => {
      const rows = await ctlList();
      assert.ok(rows.length === 3 && rows.every((r) => r['Pending restart'] === '*'), `pending restart everywhere: ${JSON.stringify(rows)}`);
      const list = parse<ListJson>(await patrol(['list', '-f', 'json']));
      assert.ok(list.members.every((m) => m.pendingRestart));
    }, 90_000);
    const leader = await ctlLeader();
    const before = await startTimes();

    const result = await patrol(['restart', '--pending', '--yes', '-f', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const report = parse<Report>(result);
    assert.equal(report.outcome, 'completed');
    assert.equal(report.requests.length, 3);
    assert.equal(report.requests.at(-1)!.member, leader, 'leader last');
    const afterTimes = await startTimes();
    for (const m of cluster.members) assert.notEqual(afterTimes[m.name], before[m.name], `${m.name} restarted`);
    await eventually(async () => {
      for (const m of cluster.members) {
        const status = await memberStatus(m.name);
        assert.notEqual(status['pending_restart'], true, `${m.name} still pending`);
      }
      const rows = await ctlList();
      assert.ok(rows.every((r) => !r['Pending restart']), `no pending restart: ${JSON.stringify(rows)}`);
    });
    await cluster.waitHealthy();
  });
});

describe('reinit', () => {
  test('reinit <replica> --wait: exit 0, running again with a new postmaster', async () => {
    const [replica] = await replicas();
    const before = (await memberStatus(replica!))['postmaster_start_time'];
    const result = await patrol(['reinit', replica!, '--wait', '--yes', '-f', 'json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(parse<Report>(result).outcome, 'completed');
    const status = await memberStatus(replica!);
    assert.equal(status['state'], 'running');
    assert.notEqual(status['postmaster_start_time'], before);
    await cluster.waitHealthy();
  });

  test('reinit <leader>: exit 6, nothing sent', async () => {
    const leader = await ctlLeader();
    const before = await startTimes();
    const result = await patrol(['reinit', leader, '--yes']);
    assert.equal(result.code, 6, result.stderr);
    assert.match(result.stderr, /is the leader/);
    assert.equal(await ctlLeader(), leader);
    assert.deepEqual(await startTimes(), before);
  });
});

describe('pause and resume', () => {
  test('pause --wait: every member reports pause; pausing again exits 6; resume --wait clears it', async () => {
    const paused = await patrol(['pause', '--wait', '--yes', '-f', 'json']);
    assert.equal(paused.code, 0, paused.stderr);
    assert.equal(parse<Report>(paused).outcome, 'completed');
    for (const m of cluster.members) assert.equal((await memberStatus(m.name))['pause'], true, `${m.name} paused`);
    assert.equal(parse<ListJson>(await patrol(['list', '-f', 'json'])).paused, true);
    const ctl = await cluster.patronictl(['list']);
    assert.match(ctl.stdout, /Maintenance mode: on/);

    const again = await patrol(['pause', '--yes']);
    assert.equal(again.code, 6, again.stderr);
    assert.match(again.stderr, /already paused/);

    const resumed = await patrol(['resume', '--wait', '--yes', '-f', 'json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(parse<Report>(resumed).outcome, 'completed');
    for (const m of cluster.members) assert.notEqual((await memberStatus(m.name))['pause'], true, `${m.name} resumed`);
    assert.equal(parse<ListJson>(await patrol(['list', '-f', 'json'])).paused, false);
    await cluster.waitHealthy();
  });
});

describe('schedules and flush', () => {
  test('a scheduled switchover shows in patrol and patronictl; flush switchover removes it', async () => {
    const leader = await ctlLeader();
    const [target] = await replicas();
    const result = await patrol(['switchover', '--candidate', target!, '--scheduled', futureTime(), '--yes', '-f', 'json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(parse<Report>(result).outcome, 'scheduled');

    const list = parse<ListJson>(await patrol(['list', '-f', 'json']));
    assert.ok(list.scheduledSwitchover, 'scheduledSwitchover in patrol list');
    assert.equal(list.scheduledSwitchover.to, target);
    const ctl = await cluster.patronictl(['list']);
    assert.match(ctl.stdout, /Switchover scheduled at: /);

    const flush = await patrol(['flush', 'switchover', '--yes', '-f', 'json']);
    assert.equal(flush.code, 0, flush.stderr);
    assert.equal(parse<Report>(flush).outcome, 'completed');
    assert.equal(parse<ListJson>(await patrol(['list', '-f', 'json'])).scheduledSwitchover, null);
    assert.doesNotMatch((await cluster.patronictl(['list'])).stdout, /Switchover scheduled/);
    assert.equal(await ctlLeader(), leader);
  });

  test('a scheduled restart shows as scheduledRestart; flush restart removes it', async () => {
    const [replica] = await replicas();
    const before = await startTimes();
    const result = await patrol(['restart', replica!, '--scheduled', futureTime(), '--yes', '-f', 'json']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(parse<Report>(result).outcome, 'scheduled');
    // The member publishes its schedule on its next loop.
    await eventually(async () => {
      const list = parse<ListJson>(await patrol(['list', '-f', 'json']));
      assert.ok(list.members.find((m) => m.name === replica)!.scheduledRestart, 'scheduledRestart in patrol list');
      const row = (await ctlList()).find((r) => r.Member === replica);
      assert.ok(row?.['Scheduled restart'], `patronictl shows the schedule: ${JSON.stringify(row)}`);
    }, 30_000);

    const flush = await patrol(['flush', 'restart', '--yes', '-f', 'json']);
    assert.equal(flush.code, 0, flush.stderr);
    assert.equal(parse<Report>(flush).outcome, 'completed');
    const list = parse<ListJson>(await patrol(['list', '-f', 'json']));
    assert.ok(list.members.every((m) => m.scheduledRestart === null));
    assert.ok((await ctlList()).every((r) => !r['Scheduled restart']));
    assert.deepEqual(await startTimes(), before);
  });
});

describe('rolling restart', () => {
  test('restart --rolling --switchover: every member restarted, leader last, leadership moved', async () => {
    const old = await ctlLeader();
    const before = await startTimes();
    const result = await patrol(['restart', '--rolling', '--switchover', '--yes', '-f', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const report = parse<Report>(result);
    assert.equal(report.outcome, 'completed');
    const steps = report.requests.map((r) => `${r.method} ${r.path} ${r.member}`);
    assert.equal(steps.length, 4, steps.join('; '));
    assert.ok(report.requests.slice(0, 2).every((r) => r.path === '/restart' && r.member !== old), steps.join('; '));
    assert.deepEqual(steps.slice(2), [`POST /switchover ${old}`, `POST /restart ${old}`]);
    assert.ok(report.requests.every((r) => r.outcome === 'ok'));

    const afterTimes = await startTimes();
    for (const m of cluster.members) assert.notEqual(afterTimes[m.name], before[m.name], `${m.name} restarted`);
    await assertLeaderChanged(undefined, old);
    await cluster.waitHealthy();
  });
});
