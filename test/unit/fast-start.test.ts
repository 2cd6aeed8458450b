// The pieces of issue 6 that are pure logic: the fast lane of the command line (held to yargs'
// own result), many-cluster listing (grouping, bounded parallel reads, rendering, exit codes) and
// the TCP_QUICKACK switch.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildParser, simpleCommand } from '../../src/cli.js';
import { deadlineError, settleAll } from '../../src/cluster/many.js';
import type { Cluster, Member } from '../../src/cluster/model.js';
import { type ClusterOutcome, manyDocument, manyExitCode, type ManyJson } from '../../src/commands/list-many.js';
import { listCommand } from '../../src/commands/list.js';
import type { Context, GlobalOptions } from '../../src/context.js';
import { groupByScope } from '../../src/dcs/etcd3.js';
import { ExitCode, TlsOrAuthError, UnreachableError, UsageError } from '../../src/errors.js';
import { globalFlags, parseSimpleArgv } from '../../src/fast-argv.js';
import { quickAckWanted } from '../../src/net/quickack.js';
import { render } from '../../src/ui/format.js';

const ENV = { PATROL_PROFILE: 'from-env' };

/** What yargs hands to a command for argv: the command's first call, ctx.session(args), is captured. */
async function viaYargs(argv: string[]): Promise<Record<string, unknown>> {
  let captured: Record<string, unknown> | undefined;
  const ctx = {
    signal: new AbortController().signal,
    term: { write: () => undefined, note: () => undefined, stdoutIsTTY: false },
    session: async (args: GlobalOptions) => {
      captured ??= args as unknown as Record<string, unknown>;
      throw new UsageError('captured');
    },
  } as unknown as Context;
  let result: Promise<number> | undefined;
  await (await buildParser(argv, ctx, (p) => (result = p), ENV)).parseAsync();
  await result!.catch(() => undefined);
  return captured!;
}

const FAST_LIST = { name: 'list', flags: listCommand.flags!, variadic: listCommand.variadic };
const KEYS = ['profile', 'format', 'source', 'timeout', 'debug', 'extended', 'all', 'W', 'watch', 'clusters', 'secret-store'];

describe('fast lane of the command line', () => {
  const simple: string[][] = [
    ['list'],
    ['list', '-e'],
    ['-p', 'prod', 'list', '-f', 'json'],
    ['list', '--source', 'rest', '--timeout', '2.5', '--debug'],
    ['list', '--all', '-W'],
    ['list', 'c1', 'c2', '-w', '3'],
    ['list', '-p', 'a', '-p', 'b', 'c1'],
    ['list', '--format=tsv', '--profile=x', '--watch=1'],
    ['--secret-store', 'file', 'list'],
  ];
  for (const argv of simple) {
    test(`agrees with yargs: patrol ${argv.join(' ')}`, async () => {
      const fast = parseSimpleArgv(argv, globalFlags(ENV), FAST_LIST);
      assert.ok(fast, 'the fast lane should take this command line');
      const slow = await viaYargs(argv);
      for (const key of KEYS) {
        if (key === 'clusters') {
          assert.deepEqual(fast[key], slow[key] ?? [], key);
        } else if (key === 'profile') {
          // A repeated --profile reaches the command as `profiles`; each read uses one of them.
          const profiles = slow['profiles'] as string[];
          assert.deepEqual(fast[key], profiles.length > 1 ? profiles : slow[key], key);
        } else {
          assert.deepEqual(fast[key], slow[key], `${key} for ${argv.join(' ')}`);
        }
      }
    });
  }

  const leftToYargs: string[][] = [
    ['list', '--help'],
    ['list', '-eW'],
    ['list', '--no-extended'],
    ['list', '--debug', 'true'],
    ['list', '--source', 'nope'],
    ['list', '--timeout', 'soon'],
    ['list', '--timeout', '1', '--timeout', '2'],
    ['list', '--bogus'],
    ['list', '-p'],
    ['list', '42'],
    ['list', '--', 'x'],
    ['lis'],
    ['--version'],
    [],
  ];
  for (const argv of leftToYargs) {
    test(`leaves to yargs: patrol ${argv.join(' ') || '(nothing)'}`, () => {
      assert.equal(parseSimpleArgv(argv, globalFlags(ENV), FAST_LIST), undefined);
    });
  }

  test('a command without option data always goes through yargs', async () => {
    assert.equal(await simpleCommand(['switchover', '--force'], ENV), undefined);
    assert.ok(await simpleCommand(['list', '-e'], ENV));
  });

  test('defaults come from the environment where yargs takes them from', () => {
    const args = parseSimpleArgv(['list'], globalFlags(ENV), FAST_LIST)!;
    assert.equal(args['profile'], 'from-env');
    assert.equal(args['format'], 'pretty');
    assert.equal(args['timeout'], 15);
  });
});

describe('settleAll', () => {
  test('keeps every outcome, in input order, failures included', async () => {
    const boom = new UnreachableError('down');
    const out = await settleAll([async () => 1, async () => Promise.reject(boom), async () => 3], { concurrency: 2, deadlineMs: 10_000 });
    assert.deepEqual(out, [{ ok: true, value: 1 }, { ok: false, error: boom }, { ok: true, value: 3 }]);
  });

  test('never runs more than `concurrency` tasks at once', async () => {
    let running = 0;
    let most = 0;
    const task = async (): Promise<number> => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setImmediate(r));
      running--;
      return most;
    };
    await settleAll(Array.from({ length: 20 }, () => task), { concurrency: 3, deadlineMs: 10_000 });
    assert.equal(most, 3);
  });

  test('a task that never answers settles as unanswered when the deadline passes; the rest are kept', async () => {
    const out = await settleAll([() => new Promise<number>(() => undefined), async () => 2], { concurrency: 4, deadlineMs: 50 });
    assert.equal(out[1]!.ok, true);
    assert.equal(out[0]!.ok, false);
    const error = (out[0] as { error: unknown }).error;
    assert.ok(error instanceof UnreachableError);
    assert.match(error.message, /no answer within 0\.1 s|no answer within 0\.05 s|no answer within/u);
  });

  test('a task that throws synchronously is one failure, not a crash', async () => {
    const out = await settleAll([() => { throw new UsageError('bad'); }], { concurrency: 1, deadlineMs: 1000 });
    assert.equal(out[0]!.ok, false);
  });

  test('no tasks: an empty result at once', async () => {
    assert.deepEqual(await settleAll([], { concurrency: 1, deadlineMs: 1000 }), []);
  });

  test('the deadline error names the time and how to give more', () => {
    assert.match(deadlineError(15_000).message, /15 s/u);
    assert.match(deadlineError(15_000).hint ?? '', /--timeout/u);
  });
});

describe('groupByScope', () => {
  test('splits namespace keys into clusters and ignores keys that belong to none', () => {
    const grouped = groupByScope([
      ['a/leader', 'pg0'],
      ['a/members/pg0', '{}'],
      ['b/config', '{}'],
      ['stray', 'x'],
      ['/odd', 'x'],
      ['c/', 'x'],
    ]);
    assert.deepEqual([...grouped.keys()], ['a', 'b']);
    assert.deepEqual([...grouped.get('a')!.entries()], [['leader', 'pg0'], ['members/pg0', '{}']]);
  });
});

function member(name: string, extra: Partial<Member> = {}): Member {
  return { name, role: 'replica', state: 'streaming', pendingRestart: false, tags: {}, host: '10.0.0.1', port: 5432, ...extra };
}
const clusterOf = (scope: string, members: Member[]): Cluster => ({ scope, paused: false, members, source: 'dcs', leader: members[0]?.name ?? '' });

describe('many clusters: document and exit code', () => {
  const ok: ClusterOutcome = { profile: 'p', scope: 'alpha', cluster: clusterOf('alpha', [member('pg0', { role: 'leader', state: 'running' }), member('pg1')]) };
  const down: ClusterOutcome = { profile: 'p', scope: 'beta', error: new UnreachableError('cannot reach etcd', 'check it') };
  const missing: ClusterOutcome = { profile: 'p', scope: 'gamma', error: new UsageError('cluster "gamma" is not in the DCS') };

  test('json: every cluster read, and every cluster missing with why and its exit code', () => {
    const data = manyDocument([ok, down, missing], false).data as ManyJson;
    assert.deepEqual(data.clusters.map((c) => [c.profile, c.cluster, c.members.length]), [['p', 'alpha', 2]]);
    assert.deepEqual(
      data.unavailable.map((u) => [u.cluster, u.exitCode]),
      [['beta', ExitCode.unreachable], ['gamma', ExitCode.usage]],
    );
    assert.match(data.unavailable[0]!.error, /cannot reach etcd; check it/u);
  });

  test('pretty: one table per cluster, and a line for each missing one', () => {
    const text = render('pretty', manyDocument([ok, down], false));
    assert.match(text, /\+ Cluster: alpha /u);
    assert.match(text, /\| pg1 +\|/u);
    assert.match(text, /Cluster: beta: cannot reach etcd/u);
  });

  test('tsv: one line per member with its profile and cluster', () => {
    const lines = render('tsv', manyDocument([ok, down], false)).trim().split('\n');
    assert.equal(lines[0], 'Profile\tCluster\tMember\tHost\tRole\tState\tTL\tLag in MB');
    assert.equal(lines.length, 3);
    assert.ok(lines[1]!.startsWith('p\talpha\tpg0\t'));
  });

  test('several profiles are named in the titles', () => {
    const other: ClusterOutcome = { ...ok, profile: 'q' };
    assert.match(render('pretty', manyDocument([ok, other], false)), /Cluster: alpha \[q\]/u);
  });

  test('a server-supplied cluster name cannot reach the terminal raw', () => {
    const evil: ClusterOutcome = { profile: 'p', scope: 'x\u001b[2Jy', error: new UsageError('gone') };
    assert.doesNotMatch(render('pretty', manyDocument([evil], false)), /\u001b/u);
  });

  test('exit code: 0 when all were read, else the most pressing failure (TLS/auth over unreachable over not found)', () => {
    assert.equal(manyExitCode([ok]), 0);
    assert.equal(manyExitCode([ok, missing]), ExitCode.usage);
    assert.equal(manyExitCode([ok, missing, down]), ExitCode.unreachable);
    assert.equal(manyExitCode([down, { profile: 'p', scope: 'd', error: new TlsOrAuthError('bad cert') }]), ExitCode.tlsOrAuth);
  });
});

describe('TCP_QUICKACK', () => {
  test('only on Linux, and never when switched off', () => {
    assert.equal(quickAckWanted('linux', undefined), true);
    assert.equal(quickAckWanted('linux', 'off'), false);
    assert.equal(quickAckWanted('linux', '0'), false);
    assert.equal(quickAckWanted('darwin', undefined), false);
    assert.equal(quickAckWanted('win32', undefined), false);
  });
});
