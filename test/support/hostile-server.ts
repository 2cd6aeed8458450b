// Servers that misbehave on purpose, for the adversarial suite: TLS servers on 127.0.0.1 with any
// certificate and TLS settings, a plain TCP listener that never speaks TLS, and helpers that
// write REST-only profiles pointing at them. Every server records what it received (connections,
// requests with headers and bodies), so the tests assert what a hostile peer actually got.

import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import YAML from 'yaml';
import type { PatrolRun } from './run-patrol.js';

/** Lines patrol printed on stderr that are not warnings. */
export function errorLines(run: PatrolRun): string[] {
  return run.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('patrol: warning:'));
}

export interface Received {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Listener {
  origin: string;
  port: number;
  /** TCP connections accepted (whether or not a request followed). */
  connections: number;
  requests: Received[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const open = new Set<() => Promise<void>>();

/** Close everything these helpers started (call from `after`). */
export async function closeAllListeners(): Promise<void> {
  await Promise.all([...open].map((close) => close()));
}

function track(server: { close(cb: () => void): unknown; closeAllConnections?: () => void }, sockets: Set<Socket>): () => Promise<void> {
  let closed = false;
  const close = (): Promise<void> =>
    closed
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          closed = true;
          open.delete(close);
          for (const s of sockets) s.destroy();
          server.closeAllConnections?.();
          server.close(() => resolve());
        });
  open.add(close);
  return close;
}

function recordingHandler(listener: Listener, handler: Handler) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      listener.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers }, body });
      handler(req, res, body);
    });
  };
}

export interface TlsServerOptions {
  cert: string;
  key: string;
  /** Extra TLS settings: minVersion/maxVersion, requestCert, ca, ciphers … */
  tls?: TlsOptions & SecureContextOptions;
  host?: string;
}

export async function hostileTlsServer(options: TlsServerOptions, handler: Handler): Promise<Listener> {
  const listener: Listener = { origin: '', port: 0, connections: 0, requests: [], close: async () => undefined };
  const sockets = new Set<Socket>();
  const server: Server = createServer({ cert: readFileSync(options.cert), key: readFileSync(options.key), ...options.tls }, recordingHandler(listener, handler));
  server.on('connection', (socket: Socket) => {
    listener.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  listener.port = (server.address() as { port: number }).port;
  listener.origin = `https://${host}:${listener.port}`;
  listener.close = track(server, sockets);
  return listener;
}

/** A plain-HTTP listener (the "other side" of a redirect or a downgraded api_url). */
export async function plainHttpServer(handler: Handler = (_q, res) => res.end('{}')): Promise<Listener> {
  const listener: Listener = { origin: '', port: 0, connections: 0, requests: [], close: async () => undefined };
  const sockets = new Set<Socket>();
  const server = createHttpServer(recordingHandler(listener, handler));
  server.on('connection', (socket: Socket) => {
    listener.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  listener.port = (server.address() as { port: number }).port;
  listener.origin = `http://127.0.0.1:${listener.port}`;
  listener.close = track(server, sockets);
  return listener;
}

/** Accepts TCP connections and never says a word: a TLS handshake that never finishes. */
export async function silentTcpServer(): Promise<Listener> {
  const listener: Listener = { origin: '', port: 0, connections: 0, requests: [], close: async () => undefined };
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    listener.connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  listener.port = (server.address() as { port: number }).port;
  listener.origin = `https://127.0.0.1:${listener.port}`;
  listener.close = track(server, sockets);
  return listener;
}

export interface ClusterMemberSpec {
  name: string;
  role?: string;
  state?: string;
  apiUrl: string;
  tags?: Record<string, unknown>;
  lag?: number;
}

/** A Patroni 3.0-shaped GET /cluster document. */
export function clusterJson(members: ClusterMemberSpec[]): string {
  return JSON.stringify({
    members: members.map((m, i) => ({
      name: m.name,
      role: m.role ?? (i === 0 ? 'leader' : 'replica'),
      state: m.state ?? 'running',
      api_url: m.apiUrl,
      host: '127.0.0.1',
      port: 5432 + i,
      timeline: 1,
      ...(m.tags ? { tags: m.tags } : {}),
      ...((m.role ?? (i === 0 ? 'leader' : 'replica')) !== 'leader' ? { lag: m.lag ?? 0 } : {}),
    })),
  });
}

export interface RestProfileSpec {
  url: string;
  cacert?: string;
  cert?: string;
  key?: string;
  username?: string;
  pins?: string[];
  allowedHosts?: string[];
  cluster?: string;
}

/**
 * A config directory holding one REST-only profile "hostile", written the way patrol writes it
 * (0600 file in a 0700 directory), so tests can set fields `profile add` has no flag for (pins).
 */
export function restProfileDir(spec: RestProfileSpec): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'patrol-sec-cfg-'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const rest: Record<string, unknown> = { urls: [spec.url] };
  for (const key of ['cacert', 'cert', 'key', 'username', 'pins', 'allowedHosts'] as const) if (spec[key] !== undefined) rest[key] = spec[key];
  writeFileSync(path.join(dir, 'profiles.yaml'), YAML.stringify({ current: 'hostile', profiles: { hostile: { cluster: spec.cluster ?? 'hostile', namespace: '/service', rest } } }), { mode: 0o600 });
  return dir;
}

/** A fresh, private state directory (for the audit log). */
export function tempStateDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'patrol-sec-state-'));
}
