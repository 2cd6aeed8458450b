// The --via-dcs last resort: only when every member is unreachable, never around a TLS or auth
// failure, and a compare-and-swap write that never overwrites a concurrent change.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { requireRestUnreachable, writeFailoverKey } from '../../src/actions/via-dcs.js';
import type { Cluster } from '../../src/cluster/model.js';
import type { ActionPlan } from '../../src/cluster/plan.js';
import type { Context, Session } from '../../src/context.js';
import type { DcsReader } from '../../src/dcs/etcd3.js';
import { PreconditionError, TlsOrAuthError, UnreachableError, UsageError } from '../../src/errors.js';

const cluster: Cluster = {
  scope: 'main',
  leader: 'a',
  paused: false,
  source: 'dcs',
  members: ['a', 'b'].map((name, i) => ({
    name,
    role: i === 0 ? ('leader' as const) : ('replica' as const),
    state: 'running',
    apiUrl: `https://10.0.0.${i + 1}:8008/patroni`,
    pendingRestart: false,
    tags: {},
  })),
};

const plan: ActionPlan = { action: 'switchover', cluster: 'main', summary: 'switch over', requests: [] };

interface Writes {
  calls: Array<{ key: string; revision: number; value: string }>;
}

function fakeSession(getJson: (origin: string) => Promise<unknown>, dcs?: Partial<DcsReader>, writes: Writes = { calls: [] }): Session {
  const reader: DcsReader = {
    readCluster: async () => new Map(),
    readKey: async () => ({ value: undefined, modRevision: 0 }),
    compareAndPut: async (key, revision, value) => {
      writes.calls.push({ key, revision, value });
      return true;
    },
    ...dcs,
  } as DcsReader;
  return {
    profileName: 'p',
    profile: { cluster: 'main', namespace: '/service', rest: { urls: ['https://10.0.0.1:8008'] } },
    trustedHosts: new Set(['10.0.0.1', '10.0.0.2']),
    api: async () => ({ getJson: async (origin: string) => getJson(origin) }) as never,
    dcs: async () => reader,
  } as unknown as Session;
}

function fakeContext(canPrompt: boolean, answer = true): Context & { prompts: string[]; out: string[] } {
  const prompts: string[] = [];
  const out: string[] = [];
  return {
    prompts,
    out,
    term: { write: (t: string) => out.push(t), note: () => undefined, stdoutIsTTY: false, canPrompt },
    prompter: {
      confirm: async (m: string) => {
        prompts.push(m);
        return answer;
      },
    },
  } as unknown as Context & { prompts: string[]; out: string[] };
}

const flags = (over: Partial<{ yes: boolean; dryRun: boolean }> = {}) => ({ yes: false, dryRun: false, format: 'json' as const, ...over });

describe('requireRestUnreachable', () => {
  test('passes only when every member is unreachable', async () => {
    await requireRestUnreachable(fakeSession(async () => { throw new UnreachableError('down'); }), cluster);
  });

  test('a member that answers makes --via-dcs a usage error', async () => {
    const session = fakeSession(async (origin) => {
      if (origin.includes('10.0.0.2')) return {};
      throw new UnreachableError('down');
    });
    await assert.rejects(requireRestUnreachable(session, cluster), (e: unknown) => e instanceof UsageError && /answers on its REST API/.test(e.message));
  });

  test('a TLS or auth failure is never bypassed', async () => {
    const session = fakeSession(async () => { throw new TlsOrAuthError('TLS failure with x'); });
    await assert.rejects(requireRestUnreachable(session, cluster), (e: unknown) => e instanceof TlsOrAuthError && /never bypassed/.test(e.message));
  });
});

describe('writeFailoverKey', () => {
  const value = { leader: 'a', member: 'b' };

  test('compare-and-swap on the key revision read just before, at /<namespace>/<scope>/failover', async () => {
    const writes: Writes = { calls: [] };
    const session = fakeSession(async () => ({}), { readKey: async () => ({ value: '{}', modRevision: 41 }) }, writes);
    assert.equal(await writeFailoverKey(fakeContext(false), session, plan, value, flags({ yes: true })), true);
    assert.deepEqual(writes.calls, [{ key: '/service/main/failover', revision: 41, value: JSON.stringify(value) }]);
  });

  test('a concurrent change (CAS fails) is a refusal, not an overwrite', async () => {
    const session = fakeSession(async () => ({}), { compareAndPut: async () => false });
    await assert.rejects(writeFailoverKey(fakeContext(false), session, plan, value, flags({ yes: true })), PreconditionError);
  });

  test('a pending failover in the DCS is never replaced', async () => {
    const writes: Writes = { calls: [] };
    const session = fakeSession(async () => ({}), { readKey: async () => ({ value: '{"leader":"a","member":"c"}', modRevision: 7 }) }, writes);
    await assert.rejects(writeFailoverKey(fakeContext(false), session, plan, value, flags({ yes: true })), (e: unknown) => e instanceof PreconditionError && /already pending/.test(e.message));
    assert.equal(writes.calls.length, 0);
  });

  test('no terminal and no --yes: refused, nothing written; dry-run writes nothing', async () => {
    const writes: Writes = { calls: [] };
    const session = fakeSession(async () => ({}), {}, writes);
    await assert.rejects(writeFailoverKey(fakeContext(false), session, plan, value, flags()), UsageError);
    const ctx = fakeContext(false);
    assert.equal(await writeFailoverKey(ctx, session, plan, value, flags({ dryRun: true })), false);
    assert.match(ctx.out.join(''), /"viaDcs": true/);
    assert.equal(writes.calls.length, 0);
  });

  test('on a terminal its own confirmation is asked, and "no" writes nothing', async () => {
    const writes: Writes = { calls: [] };
    const ctx = fakeContext(true, false);
    await assert.rejects(writeFailoverKey(ctx, fakeSession(async () => ({}), {}, writes), plan, value, flags()), PreconditionError);
    assert.equal(ctx.prompts.length, 1);
    assert.match(ctx.prompts[0]!, /No member's REST API answers/);
    assert.equal(writes.calls.length, 0);
  });
});
