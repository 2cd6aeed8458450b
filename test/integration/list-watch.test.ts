// `patrol list -w N` in DCS mode follows the cluster with an etcd watch: against the real cluster,
// a change made meanwhile (pause) shows up in the watch output, the cluster prefix is read once
// instead of every interval, and Ctrl-C ends it with exit 0.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ClusterHandle, startCluster } from '../fixtures/cluster.js';
import { clusterProfile } from '../support/cluster-profile.js';
import { spawnPatrol } from '../support/patrol-process.js';
import { runPatrol } from '../support/run-patrol.js';

let cluster: ClusterHandle;
let configDir: string;
let env: Record<string, string>;

/** Every complete JSON frame printed so far (each frame is one JSON document). */
function frames(stdout: string): Array<{ paused?: boolean; members: unknown[] }> {
  const docs: Array<{ paused?: boolean; members: unknown[] }> = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < stdout.length; i++) {
    const c = stdout[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) docs.push(JSON.parse(stdout.slice(start, i + 1)) as { paused?: boolean; members: unknown[] });
  }
  return docs;
}

before(async () => {
  cluster = await startCluster({ scope: 'patrol-watch', removeOnStop: true });
  const made = await clusterProfile(cluster);
  ({ configDir, env } = made);
  assert.equal(made.add.code, 0, made.add.stderr);
});

after(async () => {
  await cluster?.stop();
});

describe('list -w in DCS mode', () => {
  test('shows a pause made meanwhile, reads the prefix once, and exits 0 on Ctrl-C', async () => {
    const watch = spawnPatrol(['list', '-w', '1', '-f', 'json', '--source', 'dcs', '--debug'], { configDir, env });
    try {
      await watch.waitForStdout((out) => frames(out).length >= 1);
      assert.equal(frames(watch.stdout())[0]!.paused ?? false, false, 'the cluster starts unpaused');
      assert.equal(frames(watch.stdout())[0]!.members.length, cluster.members.length);

      const pause = await runPatrol(['pause', '--yes'], { configDir, env });
      assert.equal(pause.code, 0, pause.stderr);
      await watch.waitForStdout((out) => frames(out).some((f) => f.paused === true));
      // A few more ticks, all served from the watch.
      const seen = frames(watch.stdout()).length;
      await watch.waitForStdout((out) => frames(out).length >= seen + 2);
    } finally {
      const code = await watch.interrupt();
      assert.equal(code, 0, watch.stderr());
    }
    const stderr = watch.stderr();
    assert.match(stderr, /\/v3\/watch -> 200 \(stream\)/u, 'the watch was opened');
    const rangeReads = stderr.split('\n').filter((line) => /\/v3\/kv\/range -> /u.test(line)).length;
    assert.equal(rangeReads, 1, `one read of the cluster prefix, then events only; stderr:\n${stderr}`);
    assert.ok(frames(watch.stdout()).length >= 4, 'a frame every interval');

    const resume = await runPatrol(['resume', '--yes'], { configDir, env });
    assert.equal(resume.code, 0, resume.stderr);
  });

  test('REST mode keeps polling and also exits 0 on Ctrl-C', async () => {
    const watch = spawnPatrol(['list', '-w', '1', '-f', 'json', '--source', 'rest', '--debug'], { configDir, env });
    try {
      await watch.waitForStdout((out) => frames(out).length >= 2);
    } finally {
      assert.equal(await watch.interrupt(), 0, watch.stderr());
    }
    assert.doesNotMatch(watch.stderr(), /\/v3\/watch/u);
  });
});
