import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeReply } from '../../src/actions/reply.js';
import {
  boundedParallel,
  confirmPlan,
  dryRunDocument,
  outcomeFromResults,
  prepare,
  type RequestResult,
  resolveOrigins,
  sendOnce,
  worstExitCode,
} from '../../src/actions/run-plan.js';
import { waitFor } from '../../src/actions/wait.js';
import type { ActionPlan, PlannedRequest } from '../../src/cluster/plan.js';
import type { Clock, Context, Session, Terminal } from '../../src/context.js';
import {
  DeclinedError,
  ExitCode,
  type ExitCodeValue,
  InterruptedError,
  OutcomeUnknownError,
  TlsOrAuthError,
  UnreachableError,
  UsageError,
} from '../../src/errors.js';
import type { PatroniApi, RawReply } from '../../src/patroni/client.js';
import { trustedHostSet } from '../../src/patroni/trust.js';
import type { Prompter } from '../../src/ui/prompter.js';

// ---------------------------------------------------------------- fakes

interface FakeTerm extends Terminal {
  out: string[];
  notes: string[];
}

function fakeTerm(canPrompt: boolean): FakeTerm {
  const out: string[] = [];
  const notes: string[] = [];
  return {
    out,
    notes,
    write: (t) => void out.push(t),
    note: (t) => void notes.push(t),
    stdoutIsTTY: canPrompt,
    canPrompt,
    readStdin: async () => assert.fail('stdin must not be read'),
    editText: async () => assert.fail('no editor must be opened'),
  };
}

function fakePrompter(answer: boolean): Prompter & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    confirm: async (message) => {
      asked.push(message);
      return answer;
    },
    select: async () => assert.fail('select must not be called'),
    input: async () => assert.fail('input must not be called'),
  };
}

const instantClock: Clock = { now: () => new Date(), sleep: async () => undefined };
const shortClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.min(ms, 5));
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    }),
};

function fakeContext(options: { canPrompt?: boolean; answer?: boolean; clock?: Clock; signal?: AbortSignal } = {}) {
  const term = fakeTerm(options.canPrompt ?? false);
  const prompter = fakePrompter(options.answer ?? true);
  const ctx = {
    term,
    env: {},
    clock: options.clock ?? instantClock,
    signal: options.signal ?? new AbortController().signal,
    version: 'test',
    prompter,
    debug: () => undefined,
    profiles: undefined,
    secrets: undefined,
    session: async () => assert.fail('session must not be opened'),
  } as unknown as Context;
  return { ctx, term, prompter };
}

function fakeSession(trusted: string[], api?: Partial<PatroniApi>): Session & { apiCalls: number } {
  const session = {
    apiCalls: 0,
    profileName: 'p',
    profile: undefined,
    trustedHosts: trustedHostSet(trusted.map((h) => `https://${h}:8008`)),
    api: async () => {
      session.apiCalls++;
      if (!api) throw new Error('api() must not be called');
      return api as PatroniApi;
    },
    dcs: async () => assert.fail('dcs() must not be called'),
    readCluster: async () => assert.fail('readCluster() must not be called'),
    readConfig: async () => assert.fail('readConfig() must not be called'),
    readHistory: async () => assert.fail('readHistory() must not be called'),
    close: () => undefined,
  };
  return session as unknown as Session & { apiCalls: number };
}

const request = (member: string, extra: Partial<PlannedRequest> = {}): PlannedRequest => ({
  member,
  apiUrl: `https://${member}.example:8008/patroni`,
  method: 'POST',
  path: '/restart',
  ...extra,
});

const plan = (requests: PlannedRequest[] = [request('n1')]): ActionPlan => ({
  action: 'restart',
  cluster: 'demo',
  summary: 'restart n1 in cluster demo',
  requests,
});

const flags = (extra: Partial<{ yes: boolean; dryRun: boolean }> = {}) => ({ yes: false, dryRun: false, format: 'json' as const, ...extra });

const result = (exitCode: ExitCodeValue, outcome: RequestResult['outcome'] = 'ok'): RequestResult => ({
  member: 'm',
  method: 'POST',
  path: '/x',
  status: 200,
  outcome,
  message: '',
  exitCode,
});

// ---------------------------------------------------------------- judgeReply

describe('judgeReply', () => {
  const cases: Array<[number, string, string, number]> = [
    [200, 'Successfully switched over to "n2"', 'ok', 0],
    [202, 'Restart scheduled', 'ok', 0],
    [503, 'Switchover status unknown', 'unknown', 7],
    [503, 'Failover status unknown', 'unknown', 7],
    [503, 'Switchover status unknown after 30 seconds; operation may still be in progress', 'unknown', 7],
    [503, 'Switchover failed', 'refused', 6],
    [503, 'failed to write failover key into DCS', 'refused', 6],
    [409, 'Another restart is already scheduled', 'refused', 6],
    [412, 'candidate name does not match with sync_standby', 'refused', 6],
    [400, 'Switchover could be performed only from a specific leader', 'refused', 6],
    [404, 'no restarts are scheduled', 'refused', 6],
    [422, 'Cannot schedule restart in the past', 'refused', 6],
    [500, "Can't schedule restart in the paused state", 'refused', 6],
    [500, 'restart failed', 'failed', 1],
    [500, '', 'failed', 1],
    [502, 'Bad Gateway', 'failed', 1],
    [302, '', 'failed', 1],
  ];
  for (const [status, body, outcome, exitCode] of cases) {
    test(`${status} ${JSON.stringify(body)} → ${outcome} (${exitCode})`, () => {
      assert.deepEqual(judgeReply(status, body), { outcome, exitCode });
    });
  }

  test('"status unknown" on a non-503 is not treated as unknown', () => {
    assert.equal(judgeReply(500, 'Switchover status unknown').outcome, 'failed');
    assert.equal(judgeReply(400, 'status unknown').outcome, 'refused');
  });

  test('default body', () => {
    assert.deepEqual(judgeReply(503), { outcome: 'refused', exitCode: ExitCode.preconditionRefused });
  });
});

// ---------------------------------------------------------------- confirmPlan

describe('confirmPlan', () => {
  test('no terminal → UsageError exit 2 mentioning --yes and that nothing was sent; no prompt', async () => {
    const { ctx, prompter } = fakeContext({ canPrompt: false });
    await assert.rejects(confirmPlan(ctx, plan(), flags()), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.exitCode, ExitCode.usage);
      const text = `${e.message}; ${e.hint}`;
      assert.match(text, /--yes/u);
      assert.match(text, /nothing was sent/u);
      assert.match(e.message, /restart/u);
      return true;
    });
    assert.equal(prompter.asked.length, 0);
  });

  test('terminal → asks once with the plan summary; yes resolves', async () => {
    const { ctx, prompter } = fakeContext({ canPrompt: true, answer: true });
    await confirmPlan(ctx, plan(), flags());
    assert.equal(prompter.asked.length, 1);
    assert.ok(prompter.asked[0]!.includes('restart n1 in cluster demo'));
  });

  test('answer no → DeclinedError exit 3', async () => {
    const { ctx, prompter } = fakeContext({ canPrompt: true, answer: false });
    await assert.rejects(confirmPlan(ctx, plan(), flags()), (e: unknown) => e instanceof DeclinedError && e.exitCode === 3 && /nothing was sent/u.test(e.message));
    assert.equal(prompter.asked.length, 1);
  });

  test('--yes → no prompt at all, with or without a terminal', async () => {
    for (const canPrompt of [true, false]) {
      const { ctx, prompter } = fakeContext({ canPrompt, answer: false });
      await confirmPlan(ctx, plan(), flags({ yes: true }));
      assert.equal(prompter.asked.length, 0);
    }
  });
});

// ---------------------------------------------------------------- dryRunDocument / resolveOrigins / prepare

describe('dryRunDocument', () => {
  const p = plan([request('n2', { path: '/restart', body: { restart_pending: true } }), request('n1', { method: 'DELETE', path: '/switchover' })]);
  const origins = new Map([
    ['n2', 'https://n2.example:8008'],
    ['n1', 'https://n1.example:8008'],
  ]);

  test('URLs from origins, bodies shown, null when none', () => {
    const doc = dryRunDocument(p, origins);
    assert.deepEqual(doc.data, {
      dryRun: true,
      action: 'restart',
      cluster: 'demo',
      summary: 'restart n1 in cluster demo',
      requests: [
        { member: 'n2', method: 'POST', url: 'https://n2.example:8008/restart', body: { restart_pending: true } },
        { member: 'n1', method: 'DELETE', url: 'https://n1.example:8008/switchover', body: null },
      ],
    });
    assert.deepEqual(doc.table!.rows, [
      ['n2', 'POST', 'https://n2.example:8008/restart', '{"restart_pending":true}'],
      ['n1', 'DELETE', 'https://n1.example:8008/switchover', ''],
    ]);
  });

  test('pretty output says nothing is sent and lists each request', () => {
    const text = dryRunDocument(p, origins).pretty!();
    assert.match(text, /nothing is sent/u);
    assert.match(text, /POST https:\/\/n2\.example:8008\/restart \{"restart_pending":true\}/u);
    assert.match(text, /DELETE https:\/\/n1\.example:8008\/switchover\n/u);
  });

  test('a member without an origin is shown as untrusted, never with its api_url', () => {
    const doc = dryRunDocument(plan([request('n9')]), new Map());
    assert.equal((doc.data as { requests: Array<{ url: string }> }).requests[0]!.url, '(untrusted)/restart');
  });
});

describe('resolveOrigins', () => {
  test('origins of trusted members, paths stripped', () => {
    const session = fakeSession(['n1.example', 'n2.example']);
    const origins = resolveOrigins(session, [request('n1'), request('n2')]);
    assert.deepEqual([...origins], [
      ['n1', 'https://n1.example:8008'],
      ['n2', 'https://n2.example:8008'],
    ]);
    assert.equal(session.apiCalls, 0);
  });

  test('an untrusted api_url in any request throws before anything (api never touched)', () => {
    for (const bad of [
      request('n3', { apiUrl: 'https://evil.example:8008/patroni' }),
      request('n3', { apiUrl: 'http://n3.example:8008/patroni' }),
      request('n3', { apiUrl: undefined }),
    ]) {
      const session = fakeSession(['n1.example', 'n2.example', 'n3.example']);
      assert.throws(() => resolveOrigins(session, [request('n1'), request('n2'), bad]), TlsOrAuthError);
      assert.equal(session.apiCalls, 0);
    }
  });
});

describe('prepare', () => {
  test('dry run prints the document, returns null, never prompts', async () => {
    const { ctx, term, prompter } = fakeContext({ canPrompt: true });
    const session = fakeSession(['n1.example']);
    assert.equal(await prepare(ctx, session, plan(), flags({ dryRun: true })), null);
    assert.equal(prompter.asked.length, 0);
    assert.equal(JSON.parse(term.out.join('')).requests[0].url, 'https://n1.example:8008/restart');
  });

  test('an untrusted member fails before the confirmation prompt', async () => {
    const { ctx, prompter } = fakeContext({ canPrompt: true });
    const session = fakeSession(['n1.example']);
    await assert.rejects(prepare(ctx, session, plan([request('n1'), request('n2')]), flags()), TlsOrAuthError);
    assert.equal(prompter.asked.length, 0);
  });

  test('confirmed → trusted origins', async () => {
    const { ctx } = fakeContext({ canPrompt: false });
    const origins = await prepare(ctx, fakeSession(['n1.example']), plan(), flags({ yes: true }));
    assert.deepEqual([...origins!], [['n1', 'https://n1.example:8008']]);
  });
});

// ---------------------------------------------------------------- sendOnce

describe('sendOnce', () => {
  const origins = new Map([['n1', 'https://n1.example:8008']]);
  const replying = (reply: Partial<RawReply> | Error) => {
    const calls: unknown[][] = [];
    const api: Partial<PatroniApi> = {
      send: async (...args: unknown[]) => {
        calls.push(args);
        if (reply instanceof Error) throw reply;
        return { status: 200, body: '', origin: 'https://n1.example:8008', ...reply } as RawReply;
      },
    };
    return { calls, session: fakeSession(['n1.example'], api) };
  };

  test('sends once to the trusted origin and judges the reply', async () => {
    const { calls, session } = replying({ status: 409, body: 'Another restart is already scheduled' });
    const r = await sendOnce(session, origins, request('n1', { body: { schedule: 'x' } }), 1234);
    assert.deepEqual(calls, [['https://n1.example:8008', 'POST', '/restart', { schedule: 'x' }, 1234]]);
    assert.deepEqual(r, { member: 'n1', method: 'POST', path: '/restart', status: 409, outcome: 'refused', message: 'Another restart is already scheduled', exitCode: 6 });
  });

  test('a JSON body (PATCH /config echo) is summarised, not quoted', async () => {
    const { session } = replying({ status: 200, body: '{"pause": true, "ttl": 30}' });
    const r = await sendOnce(session, origins, request('n1', { method: 'PATCH', path: '/config' }), 1000);
    assert.equal(r.message, 'HTTP 200 (the server returned the new configuration)');
    assert.equal(r.outcome, 'ok');
  });

  test('an empty body yields "HTTP <status>"', async () => {
    const { session } = replying({ status: 202, body: '   ' });
    assert.equal((await sendOnce(session, origins, request('n1'), 1000)).message, 'HTTP 202');
  });

  test('transport failures become results: unreachable → not-sent, outcome unknown → unknown', async () => {
    const a = await sendOnce(replying(new UnreachableError('connection refused')).session, origins, request('n1'), 1000);
    assert.deepEqual([a.status, a.outcome, a.exitCode, a.message], [null, 'not-sent', 5, 'connection refused']);
    const b = await sendOnce(replying(new OutcomeUnknownError('no answer in time')).session, origins, request('n1'), 1000);
    assert.deepEqual([b.outcome, b.exitCode], ['unknown', 7]);
  });

  test('a non-patrol error is rethrown', async () => {
    await assert.rejects(sendOnce(replying(new TypeError('boom')).session, origins, request('n1'), 1000), TypeError);
  });
});

// ---------------------------------------------------------------- boundedParallel / worstExitCode / outcomeFromResults

describe('boundedParallel', () => {
  test('never more than limit in flight; results in input order', async () => {
    let inFlight = 0;
    let peak = 0;
    const items = [30, 5, 20, 1, 15, 2, 8, 0];
    const results = await boundedParallel(items, 3, async (ms) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, ms));
      inFlight--;
      return ms * 2;
    });
    assert.deepEqual(results, items.map((x) => x * 2));
    assert.equal(peak, 3);
  });

  test('limit 1 runs strictly one after another', async () => {
    const log: string[] = [];
    await boundedParallel(['a', 'b', 'c'], 1, async (x) => {
      log.push(`start ${x}`);
      await new Promise((resolve) => setTimeout(resolve, 1));
      log.push(`end ${x}`);
    });
    assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  test('each item is run exactly once; empty input → []', async () => {
    const seen: number[] = [];
    await boundedParallel([1, 2, 3, 4, 5], 10, async (x) => void seen.push(x));
    assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5]);
    assert.deepEqual(await boundedParallel([], 4, async () => assert.fail('no task for no items')), []);
  });

  test('a task failure rejects the whole run', async () => {
    await assert.rejects(
      boundedParallel([1, 2], 2, async (x) => {
        if (x === 2) throw new Error('task 2');
        return x;
      }),
      /task 2/u,
    );
  });
});

describe('worstExitCode', () => {
  test('empty → 0; all ok → 0', () => {
    assert.equal(worstExitCode([]), 0);
    assert.equal(worstExitCode([result(0), result(0)]), 0);
  });

  const ladder: ExitCodeValue[] = [7, 4, 5, 6, 1, 2];
  for (let i = 0; i < ladder.length; i++) {
    const code = ladder[i]!;
    const lower = ladder.slice(i + 1);
    test(`${code} beats ${lower.length ? lower.join(', ') : 'success'}`, () => {
      assert.equal(worstExitCode([result(0), ...lower.map((c) => result(c)), result(code), result(0)]), code);
      assert.equal(worstExitCode([result(code), ...lower.map((c) => result(c))]), code);
    });
  }

  test('an interrupted or declined result is never reported as success', () => {
    assert.notEqual(worstExitCode([result(ExitCode.interrupted)]), 0);
    assert.notEqual(worstExitCode([result(0), result(ExitCode.declined)]), 0);
  });
});

describe('outcomeFromResults', () => {
  test('unknown > refused > failed > accepted', () => {
    assert.equal(outcomeFromResults([]), 'accepted');
    assert.equal(outcomeFromResults([result(0, 'ok'), result(0, 'ok')]), 'accepted');
    assert.equal(outcomeFromResults([result(0, 'ok'), result(5, 'not-sent')]), 'failed');
    assert.equal(outcomeFromResults([result(1, 'failed'), result(0, 'ok')]), 'failed');
    assert.equal(outcomeFromResults([result(5, 'not-sent'), result(6, 'refused')]), 'refused');
    assert.equal(outcomeFromResults([result(6, 'refused'), result(7, 'unknown'), result(1, 'failed')]), 'unknown');
  });
});

// ---------------------------------------------------------------- waitFor

describe('waitFor', () => {
  test('returns the first defined probe result', async () => {
    const { ctx } = fakeContext();
    let calls = 0;
    const value = await waitFor(ctx, { what: 'x', timeoutMs: 60_000, intervalMs: 1 }, async () => (++calls === 3 ? 'done' : undefined));
    assert.equal(value, 'done');
    assert.equal(calls, 3);
  });

  test('falsy but defined results count (0, false, "")', async () => {
    for (const v of [0, false, '']) {
      const { ctx } = fakeContext();
      assert.equal(await waitFor(ctx, { what: 'x', timeoutMs: 60_000, intervalMs: 1 }, async () => v), v);
    }
  });

  test('retries after thrown errors', async () => {
    const { ctx } = fakeContext();
    let calls = 0;
    const value = await waitFor(ctx, { what: 'x', timeoutMs: 60_000, intervalMs: 1 }, async () => {
      calls++;
      if (calls < 4) throw new Error(`transient ${calls}`);
      return 42;
    });
    assert.equal(value, 42);
    assert.equal(calls, 4);
  });

  test('deadline → OutcomeUnknownError (exit 7) naming the last error', async () => {
    const { ctx, term } = fakeContext({ clock: shortClock });
    let calls = 0;
    const started = Date.now();
    await assert.rejects(
      waitFor(ctx, { what: 'the new leader', timeoutMs: 50, intervalMs: 10 }, async () => {
        calls++;
        throw new Error(`read failed #${calls}`);
      }),
      (e: unknown) => {
        assert.ok(e instanceof OutcomeUnknownError);
        assert.equal(e.exitCode, ExitCode.outcomeUnknown);
        assert.match(e.message, /^the new leader: not confirmed within/u);
        assert.match(e.message, new RegExp(`last error: read failed #${calls}\\)`, 'u'));
        return true;
      },
    );
    assert.ok(calls >= 2, `probe retried (${calls} calls)`);
    assert.ok(Date.now() - started < 2000);
    assert.deepEqual(term.notes, [], 'no progress notes without a terminal');
  });

  test('deadline after a clean "not yet" does not mention an old error', async () => {
    const { ctx } = fakeContext({ clock: shortClock });
    let calls = 0;
    await assert.rejects(
      waitFor(ctx, { what: 'x', timeoutMs: 50, intervalMs: 10 }, async () => {
        if (++calls === 1) throw new Error('early failure');
        return undefined;
      }),
      (e: unknown) => e instanceof OutcomeUnknownError && !/last error/u.test(e.message),
    );
  });

  test('on a terminal, progress goes to notes and ends with a newline', async () => {
    const { ctx, term } = fakeContext({ canPrompt: true });
    let calls = 0;
    await waitFor(ctx, { what: 'leader', timeoutMs: 60_000, intervalMs: 1 }, async () => (++calls === 3 ? true : undefined));
    assert.deepEqual(term.notes, ['waiting for leader ', '.', '\n']);
  });

  test('an aborted signal → InterruptedError, probe never called', async () => {
    const controller = new AbortController();
    controller.abort();
    const { ctx } = fakeContext({ signal: controller.signal });
    let calls = 0;
    await assert.rejects(
      waitFor(ctx, { what: 'x', timeoutMs: 60_000, intervalMs: 1 }, async () => {
        calls++;
        return undefined;
      }),
      (e: unknown) => e instanceof InterruptedError && e.exitCode === 130,
    );
    assert.equal(calls, 0);
  });

  test('aborting while waiting → InterruptedError, not a timeout', async () => {
    const controller = new AbortController();
    const { ctx } = fakeContext({ signal: controller.signal, clock: shortClock });
    let calls = 0;
    await assert.rejects(
      waitFor(ctx, { what: 'x', timeoutMs: 60_000, intervalMs: 10 }, async () => {
        if (++calls === 2) controller.abort();
        return undefined;
      }),
      InterruptedError,
    );
    assert.equal(calls, 2);
  });
});
