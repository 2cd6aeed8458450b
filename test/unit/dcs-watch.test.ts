import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DcsSnapshot } from '../../src/cluster/from-dcs.js';
import type { Context } from '../../src/context.js';
import { followClusterFromDcs, type WatchableReader } from '../../src/commands/list-follow.js';
import type { PrefixWatch } from '../../src/dcs/etcd3.js';
import { applyWatchEvents, LineSplitter, parseWatchMessage, type WatchMessage, WatchMessageTooLarge } from '../../src/dcs/watch-stream.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const PREFIX = '/service/demo/';

/** One gateway line as etcd's JSON gateway writes it (a PUT has no "type": zero values are omitted). */
function gatewayLine(revision: number, events: Array<{ type?: 'DELETE'; key: string; value?: string }>): string {
  return JSON.stringify({
    result: {
      header: { cluster_id: '1', revision: String(revision) },
      events: events.map((e) => ({ ...(e.type ? { type: e.type } : {}), kv: { key: b64(e.key), ...(e.value !== undefined ? { value: b64(e.value) } : {}), mod_revision: String(revision) } })),
    },
  });
}

describe('parseWatchMessage', () => {
  test('decodes PUT (type omitted) and DELETE events with base64 keys and values', () => {
    const message = parseWatchMessage(gatewayLine(42, [{ key: `${PREFIX}leader`, value: 'pg1' }, { type: 'DELETE', key: `${PREFIX}failover` }]));
    assert.deepEqual(message, {
      created: false,
      canceled: false,
      revision: 42,
      events: [
        { type: 'PUT', key: `${PREFIX}leader`, value: 'pg1', modRevision: 42 },
        { type: 'DELETE', key: `${PREFIX}failover`, value: '', modRevision: 42 },
      ],
    });
  });

  test('the creation message, a compaction cancel and a gateway error', () => {
    assert.equal(parseWatchMessage(JSON.stringify({ result: { header: { revision: '7' }, created: true } }))?.created, true);
    const compacted = parseWatchMessage(JSON.stringify({ result: { header: { revision: '9' }, canceled: true, compact_revision: '5' } }));
    assert.equal(compacted?.canceled, true);
    assert.equal(compacted?.compactRevision, 5);
    const failed = parseWatchMessage(JSON.stringify({ error: { grpc_code: 16, http_code: 401, message: 'etcdserver: invalid auth token' } }));
    assert.equal(failed?.canceled, true);
    assert.equal(failed?.error, 'etcdserver: invalid auth token');
  });

  test('not JSON, or JSON without a result, is refused', () => {
    assert.equal(parseWatchMessage('{"result":'), undefined);
    assert.equal(parseWatchMessage('[1,2]'), undefined);
    assert.equal(parseWatchMessage('{"something":"else"}'), undefined);
  });
});

describe('LineSplitter', () => {
  const text = `${gatewayLine(1, [{ key: `${PREFIX}members/pg0`, value: '{"name":"é"}' }])}\n${gatewayLine(2, [{ key: `${PREFIX}leader`, value: 'pg0' }])}\n`;
  const whole = Buffer.from(text);

  test('gives the same lines wherever the chunks are cut (even inside a UTF-8 character)', () => {
    const expected = text.trim().split('\n');
    for (let cut = 1; cut < whole.length; cut += 7) {
      const splitter = new LineSplitter();
      const lines = [...splitter.push(whole.subarray(0, cut)), ...splitter.push(whole.subarray(cut))];
      assert.deepEqual(lines, expected, `cut at ${cut}`);
    }
    const byteByByte = new LineSplitter();
    const lines: string[] = [];
    for (const byte of whole) lines.push(...byteByByte.push(Buffer.from([byte])));
    assert.deepEqual(lines, expected);
  });

  test('keeps an unfinished line until its newline arrives; blank lines are skipped', () => {
    const splitter = new LineSplitter();
    assert.deepEqual(splitter.push(Buffer.from('\n\n{"a":')), []);
    assert.deepEqual(splitter.push(Buffer.from('1}\r\n')), ['{"a":1}']);
  });

  test('a line longer than the cap is refused, even when it arrives in small chunks', () => {
    const splitter = new LineSplitter(64);
    assert.deepEqual(splitter.push(Buffer.alloc(40, 0x61)), []);
    assert.throws(() => splitter.push(Buffer.alloc(40, 0x61)), WatchMessageTooLarge);
    const exact = new LineSplitter(4);
    assert.deepEqual(exact.push(Buffer.from('abcd\n')), ['abcd']);
    assert.throws(() => exact.push(Buffer.from('abcde')), WatchMessageTooLarge);
  });
});

describe('applyWatchEvents', () => {
  test('PUT sets, DELETE removes, keys outside the prefix are ignored; reports whether anything changed', () => {
    const snapshot: DcsSnapshot = new Map([['leader', 'pg0'], ['failover', '{}']]);
    const message = parseWatchMessage(
      gatewayLine(10, [{ key: `${PREFIX}leader`, value: 'pg1' }, { type: 'DELETE', key: `${PREFIX}failover` }, { key: '/service/other/leader', value: 'x' }]),
    )!;
    assert.equal(applyWatchEvents(snapshot, PREFIX, message.events), true);
    assert.deepEqual([...snapshot], [['leader', 'pg1']]);
    // The same again changes nothing; deleting an absent key changes nothing.
    assert.equal(applyWatchEvents(snapshot, PREFIX, message.events), false);
    assert.equal(applyWatchEvents(snapshot, PREFIX, [{ type: 'DELETE', key: `${PREFIX}sync`, value: '', modRevision: 11 }]), false);
  });
});

// followClusterFromDcs with a scripted reader: fakes only for the faults (a watch that will not
// open, or breaks) that the real etcd cannot be made to produce on demand.

interface Scripted {
  reader: WatchableReader;
  reads: number;
  watchAttempts: number;
  opened: Array<{ startRevision: number; send: (m: WatchMessage) => void; breakIt: () => void; closed: boolean }>;
}

function scriptedReader(options: { watchFails?: boolean }): Scripted {
  let revision = 100;
  const state: Scripted = {
    reads: 0,
    watchAttempts: 0,
    opened: [],
    reader: {
      readCluster: () => Promise.reject(new Error('not used')),
      readKey: () => Promise.reject(new Error('not used')),
      compareAndPut: () => Promise.reject(new Error('not used')),
      readClusterAt: async () => {
        state.reads++;
        return { snapshot: new Map([['config', JSON.stringify({ pause: false })]]), revision: ++revision };
      },
      watchPrefix: async (_prefix, startRevision, onMessage): Promise<PrefixWatch> => {
        state.watchAttempts++;
        if (options.watchFails) throw new Error('watch refused');
        let breakIt: () => void = () => undefined;
        const entry = { startRevision, send: onMessage, breakIt: () => breakIt(), closed: false };
        const done = new Promise<void>((resolve, reject) => (breakIt = () => reject(new Error('connection lost'))));
        state.opened.push(entry);
        return { done, close: () => (entry.closed = true) };
      },
    },
  };
  return state;
}

/** Runs the follow loop; `onTick(n)` runs during the n-th sleep (n from 1); aborts after `ticks`. */
async function follow(scripted: Scripted, ticks: number, onTick: (n: number, clock: { advance(ms: number): void }) => void | Promise<void>): Promise<string[]> {
  const controller = new AbortController();
  const frames: string[] = [];
  let now = 0;
  const clock = { advance: (ms: number) => (now += ms) };
  let tick = 0;
  const ctx = {
    term: { write: (text: string) => frames.push(text), stdoutIsTTY: false },
    clock: {
      now: () => new Date(now),
      sleep: async () => {
        tick++;
        now += 1000;
        await onTick(tick, clock);
        await new Promise((r) => setImmediate(r));
        if (tick >= ticks) controller.abort();
      },
    },
    signal: controller.signal,
    debug: () => undefined,
  } as unknown as Context;
  await followClusterFromDcs(ctx, scripted.reader, { namespace: '/service', scope: 'demo' }, 1, (cluster) => (cluster.paused ? 'paused\n' : 'running\n'));
  return frames;
}

const pauseEvent = (paused: boolean): WatchMessage => ({
  created: false,
  canceled: false,
  events: [{ type: 'PUT', key: `${PREFIX}config`, value: JSON.stringify({ pause: paused }), modRevision: 0 }],
});

describe('followClusterFromDcs', () => {
  test('reads once, then draws every interval from the watched snapshot; Ctrl-C closes the watch', async () => {
    const scripted = scriptedReader({});
    const frames = await follow(scripted, 3, (n) => {
      if (n === 1) scripted.opened[0]!.send(pauseEvent(true));
    });
    assert.deepEqual(frames, ['running\n', 'paused\n', 'paused\n']);
    assert.equal(scripted.reads, 1);
    assert.equal(scripted.opened.length, 1);
    assert.equal(scripted.opened[0]!.startRevision, 102, 'starts right after the revision that was read');
    assert.equal(scripted.opened[0]!.closed, true);
  });

  test('a broken watch: the next tick reads again and re-opens from the new revision', async () => {
    const scripted = scriptedReader({});
    await follow(scripted, 3, (n) => {
      if (n === 1) scripted.opened[0]!.breakIt();
    });
    assert.equal(scripted.reads, 2);
    assert.deepEqual(scripted.opened.map((w) => w.startRevision), [102, 103]);
    assert.equal(scripted.opened[0]!.closed, true);
  });

  test('a watch cancelled by etcd (compaction) is replaced the same way', async () => {
    const scripted = scriptedReader({});
    await follow(scripted, 2, (n) => {
      if (n === 1) scripted.opened[0]!.send({ created: false, canceled: true, compactRevision: 50, events: [] });
    });
    assert.equal(scripted.reads, 2);
    assert.equal(scripted.opened.length, 2);
  });

  test('a watch that cannot be opened: polls every interval and retries the watch only after a while', async () => {
    const scripted = scriptedReader({ watchFails: true });
    const frames = await follow(scripted, 4, (n, clock) => {
      if (n === 3) clock.advance(60_000);
    });
    assert.equal(frames.length, 4);
    assert.equal(scripted.reads, 4, 'every tick reads, as polling does');
    assert.equal(scripted.watchAttempts, 2, 'once at the start, once more after the retry delay');
  });
});
