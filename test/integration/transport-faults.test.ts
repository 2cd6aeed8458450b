// Fault injection a real Patroni cannot produce: rogue, slow, oversized and redirecting TLS
// servers on 127.0.0.1. Each asserts what the server actually received, so "no retry" and "no
// credentials on reads" are measured, not assumed.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generatePki, type PkiPaths } from '../fixtures/pki.js';
import { OutcomeUnknownError, ProtocolError, TlsOrAuthError, UnreachableError } from '../../src/errors.js';
import { loadTlsMaterial } from '../../src/net/tls.js';
import { HttpTransport, TransportFailure } from '../../src/net/transport.js';
import { PatroniRestClient } from '../../src/patroni/client.js';

let pki: PkiPaths;

interface Recorded {
  method: string;
  url: string;
  authorization: string | undefined;
}

interface FakeServer {
  origin: string;
  requests: Recorded[];
  server: Server;
  close(): Promise<void>;
}

async function fakeServer(handler: (req: IncomingMessage, res: ServerResponse) => void, certs?: { cert: string; key: string }, tlsExtra: object = {}): Promise<FakeServer> {
  const requests: Recorded[] = [];
  const server = createServer(
    { cert: readFileSync(certs?.cert ?? pki.serverCert), key: readFileSync(certs?.key ?? pki.serverKey), ...tlsExtra },
    (req, res) => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
      handler(req, res);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `https://127.0.0.1:${port}`,
    requests,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function client(origin: string, limits?: Partial<{ responseTimeoutMs: number; maxResponseBytes: number }>) {
  const tls = await loadTlsMaterial({ cacert: pki.ca, cert: pki.restClientCert, key: pki.restClientKey }, 'REST', async () => undefined, '');
  const transport = new HttpTransport(tls, { connectTimeoutMs: 2000, responseTimeoutMs: 1500, maxResponseBytes: 64 * 1024, ...limits });
  const api = new PatroniRestClient(transport, [origin], async () => ({ username: 'admin', password: 's3cret-pass' }));
  return { api, transport };
}

before(async () => {
  pki = await generatePki(mkdtempSync(path.join(tmpdir(), 'patrol-pki-')));
});

describe('hardened transport against hostile servers', () => {
  test('basic auth goes only on unsafe requests, and each request is sent exactly once', async () => {
    const server = await fakeServer((_req, res) => res.end('{"members":[]}'));
    const { api, transport } = await client(server.origin);
    try {
      await api.getJson(server.origin, '/cluster');
      await api.send(server.origin, 'POST', '/reload');
      assert.equal(server.requests.length, 2);
      assert.equal(server.requests[0]!.authorization, undefined, 'GET must not carry credentials');
      assert.equal(server.requests[1]!.authorization, `Basic ${Buffer.from('admin:s3cret-pass').toString('base64')}`);
    } finally {
      transport.close();
      await server.close();
    }
  });

  test('a server whose certificate the profile CA did not sign is refused', async () => {
    const server = await fakeServer((_req, res) => res.end('{}'), { cert: pki.rogueServerCert, key: pki.rogueServerKey });
    const { api, transport } = await client(server.origin);
    try {
      await assert.rejects(api.getJson(server.origin, '/cluster'), (e: unknown) => e instanceof TlsOrAuthError && /not signed by the profile's CA/.test(e.message));
      await assert.rejects(api.send(server.origin, 'POST', '/switchover', { leader: 'a' }), TlsOrAuthError);
      assert.equal(server.requests.length, 0, 'nothing may reach an untrusted server');
    } finally {
      transport.close();
      await server.close();
    }
  });

  test('a server that only speaks TLS 1.1 is refused (TLS >= 1.2)', async (t) => {
    let server: FakeServer;
    try {
      server = await fakeServer((_req, res) => res.end('{}'), undefined, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    } catch {
      t.skip('this OpenSSL cannot serve TLS 1.1');
      return;
    }
    const { api, transport } = await client(server.origin);
    try {
      await assert.rejects(api.getJson(server.origin, '/cluster'), TlsOrAuthError);
      assert.equal(server.requests.length, 0);
    } finally {
      transport.close();
      await server.close();
    }
  });

  test('redirects are not followed', async () => {
    const target = await fakeServer((_req, res) => res.end('{}'));
    const server = await fakeServer((_req, res) => {
      res.writeHead(307, { location: `${target.origin}/switchover` });
      res.end();
    });
    const { api, transport } = await client(server.origin);
    try {
      await assert.rejects(api.getJson(server.origin, '/cluster'), (e: unknown) => e instanceof ProtocolError && /redirect/.test(e.message));
      const reply = await api.send(server.origin, 'POST', '/switchover', { leader: 'a' });
      assert.equal(reply.status, 307);
      assert.equal(target.requests.length, 0, 'the redirect target must never be contacted');
      assert.equal(server.requests.length, 2);
    } finally {
      transport.close();
      await server.close();
      await target.close();
    }
  });

  test('an oversized response is aborted, declared or streamed', async () => {
    const declared = await fakeServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(1024 * 1024 * 1024) });
      res.write('x'.repeat(1024));
    });
    const streamed = await fakeServer((_req, res) => {
      res.writeHead(200);
      const chunk = 'y'.repeat(16 * 1024);
      // Endless unless the client hangs up: bounded by the client cap, not by the server.
      const pump = (): void => {
        while (res.write(chunk)) { /* keep writing until backpressure */ }
        res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    const { api, transport } = await client(declared.origin);
    try {
      await assert.rejects(api.getJson(declared.origin, '/cluster'), (e: unknown) => e instanceof ProtocolError && /too large/.test(e.message));
      await assert.rejects(api.getJson(streamed.origin, '/cluster'), (e: unknown) => e instanceof ProtocolError && /too large/.test(e.message));
    } finally {
      transport.close();
      await declared.close();
      await streamed.close();
    }
  });

  test('a server that accepts and never answers: a read times out as unreachable, an action is "outcome unknown", sent once', async () => {
    const server = await fakeServer(() => { /* never answer */ });
    const { api, transport } = await client(server.origin, { responseTimeoutMs: 800 });
    try {
      await assert.rejects(api.getJson(server.origin, '/cluster'), UnreachableError);
      await assert.rejects(api.send(server.origin, 'POST', '/switchover', { leader: 'a' }), (e: unknown) => {
        assert.ok(e instanceof OutcomeUnknownError, `got ${String(e)}`);
        assert.equal(e.exitCode, 7);
        return true;
      });
      assert.deepEqual(server.requests.map((r) => `${r.method} ${r.url}`), ['GET /cluster', 'POST /switchover']);
    } finally {
      transport.close();
      await server.close();
    }
  });

  test('credentials are never sent over plain http', async () => {
    let connections = 0;
    const plain = createHttpServer((_req, res) => res.end('{}'));
    plain.on('connection', () => connections++);
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const { port } = plain.address() as { port: number };
    const tls = await loadTlsMaterial({ cacert: pki.ca }, 'REST', async () => undefined, '');
    const transport = new HttpTransport(tls);
    try {
      await assert.rejects(
        transport.request({ method: 'POST', url: `http://127.0.0.1:${port}/reload`, basicAuth: { username: 'a', password: 'b' } }),
        (e: unknown) => e instanceof TransportFailure && e.kind === 'refused-credentials',
      );
      assert.equal(connections, 0);
    } finally {
      transport.close();
      plain.close();
    }
  });
});
