// Patroni REST API client. Reads go to the profile's seed URLs (in order, the next one on a
// failure) or to a member's trusted api_url; state-changing requests carry basic auth and are
// sent exactly once — never retried, whatever happens.

import { ProtocolError, type PatrolError, TlsOrAuthError, UsageError } from '../errors.js';
import { failureToError } from '../net/failure.js';
import { type HttpTransport, TransportFailure } from '../net/transport.js';
import { registerSecret, redact } from '../secrets/redact.js';
import { sanitizeForTerminal } from '../ui/sanitize.js';

export type UnsafeMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface BasicCredentials {
  username: string;
  password: string;
}

export interface RawReply {
  status: number;
  /** Server text, raw (sanitize before printing). */
  body: string;
  origin: string;
}

export interface PatroniApi {
  /** GET path from the first seed that answers. */
  getFromSeeds(path: string): Promise<{ json: unknown; origin: string }>;
  /** GET path from one specific origin (a seed or a trusted member origin). */
  getJson(origin: string, path: string): Promise<unknown>;
  /** One state-changing request, sent once, with basic auth when configured. */
  send(origin: string, method: UnsafeMethod, path: string, body?: unknown, responseTimeoutMs?: number): Promise<RawReply>;
}

/** The longest server text patrol will quote in an error line. */
const MAX_QUOTED = 200;

export function quoteServerText(text: string): string {
  // A hostile server may echo the credentials it was sent; they must not reach logs or terminals.
  const oneLine = redact(text).trim().replace(/\s+/gu, ' ');
  const cut = oneLine.length > MAX_QUOTED ? `${oneLine.slice(0, MAX_QUOTED)}…` : oneLine;
  return sanitizeForTerminal(cut);
}

export class PatroniRestClient implements PatroniApi {
  constructor(
    private readonly transport: HttpTransport,
    private readonly seeds: string[],
    private readonly credentials: () => Promise<BasicCredentials | undefined>,
  ) {}

  async getFromSeeds(path: string): Promise<{ json: unknown; origin: string }> {
    const errors: PatrolError[] = [];
    for (const origin of this.seeds) {
      try {
        return { json: await this.getJson(origin, path), origin };
      } catch (error) {
        if (!(error instanceof TransportFailure) && !isPatrolError(error)) throw error;
        errors.push(error instanceof TransportFailure ? failureToError(error, `Patroni REST API at ${origin}`, false) : error);
      }
    }
    // Report the most telling failure: a TLS/auth problem beats "unreachable" because it needs
    // the operator's attention even if other seeds were merely down.
    errors.sort((a, b) => severity(b) - severity(a));
    throw errors[0] ?? new UsageError('the profile has no REST URL');
  }

  async getJson(origin: string, path: string): Promise<unknown> {
    const what = `Patroni REST API at ${origin}`;
    let reply;
    try {
      reply = await this.transport.request({ method: 'GET', url: `${origin}${path}` });
    } catch (error) {
      if (error instanceof TransportFailure) throw failureToError(error, what, false);
      throw error;
    }
    if (reply.status === 401 || reply.status === 403) {
      throw new TlsOrAuthError(`${what} refused GET ${path} (HTTP ${reply.status}: ${quoteServerText(reply.body)})`, 'check the client certificate in the profile');
    }
    if (reply.status >= 300 && reply.status < 400) {
      throw new ProtocolError(`${what} answered GET ${path} with a redirect (HTTP ${reply.status}); patrol does not follow redirects`);
    }
    if (reply.status !== 200) {
      throw new ProtocolError(`${what} answered GET ${path} with HTTP ${reply.status}: ${quoteServerText(reply.body)}`);
    }
    try {
      return JSON.parse(reply.body);
    } catch {
      throw new ProtocolError(`${what} answered GET ${path} with something that is not JSON`);
    }
  }

  async send(origin: string, method: UnsafeMethod, path: string, body?: unknown, responseTimeoutMs?: number): Promise<RawReply> {
    const basicAuth = await this.credentials();
    // The password alone is registered by the secret source; the header carries user:password.
    if (basicAuth) registerSecret(`${basicAuth.username}:${basicAuth.password}`);
    let reply;
    try {
      reply = await this.transport.request({
        method,
        url: `${origin}${path}`,
        ...(body !== undefined ? { json: body } : {}),
        ...(basicAuth ? { basicAuth } : {}),
        ...(responseTimeoutMs !== undefined ? { responseTimeoutMs } : {}),
      });
    } catch (error) {
      if (error instanceof TransportFailure) throw failureToError(error, `Patroni REST API at ${origin}`, true);
      throw error;
    }
    if (reply.status === 401 || reply.status === 403) {
      throw new TlsOrAuthError(
        `Patroni REST API at ${origin} refused ${method} ${path} (HTTP ${reply.status}: ${quoteServerText(reply.body)})`,
        basicAuth ? 'check the REST username and password' : 'the server wants basic auth: set rest.username in the profile and supply the password',
      );
    }
    return { status: reply.status, body: reply.body, origin };
  }
}

function isPatrolError(error: unknown): error is PatrolError {
  return error instanceof Error && 'exitCode' in error;
}

function severity(error: PatrolError): number {
  return error instanceof TlsOrAuthError ? 3 : error instanceof ProtocolError ? 2 : 1;
}
