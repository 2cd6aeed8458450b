// Resource limits against hostile servers: oversized and compressed-bomb bodies, a TLS handshake
// that never finishes, a server that stalls after its headers or drips its body, and malformed or
// wrong-shape JSON. Each run must end by itself (the harness would kill it after a generous
// guard; a null exit code means it hung) with one clear line and an exit code — never a crash.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { generatePki, type PkiPaths } from '../fixtures/pki.js';
import { closeAllListeners, errorLines, hostileTlsServer, type Listener, restProfileDir, silentTcpServer } from '../support/hostile-server.js';
import { type PatrolRun, runPatrol } from '../support/run-patrol.js';

let pki: PkiPaths;
/** Kill guard only: far above every bound under test, so reaching it means "hung". */
const HANG_GUARD_MS = 45_000;

before(async () => {
  pki = await generatePki(mkdtempSync(path.join(tmpdir(), 'patrol-pki-')));
});
after(closeAllListeners);

async function serveCluster(respond: (res: ServerResponse) => void): Promise<Listener> {
  return hostileTlsServer({ cert: pki.serverCert, key: pki.serverKey }, (_req, res) => respond(res));
}

function list(server: { origin: string }, extra: string[] = []): Promise<PatrolRun> {
  const configDir = restProfileDir({ url: server.origin, cacert: pki.ca, cert: pki.restClientCert, key: pki.restClientKey });
  return runPatrol(['list', ...extra], { configDir, timeoutMs: HANG_GUARD_MS });
}

function assertCleanEnd(run: PatrolRun, code: number, pattern: RegExp): void {
  assert.notEqual(run.code, null, 'patrol hung and was killed');
  assert.equal(run.code, code, run.stderr);
  const lines = errorLines(run);
  assert.equal(lines.length, 1, `one line expected: ${run.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(run.stderr, /unexpected internal error|\n\s+at /u);
}

describe('oversized bodies are cut off while streaming', () => {
  test('declared by Content-Length', async () => {
    const server = await serveCluster((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024 * 1024) });
      res.write('{"members": [');
    });
    assertCleanEnd(await list(server), 1, /too large/u);
  });

  test('without Content-Length (an endless chunked body)', async () => {
    const server = await serveCluster((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk)) { /* until backpressure */ }
        if (!res.destroyed) res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    assertCleanEnd(await list(server), 1, /too large/u);
  });

  test('a compressed bomb is never inflated (patrol does not ask for, or decode, compression)', async () => {
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024, 0x20)); // 200 MiB of spaces, ~200 KiB compressed
    const server = await serveCluster((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bomb.length) });
      res.end(bomb);
    });
    assertCleanEnd(await list(server), 1, /not JSON/u);
    const encoding = String(server.requests[0]?.headers['accept-encoding'] ?? '');
    assert.doesNotMatch(encoding, /gzip|deflate|br/u, 'patrol must not invite compressed answers');
  });
});

describe('slow servers end within their bounds', () => {
  test('a server that never finishes the TLS handshake → unreachable (5)', async () => {
    const server = await silentTcpServer();
    assertCleanEnd(await list(server), 5, /cannot reach .*timed out during (secureConnect|connect)/u);
    assert.equal(server.connections, 1, 'one attempt, no retries');
  });

  test('a server that stalls after the headers → exit 5 within --timeout', async () => {
    const server = await serveCluster((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.flushHeaders();
    });
    assertCleanEnd(await list(server, ['--timeout', '1']), 5, /did not answer/u);
  });

  test('a server that drips its body a byte at a time → exit 5 within --timeout, not reset by each byte', async () => {
    const server = await serveCluster((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 100);
      res.on('close', () => clearInterval(timer));
    });
    assertCleanEnd(await list(server, ['--timeout', '2']), 5, /did not answer/u);
  });
});

describe('malformed and wrong-shape answers are clear errors, never crashes', () => {
  test('truncated JSON', async () => {
    const server = await serveCluster((res) => res.end('{"members": [{"name": "pg0", '));
    assertCleanEnd(await list(server), 1, /not JSON/u);
  });

  const shapes: Array<[string, string]> = [
    ['an array', '[]'],
    ['null', 'null'],
    ['a string', '"members"'],
    ['members not a list', '{"members": "pg0"}'],
    ['members of every wrong type', '{"members": [null, 5, "pg0", [], {"name": {}}, {"name": "pg1", "role": 7, "state": [], "port": "x", "lag": "lots", "timeline": {}, "tags": [1, 2], "api_url": 42, "scheduled_restart": 5, "pending_restart_reason": "x"}]}'],
    ['deeply nested', `{"members": ${'['.repeat(5000)}${']'.repeat(5000)}}`],
  ];
  for (const [label, body] of shapes) {
    test(label, async () => {
      const server = await serveCluster((res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
      });
      for (const format of ['pretty', 'json']) {
        const run = await list(server, ['-f', format]);
        assert.notEqual(run.code, null, 'hung');
        assert.doesNotMatch(run.stderr, /unexpected internal error|\n\s+at /u, `${label} (${format}): ${run.stderr}`);
        if (run.code === 0) {
          if (format === 'json') JSON.parse(run.stdout);
        } else {
          assert.equal(run.code, 1, run.stderr);
          assert.equal(errorLines(run).length, 1, run.stderr);
        }
      }
    });
  }
});
