// Files at rest: the profile file decides where patrol connects and whom it trusts, private keys
// prove the operator's identity. Either one readable or writable by others, or owned by another
// account, is refused with the command that fixes it — before any connection. Files patrol
// creates (profiles, the audit log) are 0600 in 0700 directories even under umask 000.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generatePki, type PkiPaths } from '../fixtures/pki.js';
import { clusterJson, closeAllListeners, errorLines, hostileTlsServer, type Listener, restProfileDir, tempStateDir } from '../support/hostile-server.js';
import { PATROL_BIN, type PatrolRun, runPatrol } from '../support/run-patrol.js';

let pki: PkiPaths;
let server: Listener;
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

before(async () => {
  pki = await generatePki(mkdtempSync(path.join(tmpdir(), 'patrol-pki-')));
  server = await hostileTlsServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
    res.writeHead(req.method === 'GET' ? 200 : 202, { 'content-type': 'application/json' });
    res.end(req.method === 'GET' ? clusterJson([{ name: 'pg0', apiUrl: `${server.origin}/patroni` }]) : 'reload scheduled');
  });
});
after(closeAllListeners);

function keyCopy(mode: number, owner?: number): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'patrol-key-')), 'client.key');
  copyFileSync(pki.restClientKey, file);
  chmodSync(file, mode);
  if (owner !== undefined) chownSync(file, owner, owner);
  return file;
}

function assertRefused(run: PatrolRun, pattern: RegExp, hint: RegExp): void {
  assert.equal(run.code, 2, run.stderr);
  const lines = errorLines(run);
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, pattern);
  assert.match(lines[0]!, hint);
}

describe('loose or foreign files are refused with the fix', () => {
  for (const mode of [0o644, 0o640, 0o604, 0o660, 0o666]) {
    test(`a profile file with mode ${mode.toString(8)}`, async () => {
      const dir = restProfileDir({ url: server.origin, cacert: pki.ca });
      const file = path.join(dir, 'profiles.yaml');
      chmodSync(file, mode);
      const before = server.connections;
      assertRefused(await runPatrol(['list'], { configDir: dir }), /profile file .*profiles\.yaml is accessible to other users/u, new RegExp(`chmod 600 ${file.replace(/[.*+?^${}()|[\]\\/]/gu, '\\$&')}`, 'u'));
      assert.equal(server.connections, before, 'refused before connecting');
    });
  }

  test('a profile file owned by another user', { skip: !isRoot && 'needs root to chown' }, async () => {
    const dir = restProfileDir({ url: server.origin, cacert: pki.ca });
    chownSync(path.join(dir, 'profiles.yaml'), NOBODY, NOBODY);
    assertRefused(await runPatrol(['list'], { configDir: dir }), /profile file .* belongs to another user \(uid 65534\)/u, /chown/u);
  });

  for (const mode of [0o644, 0o640, 0o604]) {
    test(`a client key with mode ${mode.toString(8)}`, async () => {
      const key = keyCopy(mode);
      const dir = restProfileDir({ url: server.origin, cacert: pki.ca, cert: pki.restClientCert, key });
      const before = server.connections;
      assertRefused(await runPatrol(['list'], { configDir: dir }), /REST client key .* is accessible to other users/u, /chmod 600/u);
      assert.equal(server.connections, before, 'refused before connecting');
    });
  }

  test('a client key owned by another user', { skip: !isRoot && 'needs root to chown' }, async () => {
    const key = keyCopy(0o600, NOBODY);
    const dir = restProfileDir({ url: server.origin, cacert: pki.ca, cert: pki.restClientCert, key });
    assertRefused(await runPatrol(['list'], { configDir: dir }), /REST client key .* belongs to another user/u, /chown/u);
  });

  test('control: the same key with mode 0600, owned by this user, works', async () => {
    const key = keyCopy(0o600);
    const dir = restProfileDir({ url: server.origin, cacert: pki.ca, cert: pki.restClientCert, key });
    const run = await runPatrol(['list'], { configDir: dir });
    assert.equal(run.code, 0, run.stderr);
  });
});

/** Run patrol through a shell that first sets umask 000. */
function underUmask000(args: string[], env: Record<string, string>): Promise<PatrolRun> {
  return new Promise((resolve, reject) => {
    const quoted = [process.execPath, PATROL_BIN, ...args].map((a) => `'${a.replace(/'/gu, "'\\''")}'`).join(' ');
    const child = spawn('/bin/sh', ['-c', `umask 000 && exec ${quoted}`], { env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const modeOf = (file: string): number => statSync(file).mode & 0o777;

describe('files patrol creates are private even under umask 000', () => {
  test('the profile file and its directory', async () => {
    const base = mkdtempSync(path.join(tmpdir(), 'patrol-umask-'));
    const configDir = path.join(base, 'config', 'patrol');
    const run = await underUmask000(['profile', 'add', 'p', '--cluster', 'c', '--rest-url', server.origin, '--cacert', pki.ca], { PATROL_CONFIG_DIR: configDir });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(modeOf(path.join(configDir, 'profiles.yaml')), 0o600);
    assert.equal(modeOf(configDir), 0o700);
  });

  test('the audit log and its directory', async () => {
    const stateDir = path.join(mkdtempSync(path.join(tmpdir(), 'patrol-umask-')), 'state', 'patrol');
    const dir = restProfileDir({ url: server.origin, cacert: pki.ca, cert: pki.restClientCert, key: pki.restClientKey, username: 'admin' });
    const run = await underUmask000(['reload', '--yes'], { PATROL_CONFIG_DIR: dir, PATROL_STATE_DIR: stateDir, PATROL_REST_PASSWORD: 'umask-test-pass' });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(modeOf(path.join(stateDir, 'audit.log')), 0o600);
    assert.equal(modeOf(stateDir), 0o700);
  });

  test('an existing audit log left readable by others is tightened on the next write', async () => {
    const stateDir = tempStateDir();
    const log = path.join(stateDir, 'audit.log');
    writeFileSync(log, '', { mode: 0o644 });
    chmodSync(log, 0o644);
    const dir = restProfileDir({ url: server.origin, cacert: pki.ca, cert: pki.restClientCert, key: pki.restClientKey, username: 'admin' });
    const run = await runPatrol(['reload', '--yes'], { configDir: dir, env: { PATROL_STATE_DIR: stateDir, PATROL_REST_PASSWORD: 'umask-test-pass' } });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(modeOf(log), 0o600);
  });
});
