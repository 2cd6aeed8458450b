// Public-key pinning: with pins in the profile, a server whose certificate the profile CA signed
// but whose key is not pinned (a mis-issued certificate, a compromised CA) is refused before any
// request reaches it — on a new connection and on a reused keep-alive connection alike.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { certificatePin } from '../../src/net/pinning.js';
import { loadTlsMaterial } from '../../src/net/tls.js';
import { HttpTransport, TransportFailure } from '../../src/net/transport.js';
import { daysFromNow, HostileCa, type KeyPair, LOOPBACK_SANS } from '../fixtures/hostile-pki.js';
import { clusterJson, closeAllListeners, errorLines, hostileTlsServer, type Listener, restProfileDir } from '../support/hostile-server.js';
import { runPatrol } from '../support/run-patrol.js';

let ca: HostileCa;
let genuine: KeyPair;
let misissued: KeyPair;
let genuinePin: string;

const pinOf = (pair: KeyPair): string => {
  const pem = readFileSync(pair.cert, 'utf8');
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/gu, ''), 'base64');
  return certificatePin(der);
};

async function serve(pair: KeyPair): Promise<Listener> {
  let self: Listener | undefined;
  self = await hostileTlsServer({ cert: pair.cert, key: pair.key }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(clusterJson([{ name: 'pg0', apiUrl: `${self!.origin}/patroni` }]));
  });
  return self;
}

before(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'patrol-pin-pki-'));
  ca = await HostileCa.create(dir, 'pin-ca');
  // Both certificates are valid for 127.0.0.1 and signed by the profile's CA: only the key differs.
  genuine = await ca.issue({ base: 'genuine', san: LOOPBACK_SANS, notBefore: daysFromNow(-1), notAfter: daysFromNow(60) });
  misissued = await ca.issue({ base: 'misissued', san: LOOPBACK_SANS, notBefore: daysFromNow(-1), notAfter: daysFromNow(60) });
  genuinePin = pinOf(genuine);
});
after(closeAllListeners);

/** The pins array is shared, not copied: a test can change it under an open connection. */
async function transportWith(pins: string[]): Promise<HttpTransport> {
  const tls = await loadTlsMaterial({ cacert: ca.cert }, 'REST', async () => undefined, '');
  return new HttpTransport({ ...tls, pins }, { connectTimeoutMs: 3000, responseTimeoutMs: 3000, maxResponseBytes: 1 << 20 });
}

describe('the transport enforces pins on every request', () => {
  test('matching pin: many requests share one keep-alive connection', async () => {
    const server = await serve(genuine);
    const transport = await transportWith([genuinePin]);
    try {
      for (let i = 0; i < 5; i++) assert.equal((await transport.request({ method: 'GET', url: `${server.origin}/cluster` })).status, 200);
      assert.equal(server.requests.length, 5);
      assert.equal(server.connections, 1, 'the connection was reused, and the pin check allowed it');
    } finally {
      transport.close();
    }
  });

  test('a CA-signed certificate with an unpinned key: every request fails, the server receives none', async () => {
    const server = await serve(misissued);
    const transport = await transportWith([genuinePin]);
    try {
      for (let i = 0; i < 3; i++) {
        await assert.rejects(transport.request({ method: 'POST', url: `${server.origin}/switchover`, json: { leader: 'pg0' }, basicAuth: { username: 'u', password: 'p' } }), (e: unknown) => {
          assert.ok(e instanceof TransportFailure && e.kind === 'tls' && /PIN_MISMATCH/u.test(e.detail), String(e));
          return true;
        });
      }
      assert.equal(server.requests.length, 0, 'no request — and no password — reached the impostor');
    } finally {
      transport.close();
    }
  });

  test('a reused keep-alive connection is checked again before the next request is written', async () => {
    const server = await serve(genuine);
    const pins = [genuinePin];
    const transport = await transportWith(pins);
    try {
      assert.equal((await transport.request({ method: 'GET', url: `${server.origin}/cluster` })).status, 200);
      // The pin set no longer matches the peer of the idle connection the agent kept: the next
      // request is assigned that socket without a handshake, and must still be refused.
      pins.splice(0, 1, pinOf(misissued));
      await assert.rejects(transport.request({ method: 'POST', url: `${server.origin}/reload`, basicAuth: { username: 'u', password: 'p' } }), (e: unknown) => e instanceof TransportFailure && e.kind === 'tls');
      assert.equal(server.requests.length, 1, 'the second request never reached the server');
      assert.equal(server.connections, 1, 'it was the reused connection that was refused');
    } finally {
      transport.close();
    }
  });
});

describe('patrol profile pin, then an impostor', () => {
  test('pins recorded from the genuine server; a server with a CA-signed but different key is refused (exit 4)', async () => {
    const real = await serve(genuine);
    const configDir = restProfileDir({ url: real.origin, cacert: ca.cert });
    const withoutYes = await runPatrol(['profile', 'pin', 'hostile'], { configDir });
    assert.equal(withoutYes.code, 2, 'no terminal and no --yes: refused');
    assert.ok(withoutYes.stdout.includes(genuinePin), 'the keys are shown first');
    const pinned = await runPatrol(['profile', 'pin', 'hostile', '--yes', '-f', 'json'], { configDir });
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.deepEqual((JSON.parse(pinned.stdout) as { keys: Array<{ pin: string }> }).keys.map((k) => k.pin), [genuinePin]);
    assert.equal((await runPatrol(['list'], { configDir })).code, 0);

    const impostor = await serve(misissued);
    const profileFile = path.join(configDir, 'profiles.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(profileFile, readFileSync(profileFile, 'utf8').replace(real.origin, impostor.origin), { mode: 0o600 });
    const run = await runPatrol(['list'], { configDir });
    assert.equal(run.code, 4, run.stderr);
    assert.equal(errorLines(run).length, 1);
    assert.match(run.stderr, /public key does not match the profile's pins/u);
    assert.equal(impostor.requests.length, 0);
  });
});
