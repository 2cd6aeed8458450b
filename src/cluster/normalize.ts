// Small pure helpers shared by the REST and DCS decoders. Input is untrusted JSON: every field is
// type-checked and anything unexpected is dropped rather than trusted.

import type { MemberRole, ScheduledRestart } from './model.js';

export type Json = Record<string, unknown>;

export function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asInteger(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,15}$/u.test(value)) return Number(value);
  return undefined;
}

/** Lag values are bytes, or the string "unknown" (→ null). */
export function asLag(value: unknown): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'unknown' || value === null) return null;
  const n = asInteger(value);
  return n === undefined ? null : Math.max(0, n);
}

/** Patroni 3.x says master, 4.x says primary; /cluster says leader. All mean the same here. */
export function normalizeRole(value: unknown): MemberRole {
  switch (value) {
    case 'leader':
    case 'master':
    case 'primary':
      return 'leader';
    case 'standby_leader':
    case 'standby-leader':
      return 'standby_leader';
    case 'sync_standby':
      return 'sync_standby';
    case 'quorum_standby':
      return 'quorum_standby';
    default:
      return 'replica';
  }
}

export function parseScheduledRestart(value: unknown): ScheduledRestart | undefined {
  const record = asObject(value);
  const schedule = asString(record?.['schedule']);
  if (!record || !schedule) return undefined;
  const version = asString(record['postgres_version']);
  return version ? { schedule, postgresVersion: version } : { schedule };
}

export function parseTags(value: unknown): Record<string, unknown> {
  return asObject(value) ?? {};
}

/** Host and port from a libpq URL such as postgres://10.0.0.1:5432/postgres. */
export function hostPortFromConnUrl(connUrl: string | undefined): { host?: string; port?: number } {
  if (!connUrl) return {};
  try {
    const url = new URL(connUrl);
    const host = url.hostname.replace(/^\[|\]$/gu, '');
    const port = url.port ? Number(url.port) : 5432;
    return host ? { host, port } : {};
  } catch {
    return {};
  }
}
