// Cluster actions against fake Patroni REST servers that answer what a real one rarely does on
// demand: "status unknown", a refusal, silence, or a member record pointing at an untrusted host.
// Each fake records every request it receives, so "sent exactly once", "no credentials on reads"
// and "nothing sent to an untrusted endpoint" are measured, not assumed. No real cluster here.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generatePki, type PkiPaths } from '../fixtures/pki.js';
import { type PatrolRun, runPatrol, tempConfigDir } from '../support/run-patrol.js';

let pki: PkiPaths;
const PASSWORD = 'fake-admin-pass-42';
const BASIC = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;

interface Recorded {
  method: string;
  path: string;
  authorization: string | undefined;
}

interface FakePatroni {
  origin: string;
  port: number;
  requests: Recorded[];
  connections: number;
  close(): Promise<void>;
}

const open: FakePatroni[] = [];

/** Status to answer POST /switchover with, or 'hang' to accept it and never answer. */
type PostBehaviour = { status: number; body: string } | 'hang';

/**
 * A fake Patroni: GET /cluster lists pg0 (leader), pg1, pg2 (running replicas) whose api_urls
 * point at `memberHost` on this server's port; POST /switchover answers per `post`.
 */
async function fakePatroni(post: PostBehaviour, options: { host?: string; memberHost?: string; memberPort?: () => number } = {}): Promise<FakePatroni> {
  const host = options.host ?? '127.0.0.1';
  const fake: FakePatroni = { origin: '', port: 0, requests: [], connections: 0, close: async () => undefined };
  const apiUrl = () => `https://${options.memberHost ?? host}:${options.memberPort?.() ?? fake.port}/patroni`;
  const member = (name: string, role: string, i: number) => ({
    name, role, state: 'running', api_url: apiUrl(), host: '127.0.0.1', port: 5432 + i, timeline: 1, ...(role === 'replica' ? { lag: 0 } : {}),
  });
  const server: Server = createServer({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) }, (req: IncomingMessage, res: ServerResponse) => {
    fake.requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
    req.resume();
    if (req.method === 'GET' && req.url === '/cluster') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ members: [member('pg0', 'leader', 0), member('pg1', 'replica', 1), member('pg2', 'replica', 2)] }));
      return;
    }
    if (req.method === 'POST' && req.url === '/switchover') {
      if (post === 'hang') return; // accepted, never answered
      res.writeHead(post.status, { 'content-type': 'text/plain' });
      res.end(post.body);
      return;
    }
    res.writeHead(404);
    res.end('not found');
  });
  server.on('connection', () => fake.connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  fake.port = (server.address() as { port: number }).port;
  fake.origin = `https://${host}:${fake.port}`;
  let closed = false;
  fake.close = () =>
    closed
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          closed = true;
          server.closeAllConnections();
          server.close(() => resolve());
        });
  open.push(fake);
  return fake;
}

/** A REST-only profile (no DCS) on the fake, with a REST user whose password comes from the env. */
async function profileFor(fake: FakePatroni): Promise<string> {
  const dir = tempConfigDir();
  const add = await runPatrol(
    ['profile', 'add', 'fake', '--use', '--cluster', 'fake', '--rest-url', fake.origin, '--cacert', pki.ca,
      '--cert', pki.restClientCert, '--key', pki.restClientKey, '--username', 'admin'],
    { configDir: dir },
  );
  assert.equal(add.code, 0, add.stderr);
  return dir;
}

async function switchover(fake: FakePatroni, extra: string[] = [], timeoutMs = 60_000): Promise<PatrolRun> {
  const dir = await profileFor(fake);
  return runPatrol(['switchover', '--candidate', 'pg1', '--yes', '-f', 'json', '--wait-timeout', '3', ...extra], {
    configDir: dir,
    env: { PATROL_REST_PASSWORD: PASSWORD },
    timeoutMs,
  });
}

const posts = (fake: FakePatroni) => fake.requests.filter((r) => r.method !== 'GET');

before(async () => {
  pki = await generatePki(mkdtempSync(path.join(tmpdir(), 'patrol-pki-')));
});

after(async () => {
  await Promise.all(open.map((f) => f.close()));
});

describe('switchover against a fake Patroni', () => {
  test('503 "Switchover status unknown" → exit 7 (outcome unknown), one POST', async () => {
    const fake = await fakePatroni({ status: 503, body: 'Switchover status unknown' });
    try {
      const result = await switchover(fake);
      assert.equal(result.code, 7, result.stderr);
      const report = JSON.parse(result.stdout) as { outcome: string; requests: Array<{ status: number; outcome: string }> };
      assert.equal(report.outcome, 'unknown');
      assert.equal(report.requests[0]!.status, 503);
      assert.equal(posts(fake).length, 1);
      assert.equal(posts(fake)[0]!.path, '/switchover');
    } finally {
      await fake.close();
    }
  });

  test('412 "no good candidates" → exit 6 with the server text, one POST; GETs carry no credentials, the POST does', async () => {
    const text = 'switchover is not possible: no good candidates have been found';
    const fake = await fakePatroni({ status: 412, body: text });
    try {
      const result = await switchover(fake);
      assert.equal(result.code, 6, result.stderr);
      assert.ok((result.stdout + result.stderr).includes(text), `server text missing: ${result.stdout}${result.stderr}`);
      assert.equal(JSON.parse(result.stdout).outcome, 'refused');
      assert.equal(posts(fake).length, 1);
      const gets = fake.requests.filter((r) => r.method === 'GET');
      assert.ok(gets.length >= 1, 'patrol read the cluster first');
      for (const get of gets) assert.equal(get.authorization, undefined, `GET ${get.path} must not carry credentials`);
      assert.equal(posts(fake)[0]!.authorization, BASIC);
    } finally {
      await fake.close();
    }
  });

  // The response timeout of an action has a 60 s floor (blockingResponseTimeoutMs: Patroni holds a
  // switchover request while it polls for the result), so this test takes about a minute.
  test('a POST that is accepted and never answered → exit 7 "outcome unknown", sent once, never retried', async () => {
    const fake = await fakePatroni('hang');
    try {
      const started = Date.now();
      const result = await switchover(fake, ['--timeout', '2'], 120_000);
      assert.equal(result.code, 7, `${result.stderr} ${result.stdout}`);
      assert.match(result.stdout + result.stderr, /outcome unknown|"outcome": ?"unknown"/);
      assert.equal(posts(fake).length, 1);
      assert.ok(Date.now() - started < 100_000);
    } finally {
      await fake.close();
    }
  });

  test('a member api_url on an untrusted host → exit 4, nothing POSTed anywhere', async () => {
    // The decoy holds a certificate the profile CA signed, on a loopback address the profile
    // does not trust; the seed's /cluster points every member at it.
    const decoy = await fakePatroni({ status: 200, body: 'ok' }, { host: '127.0.0.2' });
    const fake = await fakePatroni({ status: 200, body: 'ok' }, { memberHost: '127.0.0.2', memberPort: () => decoy.port });
    try {
      const dir = await profileFor(fake);
      const result = await runPatrol(['switchover', '--yes', '--wait-timeout', '3'], { configDir: dir, env: { PATROL_REST_PASSWORD: PASSWORD } });
      assert.equal(result.code, 4, result.stderr);
      assert.match(result.stderr, /127\.0\.0\.2 is not trusted/);
      assert.equal(posts(fake).length, 0);
      assert.equal(decoy.connections, 0, 'the untrusted host was contacted');
    } finally {
      await fake.close();
      await decoy.close();
    }
  });
});
