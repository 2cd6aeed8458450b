// The single hardened HTTPS transport behind both the Patroni REST client and the etcd client.
// Policy lives here so no caller can forget it: TLS >= 1.2 with verification always on, no
// redirects, no automatic retries, bounded time and bounded response size, and credentials only
// on https. Failures come back as TransportFailure, built from error codes, never from the raw
// library error (whose options object holds the request headers).

import { Agent } from 'node:https';
import type { Method } from 'got';
import type { TlsMaterial } from './tls.js';

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
    this.agent = new Agent({ keepAlive: true, maxSockets: 8 });
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url);
    const origin = url.origin;
    const headers: Record<string, string> = { 'user-agent': this.userAgent, accept: 'application/json', ...req.headers };
    if (req.basicAuth) {
      if (url.protocol !== 'https:') {
        throw new TransportFailure('refused-credentials', 'credentials are only sent over https', false, origin);
      }
      headers['authorization'] = `Basic ${Buffer.from(`${req.basicAuth.username}:${req.basicAuth.password}`).toString('base64')}`;
    }
    const responseTimeout = req.responseTimeoutMs ?? this.limits.responseTimeoutMs;
    const started = Date.now();
    // Stream mode: headers arrive before the body, so a declared or actual size over the cap
    // aborts the download instead of buffering it.
    // A stream-mode request with a method that allows a body waits for one; send an empty body
    // (Content-Length: 0) rather than leave the request open.
    const bodyOption = req.json !== undefined ? { json: req.json } : req.method === 'GET' || req.method === 'HEAD' ? {} : { body: '' };
    const { default: got } = await import('got'); // loaded on first request only
    const stream = got.stream(url, {
      method: req.method,
      headers,
      ...bodyOption,
      agent: { https: this.agent },
      https: {
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        ...(this.tls.ca ? { certificateAuthority: this.tls.ca } : {}),
        ...(this.tls.cert ? { certificate: this.tls.cert } : {}),
        ...(this.tls.key ? { key: this.tls.key } : {}),
      },
      followRedirect: false,
      retry: { limit: 0 },
      throwHttpErrors: false,
      decompress: false,
      timeout: {
        lookup: this.limits.connectTimeoutMs,
        connect: this.limits.connectTimeoutMs,
        secureConnect: this.limits.connectTimeoutMs,
        send: this.limits.connectTimeoutMs * 2,
        response: responseTimeout,
        read: responseTimeout,
      },
    });
    try {
      const response = await new Promise<HttpResponse>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let received = 0;
        let status = 0;
        let contentType: string | undefined;
        const tooLarge = (): void => {
          stream.destroy();
          reject(new TransportFailure('too-large', `response larger than ${this.limits.maxResponseBytes} bytes`, true, origin));
        };
        stream.on('response', (res: { statusCode: number; headers: Record<string, string | string[] | undefined> }) => {
          status = res.statusCode;
          contentType = typeof res.headers['content-type'] === 'string' ? res.headers['content-type'] : undefined;
          const declared = Number(res.headers['content-length'] ?? 0);
          if (Number.isFinite(declared) && declared > this.limits.maxResponseBytes) tooLarge();
        });
        stream.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > this.limits.maxResponseBytes) tooLarge();
          else chunks.push(chunk);
        });
        stream.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8'), contentType }));
        stream.on('error', (error: unknown) => reject(error instanceof TransportFailure ? error : classifyError(error, origin)));
      });
      this.debug(`${req.method} ${origin}${url.pathname} -> ${response.status} (${Date.now() - started} ms)`);
      return response;
    } catch (error) {
      const failure = error instanceof TransportFailure ? error : classifyError(error, origin);
      this.debug(`${req.method} ${origin}${url.pathname} failed: ${failure.kind} (${failure.detail}) after ${Date.now() - started} ms`);
      throw failure;
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Turn a got/Node error into a TransportFailure using only its code and phase. */
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
