// TLS attacks on patrol's REST connection, each against a hostile server on 127.0.0.1 with
// throwaway CAs made for this run: patrol must exit 4 with one clear line, and the server must
// receive no HTTP request at all (a request would carry the operator's intent, and on unsafe
// calls the password).

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { daysFromNow, encryptKey, HostileCa, type KeyPair, LOOPBACK_SANS, selfSignedServer } from '../fixtures/hostile-pki.js';
import { clusterJson, closeAllListeners, errorLines, hostileTlsServer, type Listener, restProfileDir } from '../support/hostile-server.js';
import { type PatrolRun, runPatrol } from '../support/run-patrol.js';

let dir: string;
let trusted: HostileCa;
let rogue: HostileCa;
let goodServer: KeyPair;
let client: KeyPair;

const answerCluster = (listener: () => Listener) => (_req: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(clusterJson([{ name: 'pg0', apiUrl: `${listener().origin}/patroni` }]));
};

async function serve(pair: KeyPair, tls: Parameters<typeof hostileTlsServer>[0]['tls'] = {}): Promise<Listener> {
  let self: Listener | undefined;
  self = await hostileTlsServer({ cert: pair.cert, key: pair.key, tls }, answerCluster(() => self!));
  return self;
}

function assertTlsRefusal(run: PatrolRun, pattern: RegExp, server: Listener): void {
  assert.equal(run.code, 4, `exit code (stderr: ${run.stderr})`);
  const lines = errorLines(run);
  assert.equal(lines.length, 1, `one error line expected, got: ${run.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /u, 'no stack trace');
  assert.equal(run.stdout, '', 'nothing on stdout');
  assert.equal(server.requests.length, 0, 'the hostile server must not receive any request');
}

const list = (configDir: string, env: Record<string, string> = {}): Promise<PatrolRun> => runPatrol(['list'], { configDir, env });

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'patrol-hostile-pki-'));
  trusted = await HostileCa.create(dir, 'trusted-ca');
  rogue = await HostileCa.create(dir, 'rogue-ca');
  goodServer = await trusted.issue({ base: 'good-server', san: LOOPBACK_SANS, notBefore: daysFromNow(-1), notAfter: daysFromNow(60) });
  client = await trusted.issue({ base: 'client', eku: ['clientAuth'], notBefore: daysFromNow(-1), notAfter: daysFromNow(60) });
});

after(closeAllListeners);

describe('server certificates patrol must refuse', () => {
  test('control: a correct server certificate is accepted (so every refusal below is meaningful)', async () => {
    const server = await serve(goodServer);
    const run = await list(restProfileDir({ url: server.origin, cacert: trusted.cert }));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /pg0/u);
    assert.equal(server.requests.length, 1);
  });

  test('signed by another CA', async () => {
    const pair = await rogue.issue({ base: 'rogue-server', san: LOOPBACK_SANS, notBefore: daysFromNow(-1), notAfter: daysFromNow(60) });
    const server = await serve(pair);
    assertTlsRefusal(await list(restProfileDir({ url: server.origin, cacert: trusted.cert })), /not signed by the profile's CA/u, server);
  });

  test('the host (127.0.0.1) is not in the SAN', async () => {
    const pair = await trusted.issue({ base: 'wrong-san', san: ['DNS:db.example.net', 'IP:10.9.9.9'], notBefore: daysFromNow(-1), notAfter: daysFromNow(60) });
    const server = await serve(pair);
    assertTlsRefusal(await list(restProfileDir({ url: server.origin, cacert: trusted.cert })), /does not name this host/u, server);
  });

  test('expired', async () => {
    const pair = await trusted.issue({ base: 'expired', san: LOOPBACK_SANS, notBefore: daysFromNow(-40), notAfter: daysFromNow(-1) });
    const server = await serve(pair);
    assertTlsRefusal(await list(restProfileDir({ url: server.origin, cacert: trusted.cert })), /has expired/u, server);
  });

  test('not yet valid', async () => {
    const pair = await trusted.issue({ base: 'future', san: LOOPBACK_SANS, notBefore: daysFromNow(10), notAfter: daysFromNow(40) });
    const server = await serve(pair);
    assertTlsRefusal(await list(restProfileDir({ url: server.origin, cacert: trusted.cert })), /not valid yet/u, server);
  });

  test('self-signed', async () => {
    const pair = await selfSignedServer(dir);
    const server = await serve(pair);
    assertTlsRefusal(await list(restProfileDir({ url: server.origin, cacert: trusted.cert })), /not signed by the profile's CA/u, server);
  });

  test('a server offering only TLS 1.1 or older', async (t) => {
    let server: Listener;
    try {
      server = await serve(goodServer, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    } catch {
      t.skip('this OpenSSL cannot serve TLS 1.1');
      return;
    }
    assertTlsRefusal(await list(restProfileDir({ url: server.origin, cacert: trusted.cert })), /TLS protocol mismatch|TLS failure/u, server);
  });
});

describe('client authentication failures', () => {
  test('a server that requires a client certificate the profile lacks', async () => {
    const server = await serve(goodServer, { requestCert: true, rejectUnauthorized: true, ca: [(await import('node:fs')).readFileSync(trusted.cert)] });
    assertTlsRefusal(await list(restProfileDir({ url: server.origin, cacert: trusted.cert })), /rejected the TLS handshake/u, server);
  });

  test('an encrypted client key with a wrong passphrase: refused before any connection', async () => {
    const server = await serve(goodServer);
    const encrypted = await encryptKey(client.key, path.join(dir, 'client.enc.key'), 'the-right-passphrase');
    const configDir = restProfileDir({ url: server.origin, cacert: trusted.cert, cert: client.cert, key: encrypted });
    const run = await list(configDir, { PATROL_KEY_PASSPHRASE: 'a-wrong-passphrase' });
    assertTlsRefusal(run, /wrong passphrase/u, server);
    assert.equal(server.connections, 0, 'the key is checked before connecting');
    assert.ok(!run.stderr.includes('a-wrong-passphrase'));
    const right = await list(configDir, { PATROL_KEY_PASSPHRASE: 'the-right-passphrase' });
    assert.equal(right.code, 0, right.stderr);
  });
});

describe('environment variables cannot weaken verification', () => {
  test('NODE_TLS_REJECT_UNAUTHORIZED=0: still refused, with one warning that it is ignored', async () => {
    const pair = await rogue.issue({ base: 'rogue-server-2', san: LOOPBACK_SANS, notBefore: daysFromNow(-1), notAfter: daysFromNow(60) });
    const server = await serve(pair);
    const run = await list(restProfileDir({ url: server.origin, cacert: trusted.cert }), { NODE_TLS_REJECT_UNAUTHORIZED: '0' });
    assertTlsRefusal(run, /not signed by the profile's CA/u, server);
    const warnings = run.stderr.split('\n').filter((l) => l.includes('NODE_TLS_REJECT_UNAUTHORIZED'));
    assert.equal(warnings.length, 1, `one warning expected: ${run.stderr}`);
    assert.match(warnings[0]!, /^patrol: warning: NODE_TLS_REJECT_UNAUTHORIZED is set .*ignores it/u);
  });

  test('NODE_EXTRA_CA_CERTS naming the attacker CA does not add to the profile CA', async () => {
    const pair = await rogue.issue({ base: 'rogue-server-3', san: LOOPBACK_SANS, notBefore: daysFromNow(-1), notAfter: daysFromNow(60) });
    const server = await serve(pair);
    const run = await list(restProfileDir({ url: server.origin, cacert: trusted.cert }), { NODE_EXTRA_CA_CERTS: rogue.cert });
    assertTlsRefusal(run, /not signed by the profile's CA/u, server);
    assert.equal(run.stderr.split('\n').filter((l) => l.startsWith('patrol: warning: NODE_EXTRA_CA_CERTS')).length, 1);
  });

  test('NODE_EXTRA_CA_CERTS does not extend the bundled roots of a profile without a CA', async () => {
    const pair = await rogue.issue({ base: 'rogue-server-4', san: LOOPBACK_SANS, notBefore: daysFromNow(-1), notAfter: daysFromNow(60) });
    const server = await serve(pair);
    const run = await list(restProfileDir({ url: server.origin }), { NODE_EXTRA_CA_CERTS: rogue.cert });
    assertTlsRefusal(run, /not signed by the profile's CA|TLS failure/u, server);
  });
});
