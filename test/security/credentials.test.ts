// Credentials in transit: a hostile or compromised server tries to make patrol carry the
// operator's credentials (or the request itself) somewhere else — by redirecting, by publishing a
// member api_url that is plain http or on a host the profile does not trust, or by answering 401
// in the hope of a retry. Every "other" listener here counts connections: it must see none.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generatePki, type PkiPaths } from '../fixtures/pki.js';
import { clusterJson, closeAllListeners, errorLines, hostileTlsServer, type Listener, plainHttpServer, restProfileDir, tempStateDir } from '../support/hostile-server.js';
import { type PatrolRun, runPatrol } from '../support/run-patrol.js';

let pki: PkiPaths;
const PASSWORD = 'transit-sentinel-8c1f';

before(async () => {
  pki = await generatePki(mkdtempSync(path.join(tmpdir(), 'patrol-pki-')));
});
after(closeAllListeners);

interface FakeOptions {
  /** api_url each member publishes (default: this server). */
  apiUrl?: (self: Listener) => string;
  members?: number;
  onGetCluster?: (res: ServerResponse, self: Listener) => boolean;
  onPost?: (res: ServerResponse, url: string) => void;
}

async function fakePatroni(options: FakeOptions = {}): Promise<Listener> {
  let self: Listener | undefined;
  self = await hostileTlsServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
    if (req.method === 'GET' && req.url === '/cluster') {
      if (options.onGetCluster?.(res, self!)) return;
      const apiUrl = options.apiUrl?.(self!) ?? `${self!.origin}/patroni`;
      const names = ['pg0', 'pg1', 'pg2'].slice(0, options.members ?? 2);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(clusterJson(names.map((name) => ({ name, apiUrl }))));
      return;
    }
    if (req.method !== 'GET' && options.onPost) return options.onPost(res, req.url ?? '');
    res.writeHead(404);
    res.end('not found');
  });
  return self;
}

const profile = (server: Listener): string =>
  restProfileDir({ url: server.origin, cacert: pki.ca, cert: pki.restClientCert, key: pki.restClientKey, username: 'admin' });

const patrol = (server: Listener, args: string[]): Promise<PatrolRun> =>
  runPatrol(args, { configDir: profile(server), env: { PATROL_REST_PASSWORD: PASSWORD, PATROL_STATE_DIR: tempStateDir() } });

/** The other side of a redirect: plain http on the same host, or https on another origin. */
async function redirectTargets(): Promise<Array<{ kind: string; listener: Listener }>> {
  const http = await plainHttpServer();
  const https = await hostileTlsServer({ cert: pki.serverCert, key: pki.serverKey }, (_req, res) => res.end('{}'));
  return [
    { kind: 'http on the same host', listener: http },
    { kind: 'another https origin', listener: https },
  ];
}

const REDIRECTS = [301, 302, 303, 307, 308];

describe('redirects are never followed', () => {
  test('on reads: every redirect status, to http or to another origin → exit 1 "does not follow redirects", the target sees nothing', async () => {
    for (const target of await redirectTargets()) {
      for (const status of REDIRECTS) {
        const server = await fakePatroni({
          onGetCluster: (res) => {
            res.writeHead(status, { location: `${target.listener.origin}/cluster` });
            res.end();
            return true;
          },
        });
        const run = await patrol(server, ['list']);
        assert.equal(run.code, 1, `${status} to ${target.kind}: ${run.stderr}`);
        assert.match(errorLines(run).join('\n'), /redirect \(HTTP \d{3}\); patrol does not follow redirects/u);
        assert.equal(server.requests.length, 1, 'asked once, never again');
        assert.equal(target.listener.connections, 0, `${status}: the redirect target (${target.kind}) must not be contacted`);
      }
    }
  });

  test('on a state-changing request: a 307/308 carrying the body and the password elsewhere is not followed; sent exactly once', async () => {
    for (const target of await redirectTargets()) {
      for (const status of [307, 308]) {
        const server = await fakePatroni({
          onPost: (res) => {
            res.writeHead(status, { location: `${target.listener.origin}/switchover` });
            res.end();
          },
        });
        const run = await patrol(server, ['switchover', '--candidate', 'pg1', '--yes', '--wait-timeout', '2']);
        assert.notEqual(run.code, 0, `${status}: a redirect is not success`);
        const posts = server.requests.filter((r) => r.method === 'POST');
        assert.equal(posts.length, 1, 'the switchover went out exactly once');
        assert.deepEqual(JSON.parse(posts[0]!.body), { leader: 'pg0', candidate: 'pg1' });
        assert.equal(target.listener.connections, 0, `${status} to ${target.kind}: nothing may follow the redirect`);
        assert.ok(!run.stdout.includes(PASSWORD) && !run.stderr.includes(PASSWORD));
      }
    }
  });
});

describe('member endpoints published by the cluster', () => {
  test('an http:// api_url receives nothing, and no credentials go anywhere', async () => {
    const decoy = await plainHttpServer();
    const server = await fakePatroni({ apiUrl: () => `${decoy.origin}/patroni` });
    const run = await patrol(server, ['reload', '--yes']);
    assert.equal(run.code, 4, run.stderr);
    assert.match(errorLines(run).join('\n'), /api_url .* is not https/u);
    assert.equal(decoy.connections, 0);
    assert.deepEqual(server.requests.map((r) => r.method), ['GET'], 'nothing but the read');
    assert.equal(server.requests[0]!.headers['authorization'], undefined);
  });

  test('an https api_url on a host the profile does not trust receives nothing', async () => {
    const decoy = await hostileTlsServer({ cert: pki.serverCert, key: pki.serverKey, host: '127.0.0.1' }, (_req, res) => res.end('{}'));
    // The decoy's certificate is valid for "localhost" too: only the trust rule stops patrol.
    const server = await fakePatroni({ apiUrl: () => `https://localhost:${decoy.port}/patroni` });
    const run = await patrol(server, ['reload', '--yes']);
    assert.equal(run.code, 4, run.stderr);
    assert.match(errorLines(run).join('\n'), /host localhost is not trusted/u);
    assert.equal(decoy.connections, 0);
    assert.ok(server.requests.every((r) => r.method === 'GET'));
  });
});

describe('authentication failures are final', () => {
  test('a 401 on a state-changing request is reported (exit 4) and not retried', async () => {
    const server = await fakePatroni({
      members: 1,
      onPost: (res) => {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="Patroni"' });
        res.end('not authenticated');
      },
    });
    const run = await patrol(server, ['reload', '--yes']);
    assert.equal(run.code, 4, run.stderr);
    const posts = server.requests.filter((r) => r.method === 'POST');
    assert.equal(posts.length, 1, 'one attempt only');
    assert.match(run.stdout + run.stderr, /401/u);
  });

  test('a 401 on a read is not answered with credentials', async () => {
    const server = await fakePatroni({
      onGetCluster: (res) => {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="Patroni"' });
        res.end('not authenticated');
        return true;
      },
    });
    const run = await patrol(server, ['list']);
    assert.equal(run.code, 4, run.stderr);
    assert.equal(server.requests.length, 1, 'no second attempt');
    assert.equal(server.requests[0]!.headers['authorization'], undefined, 'reads never carry the password');
  });
});
