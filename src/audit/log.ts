// The local audit log: one JSON line per state-changing action (sent, refused, declined or
// failed), so teams that script maintenance can tell who did what, when, to which cluster, and
// how it ended. Lines carry names, paths and outcomes — never a secret: request bodies are
// reduced to a summary built from an allow-list of known-harmless fields, and error text is
// redacted before it is stored.
//
// The file is $PATROL_STATE_DIR/audit.log (default $XDG_STATE_HOME/patrol or
// ~/.local/state/patrol), 0600 in a 0700 directory whatever the umask, written with O_APPEND in
// one write per line, and rotated by size (audit.log.1 … audit.log.N).

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ExitCode } from '../errors.js';
import { redact } from '../secrets/redact.js';

export const AUDIT_FILE = 'audit.log';
export const DEFAULT_AUDIT_MAX_BYTES = 1024 * 1024;
/** Rotated files kept besides the live one. */
export const DEFAULT_AUDIT_KEEP = 3;

export function stateDir(env: NodeJS.ProcessEnv): string {
  if (env['PATROL_STATE_DIR']) return path.resolve(env['PATROL_STATE_DIR']);
  const base = env['XDG_STATE_HOME'] ? env['XDG_STATE_HOME'] : path.join(env['HOME'] ?? os.homedir(), '.local', 'state');
  return path.join(base, 'patrol');
}

export function auditLogPath(env: NodeJS.ProcessEnv): string {
  return path.join(stateDir(env), AUDIT_FILE);
}

export type AuditOutcome = 'succeeded' | 'declined' | 'refused' | 'failed' | 'unknown' | 'interrupted';

export interface AuditRequest {
  member: string;
  method: string;
  path: string;
  /** What the request asked for, from an allow-list of fields; never free-form values. */
  summary: Record<string, unknown> | null;
  /** HTTP status, or null when nothing came back (not sent, or no answer). */
  status: number | null;
  outcome: string | null;
}

export interface AuditEntry {
  time: string;
  user: string;
  host: string;
  profile: string;
  cluster: string;
  action: string;
  targets: string[];
  /** True when the action wrote the DCS directly (--via-dcs) instead of using the REST API. */
  viaDcs: boolean;
  requests: AuditRequest[];
  outcome: AuditOutcome;
  exitCode: number;
  /** The one-line error patrol printed, redacted; null on success. */
  error: string | null;
  durationMs: number;
  patrolVersion: string;
}

// Body fields whose values are operational choices (names, times, flags), safe to record as is.
// Anything else — above all a configuration patch, which may hold passwords or connection
// strings — is recorded by key path only.
const RECORDED_VALUES = new Set(['leader', 'candidate', 'member', 'scheduled_at', 'schedule', 'restart_pending', 'postgres_version', 'timeout', 'force', 'from_leader', 'pause', 'role']);

function keyPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [prefix];
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return [prefix];
  return entries.flatMap(([key, inner]) => keyPaths(inner, prefix ? `${prefix}.${key}` : key));
}

/** A secret-free description of a request body. */
export function summarizeBody(body: unknown, path: string): Record<string, unknown> | null {
  if (body === undefined || body === null) return null;
  if (typeof body !== 'object' || Array.isArray(body)) return { kind: typeof body };
  if (path === '/config') return { changedKeys: keyPaths(body).filter((k) => k !== '').sort() };
  const summary: Record<string, unknown> = {};
  const withheld: string[] = [];
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const scalar = value === null || ['string', 'number', 'boolean'].includes(typeof value);
    if (RECORDED_VALUES.has(key) && scalar) summary[key] = typeof value === 'string' ? redact(value) : value;
    else withheld.push(key);
  }
  if (withheld.length) summary['otherKeys'] = withheld.sort();
  return summary;
}

export function outcomeForExitCode(code: number): AuditOutcome {
  switch (code) {
    case ExitCode.ok:
      return 'succeeded';
    case ExitCode.declined:
      return 'declined';
    case ExitCode.usage:
    case ExitCode.preconditionRefused:
    case ExitCode.tlsOrAuth:
      return 'refused';
    case ExitCode.outcomeUnknown:
      return 'unknown';
    case ExitCode.interrupted:
      return 'interrupted';
    default:
      return 'failed';
  }
}

export interface ActionStart {
  profile: string;
  cluster: string;
  action: string;
  targets: string[];
  viaDcs: boolean;
  requests: Array<{ member: string; method: string; path: string; body?: unknown }>;
}

export interface AuditIdentity {
  user: string;
  host: string;
  patrolVersion: string;
}

/** Commands that change cluster state: refused before planning, they are still logged. */
export const AUDITED_COMMANDS: ReadonlySet<string> = new Set(['switchover', 'failover', 'restart', 'reload', 'reinit', 'pause', 'resume', 'flush', 'edit-config']);

export function currentIdentity(version: string): AuditIdentity {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (containers): the uid still identifies the caller.
    user = `uid:${process.getuid?.() ?? 'unknown'}`;
  }
  return { user, host: os.hostname(), patrolVersion: version };
}

/**
 * Collects one action's record: begun when the action is confirmed-or-refused (not on dry-run),
 * updated as each request is answered, written once when the command ends with its exit code.
 */
export class AuditTrail {
  private started: { at: Date; action: ActionStart; requests: AuditRequest[] } | undefined;
  private readonly created: Date;
  private session: { profile: string; cluster: string } | undefined;

  constructor(
    private readonly identity: AuditIdentity,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.created = now();
  }

  /** The profile a command opened, for actions refused before they were planned. */
  noteSession(profile: string, cluster: string): void {
    this.session ??= { profile, cluster };
  }

  /**
   * The entry for a state-changing command that failed before any plan existed (the cluster
   * refused by patrol's planning, a bad flag, an unreachable cluster): who tried what, and why
   * it stopped. Undefined when a plan began (finish() has the full record) or nothing failed.
   */
  finishUnplanned(command: string, exitCode: number, errorLine: string | undefined): AuditEntry | undefined {
    if (this.started || exitCode === 0 || !AUDITED_COMMANDS.has(command)) return undefined;
    return {
      time: this.created.toISOString(),
      user: this.identity.user,
      host: this.identity.host,
      profile: this.session?.profile ?? '',
      cluster: this.session?.cluster ?? '',
      action: command,
      targets: [],
      viaDcs: false,
      requests: [],
      outcome: outcomeForExitCode(exitCode),
      exitCode,
      error: errorLine === undefined ? null : redact(errorLine),
      durationMs: Math.max(0, this.now().getTime() - this.created.getTime()),
      patrolVersion: this.identity.patrolVersion,
    };
  }

  get active(): boolean {
    return this.started !== undefined;
  }

  begin(action: ActionStart): void {
    // One command, one line: a second begin (e.g. a rolling restart's inner switchover plan) adds
    // its requests to the same record.
    const requests = action.requests.map((r) => ({ member: r.member, method: r.method, path: r.path, summary: summarizeBody(r.body, r.path), status: null, outcome: null }));
    if (this.started) {
      this.started.requests.push(...requests);
      for (const t of action.targets) if (!this.started.action.targets.includes(t)) this.started.action.targets.push(t);
      return;
    }
    this.started = { at: this.now(), action: { ...action, targets: [...action.targets] }, requests };
  }

  recordReply(member: string, method: string, path: string, status: number | null, outcome: string): void {
    const pending = this.started?.requests.find((r) => r.member === member && r.method === method && r.path === path && r.outcome === null);
    if (pending) {
      pending.status = status;
      pending.outcome = outcome;
    }
  }

  /** The finished entry, or undefined when no action began (read-only commands, dry runs). */
  finish(exitCode: number, errorLine: string | undefined): AuditEntry | undefined {
    if (!this.started) return undefined;
    const { at, action, requests } = this.started;
    this.started = undefined;
    return {
      time: at.toISOString(),
      user: this.identity.user,
      host: this.identity.host,
      profile: action.profile,
      cluster: action.cluster,
      action: action.action,
      targets: action.targets,
      viaDcs: action.viaDcs,
      // A request still without an answer here was never sent (refused, declined, or stopped
      // before its turn).
      requests: requests.map((r) => (r.outcome === null ? { ...r, outcome: 'not-sent' } : r)),
      outcome: outcomeForExitCode(exitCode),
      exitCode,
      error: errorLine === undefined ? null : redact(errorLine),
      durationMs: Math.max(0, this.now().getTime() - at.getTime()),
      patrolVersion: this.identity.patrolVersion,
    };
  }
}

export interface RotationPolicy {
  maxBytes: number;
  keep: number;
}

async function rotate(file: string, keep: number): Promise<void> {
  for (let i = keep - 1; i >= 1; i--) {
    await fs.rename(`${file}.${i}`, `${file}.${i + 1}`).catch(() => undefined);
  }
  await fs.rename(file, `${file}.1`).catch(() => undefined);
}

/** Append one line; rotate first when the line would push the file past maxBytes. */
export async function appendAuditEntry(file: string, entry: AuditEntry, policy: RotationPolicy = { maxBytes: DEFAULT_AUDIT_MAX_BYTES, keep: DEFAULT_AUDIT_KEEP }): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
  const line = `${JSON.stringify(entry)}\n`;
  const size = await fs.stat(file).then((s) => s.size, () => 0);
  if (size > 0 && size + Buffer.byteLength(line) > policy.maxBytes) await rotate(file, policy.keep);
  // O_APPEND: concurrent patrol runs each add whole lines; mode 0600 is forced with fchmod
  // because the open mode is filtered by the umask.
  const handle = await fs.open(file, 'a', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.write(line);
  } finally {
    await handle.close();
  }
}

export interface AuditReadResult {
  entries: AuditEntry[];
  /** Lines that are not valid entries (a torn write, manual edits). */
  skipped: number;
}

/** Every entry, oldest first, across the rotated files. */
export async function readAuditLog(file: string, keep = DEFAULT_AUDIT_KEEP): Promise<AuditReadResult> {
  const files = [...Array.from({ length: keep }, (_, i) => `${file}.${keep - i}`), file];
  const entries: AuditEntry[] = [];
  let skipped = 0;
  for (const f of files) {
    let text: string;
    try {
      text = await fs.readFile(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const parsed = JSON.parse(line) as AuditEntry;
        if (typeof parsed.time === 'string' && typeof parsed.action === 'string') entries.push(parsed);
        else skipped++;
      } catch {
        skipped++;
      }
    }
  }
  return { entries, skipped };
}

const RELATIVE = /^(\d+)\s*(m|min|h|d|w)$/u;
const UNIT_MS: Record<string, number> = { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** --since: an ISO date/time, or a duration back from now (30m, 12h, 7d, 2w). */
export function parseSince(value: string, now: Date): Date | undefined {
  const relative = RELATIVE.exec(value.trim());
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2]!]!);
  if (!/^\d{4}-\d{2}-\d{2}/u.test(value.trim())) return undefined;
  const parsed = new Date(value.trim());
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}
