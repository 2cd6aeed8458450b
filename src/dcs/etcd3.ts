// etcd v3 client over etcd's JSON gateway (POST /v3/...; keys and values base64). Authenticates
// with user/password when configured; an expired token is re-obtained once and the read repeated
// (reads are safe to repeat). Endpoints are tried in order when one is unreachable.

import { ProtocolError, TlsOrAuthError, UnreachableError, UsageError } from '../errors.js';
import { failureToError } from '../net/failure.js';
import { type HttpStream, type HttpTransport, TransportFailure } from '../net/transport.js';
import { quoteServerText, type BasicCredentials } from '../patroni/client.js';
import type { DcsSnapshot } from '../cluster/from-dcs.js';
import { LineSplitter, parseWatchMessage, type WatchMessage } from './watch-stream.js';

export interface DcsReader {
  /** All keys under /<namespace>/<scope>/, keyed by the path relative to that prefix. */
  readCluster(namespace: string, scope: string): Promise<DcsSnapshot>;
  /** One key with its modification revision (0 when absent), for compare-and-swap. */
  readKey(key: string): Promise<{ value: string | undefined; modRevision: number }>;
  /**
   * Write `value` only if the key's mod revision is still `expectedModRevision` (0: the key must
   * not exist). Returns false when someone else changed it first. Never retried.
   */
  compareAndPut(key: string, expectedModRevision: number, value: string): Promise<boolean>;
  /** Every cluster under /<namespace>/, keyed by scope, read at one revision (`list --all`). */
  readNamespace?(namespace: string): Promise<Map<string, DcsSnapshot>>;
  /** readCluster plus the etcd revision it was read at (where a watch starts). */
  readClusterAt?(namespace: string, scope: string): Promise<{ snapshot: DcsSnapshot; revision: number }>;
  /** Streams changes under prefix from startRevision on (`list -W`); see watchPrefix. */
  watchPrefix?(prefix: string, startRevision: number, onMessage: (message: WatchMessage) => void): Promise<PrefixWatch>;
}

export interface PrefixWatch {
  /** Settles when the watch ends: resolves when closed or ended by etcd, rejects when broken. */
  done: Promise<void>;
  close(): void;
}

interface GatewayReply {
  status: number;
  json: Record<string, unknown>;
}

const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');
const unb64 = (text: unknown): string => (typeof text === 'string' ? Buffer.from(text, 'base64').toString('utf8') : '');

/** The smallest key greater than every key starting with prefix (etcd's range_end for a prefix). */
export function prefixRangeEnd(prefix: string): Buffer {
  const bytes = Buffer.from(prefix);
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i] = bytes[i]! + 1;
      return end;
    }
  }
  return Buffer.from([0]);
}

/** Keys per page when reading a whole namespace: well under the transport's response size cap. */
const NAMESPACE_PAGE = 2000;

/** Split "<scope>/<rest>" keys (relative to the namespace prefix) into per-cluster snapshots. */
export function groupByScope(relativeKeys: Iterable<[string, string]>, into = new Map<string, DcsSnapshot>()): Map<string, DcsSnapshot> {
  for (const [key, value] of relativeKeys) {
    const slash = key.indexOf('/');
    if (slash <= 0 || slash === key.length - 1) continue; // not a cluster key
    const scope = key.slice(0, slash);
    let snapshot = into.get(scope);
    if (!snapshot) into.set(scope, (snapshot = new Map()));
    snapshot.set(key.slice(slash + 1), value);
  }
  return into;
}

export function clusterPrefix(namespace: string, scope: string): string {
  return `${namespace.replace(/\/+$/u, '')}/${scope}/`;
}

function isAuthTokenProblem(reply: GatewayReply): boolean {
  const message = String(reply.json['error'] ?? reply.json['message'] ?? '');
  return /invalid auth token|auth token is expired|revision of auth store is old/u.test(message);
}

export class Etcd3Client implements DcsReader {
  private token: string | undefined;
  private authenticating: Promise<void> | undefined;
  private activeOrigin: string | undefined;

  constructor(
    private readonly transport: HttpTransport,
    private readonly origins: string[],
    private readonly credentials: () => Promise<BasicCredentials | undefined>,
  ) {}

  async readCluster(namespace: string, scope: string): Promise<DcsSnapshot> {
    return (await this.readClusterAt(namespace, scope)).snapshot;
  }

  async readClusterAt(namespace: string, scope: string): Promise<{ snapshot: DcsSnapshot; revision: number }> {
    const prefix = clusterPrefix(namespace, scope);
    const reply = await this.call('/v3/kv/range', {
      key: b64(prefix),
      range_end: b64(prefixRangeEnd(prefix)),
      serializable: false, // linearizable: what the cluster agreed on, not a stale follower view
    });
    const snapshot: DcsSnapshot = new Map();
    const kvs = reply.json['kvs'];
    if (Array.isArray(kvs)) {
      for (const kv of kvs as Array<Record<string, unknown>>) {
        const key = unb64(kv['key']);
        if (key.startsWith(prefix)) snapshot.set(key.slice(prefix.length), unb64(kv['value']));
      }
    }
    const revision = Number((reply.json['header'] as Record<string, unknown> | undefined)?.['revision'] ?? 0);
    return { snapshot, revision: Number.isFinite(revision) ? revision : 0 };
  }

  /**
   * Opens a watch on every key under prefix from startRevision on, over the endpoint that
   * answered last. Each decoded gateway message goes to onMessage. A line that is not JSON, or
   * longer than MAX_WATCH_MESSAGE_BYTES, breaks the watch (done rejects) rather than being
   * guessed at. Never retried here: the caller falls back to reading.
   */
  async watchPrefix(prefix: string, startRevision: number, onMessage: (message: WatchMessage) => void): Promise<PrefixWatch> {
    const origin = this.activeOrigin ?? this.origins[0];
    if (!origin) throw new UsageError('the profile has no DCS URL');
    if (this.token === undefined) await this.authenticate(origin);
    const splitter = new LineSplitter();
    let failWatch: (error: unknown) => void = () => undefined;
    const failed = new Promise<never>((_resolve, reject) => (failWatch = reject));
    failed.catch(() => undefined);
    let stream: HttpStream | undefined;
    let broken = false;
    const onChunk = (chunk: Buffer): void => {
      if (broken) return;
      try {
        for (const line of splitter.push(chunk)) {
          const message = parseWatchMessage(line);
          if (!message) throw new ProtocolError(`etcd at ${origin} sent a watch message that is not JSON`);
          onMessage(message);
        }
      } catch (error) {
        broken = true;
        stream?.close();
        failWatch(error);
      }
    };
    try {
      stream = await this.transport.stream(
        {
          method: 'POST',
          url: `${origin}/v3/watch`,
          json: { create_request: { key: b64(prefix), range_end: b64(prefixRangeEnd(prefix)), start_revision: String(startRevision) } },
          ...(this.token ? { headers: { authorization: this.token } } : {}),
        },
        onChunk,
      );
    } catch (error) {
      if (error instanceof TransportFailure) throw failureToError(error, `etcd at ${origin}`, false);
      throw error;
    }
    if (stream.status !== 200) {
      stream.close();
      const hint = 'patrol falls back to reading the cluster every interval';
      if (stream.status === 401 || stream.status === 403) throw new TlsOrAuthError(`etcd at ${origin} refused the watch (HTTP ${stream.status})`, hint);
      throw new ProtocolError(`etcd at ${origin} answered /v3/watch with HTTP ${stream.status}`, hint);
    }
    const opened = stream;
    return { done: Promise.race([opened.done, failed]), close: () => opened.close() };
  }

  async readNamespace(namespace: string): Promise<Map<string, DcsSnapshot>> {
    const prefix = `${namespace.replace(/\/+$/u, '')}/`;
    const rangeEnd = b64(prefixRangeEnd(prefix));
    const clusters = new Map<string, DcsSnapshot>();
    let from = b64(prefix);
    let revision: string | undefined;
    // Paged so a namespace of any size stays under the response cap; every page is read at the
    // first page's revision, so the result is one consistent view.
    for (;;) {
      const reply = await this.call('/v3/kv/range', {
        key: from,
        range_end: rangeEnd,
        limit: NAMESPACE_PAGE,
        ...(revision ? { revision } : {}),
        serializable: false,
      });
      revision ??= String((reply.json['header'] as Record<string, unknown> | undefined)?.['revision'] ?? '') || undefined;
      const kvs = Array.isArray(reply.json['kvs']) ? (reply.json['kvs'] as Array<Record<string, unknown>>) : [];
      const page: Array<[string, string]> = [];
      for (const kv of kvs) {
        const key = unb64(kv['key']);
        if (key.startsWith(prefix)) page.push([key.slice(prefix.length), unb64(kv['value'])]);
      }
      groupByScope(page, clusters);
      const last = kvs[kvs.length - 1]?.['key'];
      if (reply.json['more'] !== true || typeof last !== 'string') break;
      from = Buffer.concat([Buffer.from(last, 'base64'), Buffer.from([0])]).toString('base64');
    }
    return clusters;
  }

  async readKey(key: string): Promise<{ value: string | undefined; modRevision: number }> {
    const reply = await this.call('/v3/kv/range', { key: b64(key), serializable: false });
    const kvs = reply.json['kvs'];
    const kv = Array.isArray(kvs) ? (kvs[0] as Record<string, unknown> | undefined) : undefined;
    if (!kv) return { value: undefined, modRevision: 0 };
    return { value: unb64(kv['value']), modRevision: Number(kv['mod_revision'] ?? 0) };
  }

  async compareAndPut(key: string, expectedModRevision: number, value: string): Promise<boolean> {
    const reply = await this.call(
      '/v3/kv/txn',
      {
        compare: [{ key: b64(key), target: 'MOD', result: 'EQUAL', mod_revision: String(expectedModRevision) }],
        success: [{ request_put: { key: b64(key), value: b64(value) } }],
      },
      true,
    );
    return reply.json['succeeded'] === true;
  }

  /**
   * One gateway call on the first endpoint that can be reached (the one that worked last time
   * first). Only "unreachable" moves on to the next endpoint: a TLS or auth failure is reported.
   */
  private async call(path: string, body: unknown, stateChanging = false): Promise<GatewayReply> {
    const order = this.activeOrigin ? [this.activeOrigin, ...this.origins.filter((o) => o !== this.activeOrigin)] : this.origins;
    let lastUnreachable: UnreachableError | undefined;
    for (const origin of order) {
      try {
        const reply = await this.callOn(origin, path, body, stateChanging);
        this.activeOrigin = origin;
        return reply;
      } catch (error) {
        if (!(error instanceof UnreachableError)) throw error;
        lastUnreachable = error;
        this.token = undefined; // tokens are per etcd cluster, but re-authenticate to be safe
      }
    }
    throw lastUnreachable ?? new UsageError('the profile has no DCS URL');
  }

  /** A call on one endpoint, re-authenticating once if the token has expired. */
  private async callOn(origin: string, path: string, body: unknown, stateChanging: boolean): Promise<GatewayReply> {
    if (this.token === undefined) await this.authenticate(origin);
    let reply = await this.post(origin, path, body, stateChanging);
    // An expired token is rejected before the request is applied, so repeating it (once) with a
    // fresh token is safe even for a compare-and-swap write.
    if ((reply.status === 401 || reply.status === 400) && this.token !== undefined && isAuthTokenProblem(reply)) {
      this.token = undefined;
      await this.authenticate(origin);
      reply = await this.post(origin, path, body, stateChanging);
    }
    const serverError = String(reply.json['error'] ?? reply.json['message'] ?? '');
    if (reply.status === 401 || reply.status === 403 || /permission denied|user name is empty|invalid auth/u.test(serverError)) {
      throw new TlsOrAuthError(
        `etcd at ${origin} refused the request: ${quoteServerText(serverError || `HTTP ${reply.status}`)}`,
        'check dcs.username in the profile and PATROL_DCS_PASSWORD, and that the etcd user may read the cluster prefix',
      );
    }
    if (reply.status !== 200) {
      throw new ProtocolError(`etcd at ${origin} answered ${path} with HTTP ${reply.status}: ${quoteServerText(serverError)}`);
    }
    return reply;
  }

  /** Concurrent calls (`list C1 C2 …`) share one authentication: each costs etcd a bcrypt. */
  private authenticate(origin: string): Promise<void> {
    if (!this.authenticating) {
      this.authenticating = this.authenticateOnce(origin).finally(() => (this.authenticating = undefined));
    }
    return this.authenticating;
  }

  private async authenticateOnce(origin: string): Promise<void> {
    const creds = await this.credentials();
    if (!creds) return;
    const reply = await this.post(origin, '/v3/auth/authenticate', { name: creds.username, password: creds.password });
    const token = reply.json['token'];
    if (reply.status !== 200 || typeof token !== 'string') {
      throw new TlsOrAuthError(
        `etcd at ${origin} rejected the username/password for user "${creds.username}"`,
        'check dcs.username in the profile and PATROL_DCS_PASSWORD',
      );
    }
    this.token = token;
  }

  private async post(origin: string, path: string, body: unknown, stateChanging = false): Promise<GatewayReply> {
    let reply;
    try {
      reply = await this.transport.request({
        method: 'POST',
        url: `${origin}${path}`,
        json: body,
        ...(this.token ? { headers: { authorization: this.token } } : {}),
      });
    } catch (error) {
      if (error instanceof TransportFailure) throw failureToError(error, `etcd at ${origin}`, stateChanging);
      throw error;
    }
    if (reply.status >= 300 && reply.status < 400) {
      throw new ProtocolError(`etcd at ${origin} answered with a redirect (HTTP ${reply.status}); patrol does not follow redirects`);
    }
    let json: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(reply.body || '{}');
      json = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    } catch {
      throw new ProtocolError(`etcd at ${origin} answered ${path} with something that is not JSON (is this the etcd client URL?)`);
    }
    return { status: reply.status, json };
  }
}
