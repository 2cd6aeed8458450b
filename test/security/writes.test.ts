// Writes: whatever goes wrong after a state-changing request leaves patrol — an error status, a
// connection cut before or during the answer, an oversized or garbled answer — the server must
// have received it exactly once. A retried switchover or restart is a second, unintended action.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generatePki, type PkiPaths } from '../fixtures/pki.js';
import { clusterJson, closeAllListeners, hostileTlsServer, type Listener, restProfileDir, tempStateDir } from '../support/hostile-server.js';
import { runPatrol } from '../support/run-patrol.js';

let pki: PkiPaths;

before(async () => {
  pki = await generatePki(mkdtempSync(path.join(tmpdir(), 'patrol-pki-')));
});
after(closeAllListeners);

type Failure = (req: IncomingMessage, res: ServerResponse) => void;

const FAILURES: Record<string, { respond: Failure; exitCodes: number[] }> = {
  'HTTP 500': { respond: (_q, res) => { res.writeHead(500); res.end('internal error'); }, exitCodes: [1] },
  'HTTP 503 "status unknown"': { respond: (_q, res) => { res.writeHead(503); res.end('Switchover status unknown'); }, exitCodes: [6, 7] },
  'connection closed with no answer': { respond: (req) => req.socket.destroy(), exitCodes: [7] },
  'connection cut in the middle of the answer': {
    respond: (req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => req.socket.destroy(), 20);
    },
    exitCodes: [7],
  },
  'an oversized answer': {
    respond: (_q, res) => {
      res.writeHead(200, { 'content-length': String(1024 * 1024 * 1024) });
      res.write('x'.repeat(1024));
    },
    exitCodes: [1, 7],
  },
  'garbage instead of HTTP': { respond: (req) => { req.socket.end('SSH-2.0-OpenSSH_9.0\r\n\r\n'); }, exitCodes: [7] },
};

const ACTIONS: Array<{ label: string; args: string[] }> = [
  { label: 'switchover', args: ['switchover', '--candidate', 'pg1', '--yes', '--wait-timeout', '2'] },
  { label: 'restart', args: ['restart', 'pg1', '--yes', '--wait-timeout', '2'] },
  { label: 'reload', args: ['reload', 'pg1', '--yes'] },
  { label: 'reinit', args: ['reinit', 'pg1', '--yes'] },
  { label: 'pause', args: ['pause', '--yes'] },
  { label: 'edit-config', args: ['edit-config', '--set', 'loop_wait=5', '--yes', '-q'] },
];

async function fake(failure: Failure): Promise<Listener> {
  let self: Listener | undefined;
  self = await hostileTlsServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/cluster') res.end(clusterJson([{ name: 'pg0', apiUrl: `${self!.origin}/patroni` }, { name: 'pg1', apiUrl: `${self!.origin}/patroni` }]));
      else if (req.url === '/config') res.end(JSON.stringify({ loop_wait: 10, ttl: 30, retry_timeout: 10 }));
      else res.end(JSON.stringify({ state: 'running', role: 'replica', postmaster_start_time: '2024-01-01 00:00:00+00:00', server_version: 150004, patroni: { version: '3.0.2', scope: 'hostile' } }));
      return;
    }
    failure(req, res);
  });
  return self;
}

describe('every state-changing request is sent exactly once, whatever the failure', () => {
  for (const action of ACTIONS) {
    test(action.label, async () => {
      for (const [label, failure] of Object.entries(FAILURES)) {
        const server = await fake(failure.respond);
        const configDir = restProfileDir({ url: server.origin, cacert: pki.ca, cert: pki.restClientCert, key: pki.restClientKey, username: 'admin' });
        const run = await runPatrol(action.args, { configDir, env: { PATROL_REST_PASSWORD: 'writes-test-pass', PATROL_STATE_DIR: tempStateDir() }, timeoutMs: 45_000 });
        const writes = server.requests.filter((r) => r.method !== 'GET');
        assert.equal(writes.length, 1, `${action.label} / ${label}: ${writes.length} writes received (stderr: ${run.stderr})`);
        assert.ok(failure.exitCodes.includes(run.code ?? -1), `${action.label} / ${label}: exit ${run.code}, expected ${failure.exitCodes.join(' or ')} (${run.stderr.trim()})`);
        await server.close();
      }
    });
  }
});
