// The single hardened HTTPS transport behind both the Patroni REST client and the etcd client.
// Policy lives here so no caller can forget it: TLS >= 1.2 with verification always on, no
// redirects, no automatic retries, bounded time and bounded response size, and credentials only
// on https. Failures come back as TransportFailure, built from error codes, never from the raw
// library error (whose options object holds the request headers).
//
// Built on node:https directly. An HTTP library (got) cost ~40 ms of every run — its module tree,
// and an eager TLS socket that loads the system root store — for features patrol turns off
// (redirects, retries, caching, HTTP/2, decompression).

import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { checkServerIdentity, type PeerCertificate, rootCertificates, type TLSSocket } from 'node:tls';
import { checkPeerPin, checkSocketPin, PIN_MISMATCH_CODE } from './pinning.js';
import { armQuickAck } from './quickack.js';
import type { TlsMaterial } from './tls.js';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

// Without a profile CA, trust Node's bundled roots, passed explicitly: Node adds
// NODE_EXTRA_CA_CERTS only to its *default* store, so an explicit list keeps an environment
// variable from widening what patrol trusts. (Built on first use: parsing them takes a while.)
let bundledRoots: string[] | undefined;
const BUNDLED_ROOTS = (): string[] => (bundledRoots ??= [...rootCertificates]);

export interface TransportLimits {
  connectTimeoutMs: number;
  /** Time allowed for the server to start answering once the request is sent. */
  responseTimeoutMs: number;
  maxResponseBytes: number;
}

export const DEFAULT_LIMITS: TransportLimits = {
  connectTimeoutMs: 5_000,
  responseTimeoutMs: 15_000,
  maxResponseBytes: 4 * 1024 * 1024,
};

export interface HttpRequest {
  method: Method;
  url: string;
  /** Serialized JSON body; sent with Content-Type application/json. */
  json?: unknown;
  headers?: Record<string, string>;
  /** Basic credentials; refused unless the URL is https. */
  basicAuth?: { username: string; password: string };
  /** Overrides limits.responseTimeoutMs (actions that block server-side need longer). */
  responseTimeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  body: string;
  contentType: string | undefined;
}

export type FailureKind =
  | 'tls' // certificate or handshake problem: nothing was processed by the server
  | 'unreachable' // refused, DNS, connect timeout: nothing was sent
  | 'timeout' // the server accepted the request but did not answer in time
  | 'connection-lost' // the connection broke after the request was sent
  | 'too-large' // the response exceeded maxResponseBytes
  | 'refused-credentials'; // patrol refused to send credentials (not https)

export class TransportFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    /** A short, secret-free description (an error code or phase). */
    readonly detail: string,
    /** True when the server may have received and acted on the request. */
    readonly mayHaveReachedServer: boolean,
    readonly origin: string,
  ) {
    super(`${kind}: ${detail}`);
    this.name = 'TransportFailure';
  }
}

export type DebugLog = (line: string) => void;

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|HOSTNAME|EPROTO|DEPTH_ZERO|ERR_OSSL/u;
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'ENETUNREACH', 'ENETDOWN', 'EHOSTUNREACH', 'EHOSTDOWN', 'EADDRNOTAVAIL', 'ETIMEDOUT']);
const UNSENT_TIMEOUT_PHASES = new Set(['lookup', 'connect', 'secureConnect']);

export class HttpTransport {
  private readonly agent: Agent;

  constructor(
    private readonly tls: TlsMaterial,
    private readonly limits: TransportLimits = DEFAULT_LIMITS,
    private readonly debug: DebugLog = () => undefined,
    private readonly userAgent = 'patrol',
  ) {
    // A dedicated keep-alive agent: repeated calls to one member reuse the TLS session, and
    // close() can end every socket so the CLI exits promptly.
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 8,
      // Node skips checkServerIdentity (where pins are checked) on a resumed TLS session: with
      // pins, every new connection does a full handshake.
      ...(tls.pins?.length ? { maxCachedSessions: 0 } : {}),
    });
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const started = Date.now();
    const url = new URL(req.url);
    const origin = url.origin;
    try {
      const response = await new Promise<HttpResponse>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let received = 0;
        this.open(req, url, reject, (res, abort) => {
          const declared = Number(res.headers['content-length'] ?? 0);
          const tooLarge = (): void => abort(new TransportFailure('too-large', `response larger than ${this.limits.maxResponseBytes} bytes`, true, origin));
          if (Number.isFinite(declared) && declared > this.limits.maxResponseBytes) return tooLarge();
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > this.limits.maxResponseBytes) tooLarge();
            else chunks.push(chunk);
          });
          res.on('end', () => {
            const contentType = res.headers['content-type'];
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), contentType });
          });
        });
      });
      this.debug(`${req.method} ${origin}${url.pathname} -> ${response.status} (${Date.now() - started} ms)`);
      return response;
    } catch (error) {
      const failure = error instanceof TransportFailure ? error : classifyError(error, origin);
      this.debug(`${req.method} ${origin}${url.pathname} failed: ${failure.kind} (${failure.detail}) after ${Date.now() - started} ms`);
      throw failure;
    }
  }

  /**
   * Send one request under the transport's policy and hand its response to `onResponse`, or
   * report a failure through `fail` (classified, or a TransportFailure). `abort` ends the
   * exchange with a failure (an oversized answer).
   */
  private open(
    req: HttpRequest,
    url: URL,
    fail: (error: unknown) => void,
    onResponse: (res: IncomingMessage, abort: (error: TransportFailure) => void) => void,
    /** False for a long-lived stream: the caller bounds it (idle deadline, message size). */
    wholeBodyDeadline = true,
  ): void {
    const origin = url.origin;
    const headers: OutgoingHttpHeaders = { 'user-agent': this.userAgent, accept: 'application/json', ...req.headers };
    if (req.basicAuth) {
      if (url.protocol !== 'https:') {
        fail(new TransportFailure('refused-credentials', 'credentials are only sent over https', false, origin));
        return;
      }
      headers['authorization'] = `Basic ${Buffer.from(`${req.basicAuth.username}:${req.basicAuth.password}`).toString('base64')}`;
    }
    if (url.protocol !== 'https:') {
      // Profiles and member trust already refuse http; this is the last line.
      fail(new TransportFailure('tls', 'the URL is not https', false, origin));
      return;
    }
    // A method that allows a body always sends one (Content-Length: 0 when empty), so no server
    // waits for a body that never comes.
    const body = req.json !== undefined ? Buffer.from(JSON.stringify(req.json)) : req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.alloc(0);
    if (req.json !== undefined) headers['content-type'] = 'application/json';
    if (body) headers['content-length'] = body.length;
    const pins = this.tls.pins?.length ? this.tls.pins : undefined;
    const responseTimeout = req.responseTimeoutMs ?? this.limits.responseTimeoutMs;

    // What happened so far decides how a failure is classified (see classifyError).
    const timings: { secureConnect?: number; upload?: number } = {};
    let phase: 'lookup' | 'connect' | 'secureConnect' | 'send' | 'response' | 'read' = 'lookup';
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const arm = (ms: number): void => {
      clearTimeout(timer);
      timer = setTimeout(() => request.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError', event: phase })), ms);
    };
    const disarm = (): void => clearTimeout(timer);
    const failOnce = (error: unknown): void => {
      disarm();
      if (settled) return;
      settled = true;
      fail(error instanceof TransportFailure ? error : classifyError(describeForClassification(error, timings), origin));
    };

    const request: ClientRequest = httpsRequest(url, {
      method: req.method,
      headers,
      agent: this.agent,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ca: this.tls.ca ?? BUNDLED_ROOTS(),
      ...(pins ? { checkServerIdentity: (host: string, cert: PeerCertificate) => checkServerIdentity(host, cert) ?? checkPeerPin(cert, pins) } : {}),
      ...(this.tls.cert ? { cert: this.tls.cert } : {}),
      ...(this.tls.key ? { key: this.tls.key } : {}),
    });
    armQuickAck(request);
    request.on('socket', (socket: Socket) => {
      const tlsSocket = socket as TLSSocket;
      if (request.reusedSocket || !tlsSocket.connecting) {
        // A keep-alive socket handed to this request did its handshake for an earlier one: check
        // its key again before the request is written to it.
        timings.secureConnect = Date.now();
        const mismatch = pins ? checkSocketPin(tlsSocket, pins) : undefined;
        if (mismatch) {
          request.destroy(mismatch);
          return;
        }
        phase = 'send';
        arm(this.limits.connectTimeoutMs * 2);
        return;
      }
      arm(this.limits.connectTimeoutMs);
      socket.once('lookup', () => (phase = 'connect'));
      socket.once('connect', () => (phase = 'secureConnect'));
      tlsSocket.once('secureConnect', () => {
        timings.secureConnect = Date.now();
        phase = 'send';
        arm(this.limits.connectTimeoutMs * 2);
      });
    });
    request.on('finish', () => {
      timings.upload = Date.now();
      phase = 'response';
      arm(responseTimeout);
    });
    request.on('error', failOnce);
    request.on('response', (res: IncomingMessage) => {
      if (pins) {
        const mismatch = res.socket ? checkSocketPin(res.socket as TLSSocket, pins) : checkPeerPin(undefined, pins);
        if (mismatch) {
          request.destroy();
          failOnce(new TransportFailure('tls', PIN_MISMATCH_CODE, true, origin));
          return;
        }
      }
      phase = 'read';
      // One deadline for the whole body, not an idle timer: a server dripping a byte at a time
      // must not hold patrol forever (test/security/limits.test.ts).
      if (wholeBodyDeadline) arm(responseTimeout);
      else disarm();
      res.on('end', disarm);
      res.on('error', failOnce);
      res.on('aborted', () => failOnce(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
      onResponse(res, (error) => {
        request.destroy();
        failOnce(error);
      });
    });
    request.end(body);
  }

  /**
   * A long-lived streaming response (etcd's watch) under the same TLS policy as request(). The
   * connect and first-byte deadlines apply; after that the body has no deadline, so the caller
   * must bound it (an idle timer, a cap per message) and call close(). Chunks go to onChunk;
   * `done` settles when the stream ends (rejects with a TransportFailure when it breaks).
   */
  async stream(req: HttpRequest, onChunk: (chunk: Buffer) => void): Promise<HttpStream> {
    const url = new URL(req.url);
    let closed = false;
    let endStream: (() => void) | undefined;
    let breakStream: ((error: TransportFailure) => void) | undefined;
    const done = new Promise<void>((resolve, reject) => {
      endStream = resolve;
      breakStream = reject;
    });
    done.catch(() => undefined); // observed by the caller when it cares
    return new Promise<HttpStream>((resolve, reject) => {
      let opened = false;
      const fail = (error: unknown): void => {
        const failure = error instanceof TransportFailure ? error : classifyError(error, url.origin);
        if (!opened) reject(failure);
        else if (closed) endStream!();
        else breakStream!(failure);
      };
      this.open(
        req,
        url,
        fail,
        (res) => {
          opened = true;
          this.debug(`${req.method} ${url.origin}${url.pathname} -> ${res.statusCode ?? 0} (stream)`);
          res.on('data', (chunk: Buffer) => {
            if (!closed) onChunk(chunk);
          });
          res.on('end', () => endStream!());
          resolve({
            status: res.statusCode ?? 0,
            done,
            close: () => {
              closed = true;
              res.destroy();
              endStream!();
            },
          });
        },
        false,
      );
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface HttpStream {
  status: number;
  /** Resolves when the stream ends or is closed; rejects with a TransportFailure when it breaks. */
  done: Promise<void>;
  close(): void;
}

/** The fields classifyError reads, and nothing else (the raw error may carry request details). */
function describeForClassification(error: unknown, timings: { secureConnect?: number; upload?: number }): Parameters<typeof classifyError>[0] {
  const err = (error ?? {}) as { code?: unknown; name?: unknown; event?: unknown; cause?: { code?: unknown } };
  return {
    ...(typeof err.code === 'string' ? { code: err.code } : {}),
    ...(typeof err.name === 'string' ? { name: err.name } : {}),
    ...(typeof err.event === 'string' ? { event: err.event } : {}),
    ...(typeof err.cause?.code === 'string' ? { cause: { code: err.cause.code } } : {}),
    timings: { ...timings },
  };
}

/** Turn a Node error (or a got-shaped one) into a TransportFailure using only its code and phase. */
export function classifyError(error: unknown, origin: string): TransportFailure {
  const err = error as {
    code?: string;
    name?: string;
    event?: string;
    cause?: { code?: string };
    timings?: { secureConnect?: number; upload?: number };
  };
  const code = String(err.cause?.code ?? err.code ?? err.name ?? 'unknown');
  if (err.name === 'TimeoutError') {
    const phase = err.event ?? 'request';
    return UNSENT_TIMEOUT_PHASES.has(phase)
      ? new TransportFailure('unreachable', `timed out during ${phase}`, false, origin)
      : new TransportFailure('timeout', `no answer in time (${phase})`, true, origin);
  }
  if (UNREACHABLE_CODES.has(code) && err.timings?.upload === undefined) return new TransportFailure('unreachable', code, false, origin);
  if (TLS_CODES.test(code)) return new TransportFailure('tls', code, false, origin);
  // A reset before the TLS handshake finished is a handshake failure (often the server rejecting
  // our client certificate); after the request went out it means the outcome is unknown.
  const handshakeDone = err.timings?.secureConnect !== undefined;
  if (!handshakeDone) {
    return ['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE'].includes(code)
      ? new TransportFailure('tls', `${code} during TLS handshake`, false, origin)
      : new TransportFailure('unreachable', code, false, origin);
  }
  const requestSent = err.timings?.upload !== undefined;
  if (!requestSent) return new TransportFailure('connection-lost', `${code} before the request was sent`, false, origin);
  return new TransportFailure('connection-lost', code, true, origin);
}
