// Secrets in output and at rest: a sentinel password (and its base64 and user:password forms)
// must never appear in stdout or stderr — plain, --debug, -f json — for any kind of failure,
// even when a hostile server echoes the credentials it received; nor in any file patrol writes
// (profiles, the audit log), nor in its command line, nor in an $EDITOR it starts, nor in a crash
// report.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeFailure } from '../../src/errors.js';
import { redact, registerSecret } from '../../src/secrets/redact.js';
import { generatePki, type PkiPaths } from '../fixtures/pki.js';
import { clusterJson, closeAllListeners, hostileTlsServer, type Listener, plainHttpServer, restProfileDir, tempStateDir } from '../support/hostile-server.js';
import { PATROL_BIN, type PatrolRun, runPatrol } from '../support/run-patrol.js';

let pki: PkiPaths;
const USER = 'admin';
const SENTINEL = 'Sentinel-Pw-7f3a9c-do-not-print';
const forms = (secret: string): string[] => [secret, Buffer.from(secret).toString('base64'), Buffer.from(`${USER}:${secret}`).toString('base64')];

before(async () => {
  pki = await generatePki(mkdtempSync(path.join(tmpdir(), 'patrol-pki-')));
});
after(closeAllListeners);

function assertNoSecret(text: string, where: string): void {
  for (const form of forms(SENTINEL)) assert.ok(!text.includes(form), `the password (${form === SENTINEL ? 'plain' : 'encoded'}) leaked into ${where}`);
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...filesUnder(file));
    else out.push(file);
  }
  return out;
}

/** A server that answers writes with `respond`, echoing back whatever credentials it got. */
async function echoingServer(respond: (req: IncomingMessage, res: ServerResponse, echo: string) => void): Promise<Listener> {
  let self: Listener | undefined;
  self = await hostileTlsServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(clusterJson([{ name: 'pg0', apiUrl: `${self!.origin}/patroni` }, { name: 'pg1', apiUrl: `${self!.origin}/patroni` }]));
      return;
    }
    const header = String(req.headers.authorization ?? '');
    const decoded = Buffer.from(header.replace(/^Basic /u, ''), 'base64').toString();
    respond(req, res, `you sent ${header} = ${decoded} (password ${decoded.split(':')[1] ?? ''})`);
  });
  return self;
}

const FAILURES: Record<string, (req: IncomingMessage, res: ServerResponse, echo: string) => void> = {
  success: (_q, res, echo) => { res.writeHead(202); res.end(`reload scheduled; ${echo}`); },
  'HTTP 401 echoing the credentials': (_q, res, echo) => { res.writeHead(401); res.end(echo); },
  'HTTP 403 echoing the credentials': (_q, res, echo) => { res.writeHead(403); res.end(echo); },
  'HTTP 500 echoing the credentials': (_q, res, echo) => { res.writeHead(500); res.end(echo); },
  'HTTP 412 echoing the credentials': (_q, res, echo) => { res.writeHead(412); res.end(echo); },
  'a redirect to where the credentials would be harvested': (_q, res, echo) => { res.writeHead(307, { location: `http://127.0.0.1:1/${encodeURIComponent(echo)}` }); res.end(echo); },
  'connection cut (outcome unknown)': (req) => req.socket.destroy(),
  'garbage answer': (req) => req.socket.end(`HTTP/9 ${SENTINEL}\r\n\r\n`),
};

describe('the password never appears in output or files', () => {
  for (const [label, respond] of Object.entries(FAILURES)) {
    test(label, async () => {
      const server = await echoingServer(respond);
      const configDir = restProfileDir({ url: server.origin, cacert: pki.ca, cert: pki.restClientCert, key: pki.restClientKey, username: USER });
      const stateDir = tempStateDir();
      for (const extra of [[], ['--debug'], ['-f', 'json'], ['--debug', '-f', 'json']]) {
        for (const action of [['reload', '--yes'], ['switchover', '--candidate', 'pg1', '--yes', '--wait-timeout', '1']]) {
          const run = await runPatrol([...action, ...extra], { configDir, env: { PATROL_REST_PASSWORD: SENTINEL, PATROL_STATE_DIR: stateDir }, timeoutMs: 45_000 });
          assertNoSecret(run.stdout, `stdout of ${action[0]} ${extra.join(' ')}`);
          assertNoSecret(run.stderr, `stderr of ${action[0]} ${extra.join(' ')}`);
        }
      }
      // The server did receive the real credentials (so a leak was possible), yet no file has them.
      assert.ok(server.requests.some((r) => r.headers['authorization'] === `Basic ${Buffer.from(`${USER}:${SENTINEL}`).toString('base64')}`));
      for (const file of [...filesUnder(configDir), ...filesUnder(stateDir)]) assertNoSecret(readFileSync(file, 'latin1'), file);
      assert.ok(filesUnder(stateDir).length > 0, 'the audit log was written');
    });
  }

  test('TLS failure and unreachable endpoint, with the password configured', async () => {
    const rogue = await hostileTlsServer({ cert: pki.rogueServerCert, key: pki.rogueServerKey }, (_q, res) => res.end('{}'));
    const closed = await plainHttpServer();
    await closed.close();
    for (const url of [rogue.origin, `https://127.0.0.1:${closed.port}`]) {
      const configDir = restProfileDir({ url, cacert: pki.ca, cert: pki.restClientCert, key: pki.restClientKey, username: USER });
      for (const extra of [[], ['--debug'], ['-f', 'json']]) {
        const run = await runPatrol(['reload', '--yes', ...extra], { configDir, env: { PATROL_REST_PASSWORD: SENTINEL, PATROL_STATE_DIR: tempStateDir() } });
        assert.ok(run.code === 4 || run.code === 5, run.stderr);
        assertNoSecret(run.stdout + run.stderr, `output for ${url} ${extra.join(' ')}`);
      }
    }
  });
});

describe('the password is not in the command line or in child processes', () => {
  test('/proc/<pid>/cmdline of a running patrol', { skip: process.platform !== 'linux' && 'needs /proc' }, async () => {
    let release: () => void = () => undefined;
    const server = await echoingServer((_q, res) => { release = () => { res.writeHead(202); res.end('ok'); }; });
    const configDir = restProfileDir({ url: server.origin, cacert: pki.ca, cert: pki.restClientCert, key: pki.restClientKey, username: USER });
    const child = spawn(process.execPath, [PATROL_BIN, 'reload', 'pg0', '--yes'], { env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root', PATROL_CONFIG_DIR: configDir, PATROL_STATE_DIR: tempStateDir(), PATROL_REST_PASSWORD: SENTINEL }, stdio: 'ignore' });
    let done = false;
    const exited = new Promise<void>((resolve) => child.on('close', () => { done = true; resolve(); }));
    // Wait until the write is in flight: patrol is then holding the password.
    while (!done && server.requests.filter((r) => r.method === 'POST').length === 0) await new Promise((r) => setTimeout(r, 20));
    assert.ok(!done, 'patrol ended before sending its request');
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'latin1');
    assert.match(cmdline, /reload/u);
    assertNoSecret(cmdline, 'the command line');
    release();
    await exited;
  });

  test('an $EDITOR started by edit-config does not inherit the password', { skip: process.platform !== 'linux' && 'needs script(1)' }, async (t) => {
    const server = await hostileTlsServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url === '/cluster' ? clusterJson([{ name: 'pg0', apiUrl: `https://127.0.0.1:${(req.socket as { localPort?: number }).localPort}/patroni` }]) : JSON.stringify({ loop_wait: 10, ttl: 30 }));
    });
    const work = mkdtempSync(path.join(tmpdir(), 'patrol-editor-'));
    const dump = path.join(work, 'editor-env.txt');
    const editor = path.join(work, 'editor.sh');
    writeFileSync(editor, `#!/bin/sh\nenv > '${dump}'\n`);
    chmodSync(editor, 0o700);
    const configDir = restProfileDir({ url: server.origin, cacert: pki.ca, cert: pki.restClientCert, key: pki.restClientKey, username: USER });
    const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root', TERM: 'dumb', EDITOR: editor, VISUAL: editor, PATROL_CONFIG_DIR: configDir, PATROL_STATE_DIR: tempStateDir(), PATROL_REST_PASSWORD: SENTINEL };
    const result = await new Promise<PatrolRun | null>((resolve) => {
      const child = spawn('script', ['-qfec', `${process.execPath} ${PATROL_BIN} edit-config`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.on('error', () => resolve(null));
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => resolve({ code, stdout: out, stderr: '' }));
    });
    if (!result) {
      t.skip('no script(1)');
      return;
    }
    const childEnv = readFileSync(dump, 'utf8');
    assert.match(childEnv, /PATROL_CONFIG_DIR=/u, 'the editor ran with patrol\'s environment');
    assertNoSecret(childEnv, "the editor's environment");
    assert.doesNotMatch(childEnv, /PATROL_REST_PASSWORD/u);
  });
});

describe('crash reports', () => {
  test('an unexpected error carrying a secret is reported by class only, and --debug stacks are redacted', () => {
    registerSecret(SENTINEL);
    const crash = new TypeError(`cannot read property of ${SENTINEL} (Basic ${Buffer.from(`${USER}:${SENTINEL}`).toString('base64')})`);
    const { exitCode, line } = describeFailure(crash);
    assert.equal(exitCode, 1);
    assert.match(line, /unexpected internal error \(TypeError\)/u);
    assertNoSecret(line, 'the error line');
    assertNoSecret(redact(crash.stack ?? ''), 'the --debug stack');
  });
});
