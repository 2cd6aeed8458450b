// Carrying out an ActionPlan: confirmation (or a clear refusal when nobody can confirm), dry-run,
// endpoint trust checked for every request before the first is sent, and each request sent
// exactly once. Results are collected per member; the caller decides what to verify next.

import type { ActionPlan, PlannedRequest } from '../cluster/plan.js';
import type { Cluster } from '../cluster/model.js';
import { listDocument } from '../commands/list.js';
import type { Context, Session } from '../context.js';
import { DeclinedError, ExitCode, type ExitCodeValue, PatrolError, UsageError } from '../errors.js';
import { quoteServerText } from '../patroni/client.js';
import { trustedMemberOrigin } from '../patroni/trust.js';
import { type Document, render } from '../ui/format.js';
import type { Format } from '../ui/format.js';
import { sanitizeForTerminal } from '../ui/sanitize.js';
import { judgeReply, type ReplyOutcome } from './reply.js';
import type { AuditTrail } from '../audit/log.js';

// The audit trail a prepared action reports its replies to, keyed by the origins map prepare()
// hands out (sendOnce receives that map, not the Context).
const auditedOrigins = new WeakMap<Map<string, string>, AuditTrail>();

/** Open the action's audit record: from here on, whatever happens is logged when patrol exits. */
export function beginAudit(ctx: Context, session: Session, plan: ActionPlan, dcsWrite?: { key: string; value: unknown }): void {
  ctx.audit?.begin({
    profile: session.profileName,
    cluster: plan.cluster,
    action: plan.action,
    targets: [...new Set(plan.requests.map((r) => r.member))],
    viaDcs: dcsWrite !== undefined,
    requests: dcsWrite ? [{ member: '(dcs)', method: 'CAS', path: dcsWrite.key, body: dcsWrite.value }] : plan.requests,
  });
}

export interface ActionFlags {
  yes: boolean;
  dryRun: boolean;
  format: Format;
}

export interface RequestResult {
  member: string;
  method: string;
  path: string;
  status: number | null;
  outcome: ReplyOutcome | 'not-sent';
  message: string;
  exitCode: ExitCodeValue;
}

/** Ask for confirmation on a terminal; without one, refuse unless --yes was given. */
export async function confirmPlan(ctx: Context, plan: ActionPlan, flags: ActionFlags, showFirst?: Cluster): Promise<void> {
  if (flags.yes) return;
  if (!ctx.term.canPrompt) {
    throw new UsageError(
      `refusing to ${plan.action} without confirmation: no terminal to ask on`,
      'pass --yes to confirm (or --dry-run to see the requests); nothing was sent',
    );
  }
  // The operator decides looking at the cluster as it is now.
  if (showFirst) ctx.term.note(render('pretty', listDocument(showFirst, false)));
  const ok = await ctx.prompter.confirm(`Are you sure you want to ${plan.summary}?`, false);
  if (!ok) throw new DeclinedError(`${plan.action} cancelled; nothing was sent`);
}

export function dryRunDocument(plan: ActionPlan, origins: Map<string, string>): Document {
  const requests = plan.requests.map((r) => ({
    member: r.member,
    method: r.method,
    url: `${origins.get(r.member) ?? '(untrusted)'}${r.path}`,
    body: r.body ?? null,
  }));
  return {
    data: { dryRun: true, action: plan.action, cluster: plan.cluster, summary: plan.summary, requests },
    table: { columns: ['Member', 'Method', 'URL', 'Body'], rows: requests.map((r) => [r.member, r.method, r.url, r.body ? JSON.stringify(r.body) : '']) },
    pretty: () =>
      `Dry run: would ${sanitizeForTerminal(plan.summary)}; nothing is sent.\n` +
      requests.map((r) => `  ${r.method} ${sanitizeForTerminal(r.url)}${r.body ? ` ${sanitizeForTerminal(JSON.stringify(r.body))}` : ''}`).join('\n') +
      '\n',
  };
}

/**
 * Every target must be trusted before anything is sent: a tampered member record must not make
 * an action stop half-way after touching some members.
 */
export function resolveOrigins(session: Session, requests: PlannedRequest[]): Map<string, string> {
  const origins = new Map<string, string>();
  for (const r of requests) origins.set(r.member, trustedMemberOrigin(r.member, r.apiUrl, session.trustedHosts));
  return origins;
}

/** Confirm (unless dry-run), then return the trusted origins; on dry-run print and return null. */
export async function prepare(ctx: Context, session: Session, plan: ActionPlan, flags: ActionFlags, showFirst?: Cluster): Promise<Map<string, string> | null> {
  if (!flags.dryRun) beginAudit(ctx, session, plan);
  const origins = resolveOrigins(session, plan.requests);
  if (flags.dryRun) {
    ctx.term.write(render(flags.format, dryRunDocument(plan, origins)));
    return null;
  }
  await confirmPlan(ctx, plan, flags, showFirst);
  if (ctx.audit) auditedOrigins.set(origins, ctx.audit);
  return origins;
}

/** Patroni answers in plain text, except PATCH /config, which echoes the whole new config. */
function replyMessage(body: string, status: number): string {
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      JSON.parse(text);
      return `HTTP ${status} (the server returned the new configuration)`;
    } catch {
      // not JSON after all: quote it
    }
  }
  return quoteServerText(text) || `HTTP ${status}`;
}

/** Send one planned request, once. Transport failures become results, not exceptions. */
export async function sendOnce(
  session: Session,
  origins: Map<string, string>,
  request: PlannedRequest,
  responseTimeoutMs: number,
  /** For single-request actions: a request that never reached the server fails the command
   *  with its own one-line error instead of becoming a row in a report. */
  throwIfNotSent = false,
): Promise<RequestResult> {
  const base = { member: request.member, method: request.method, path: request.path };
  const api = await session.api();
  try {
    const reply = await api.send(origins.get(request.member)!, request.method, request.path, request.body, responseTimeoutMs);
    const judged = judgeReply(reply.status, reply.body);
    auditedOrigins.get(origins)?.recordReply(request.member, request.method, request.path, reply.status, judged.outcome);
    return { ...base, status: reply.status, outcome: judged.outcome, message: replyMessage(reply.body, reply.status), exitCode: judged.exitCode };
  } catch (error) {
    if (!(error instanceof PatrolError)) throw error;
    const outcome: RequestResult['outcome'] = error.exitCode === ExitCode.outcomeUnknown ? 'unknown' : 'not-sent';
    auditedOrigins.get(origins)?.recordReply(request.member, request.method, request.path, null, outcome);
    if (throwIfNotSent && outcome === 'not-sent') throw error;
    return { ...base, status: null, outcome, message: error.message, exitCode: error.exitCode };
  }
}

/** Run tasks with at most `limit` in flight, keeping results in input order. */
export async function boundedParallel<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}

export function worstExitCode(results: Array<{ exitCode: ExitCodeValue }>): ExitCodeValue {
  // Precedence: unknown outcome beats every definite failure; any failure beats success.
  const order: ExitCodeValue[] = [ExitCode.interrupted, ExitCode.outcomeUnknown, ExitCode.tlsOrAuth, ExitCode.unreachable, ExitCode.preconditionRefused, ExitCode.unexpected, ExitCode.declined, ExitCode.usage];
  for (const code of order) if (results.some((r) => r.exitCode === code)) return code;
  return ExitCode.ok;
}

export interface ActionReport {
  action: string;
  cluster: string;
  /** completed: verified on the cluster; accepted: the server took it, nothing more to check;
   *  scheduled; refused; failed; unknown. */
  outcome: 'completed' | 'accepted' | 'scheduled' | 'refused' | 'failed' | 'unknown';
  detail: string;
  requests: RequestResult[];
}

export function reportDocument(report: ActionReport): Document {
  return {
    data: report,
    table: {
      columns: ['Member', 'Request', 'Status', 'Outcome', 'Message'],
      rows: report.requests.map((r) => [r.member, `${r.method} ${r.path}`, r.status, r.outcome, r.message]),
    },
    pretty: () => {
      const lines = report.requests.map(
        (r) => `  ${r.member}: ${r.method} ${r.path} → ${r.status ?? 'no answer'} ${r.outcome}${r.message ? `: ${r.message}` : ''}`,
      );
      return sanitizeForTerminal(`${report.action} ${report.outcome}: ${report.detail}`) + '\n' + lines.map(sanitizeForTerminal).join('\n') + '\n';
    },
  };
}

export function outcomeFromResults(results: RequestResult[]): ActionReport['outcome'] {
  if (results.some((r) => r.outcome === 'unknown')) return 'unknown';
  if (results.some((r) => r.outcome === 'refused')) return 'refused';
  if (results.some((r) => r.outcome !== 'ok')) return 'failed';
  return 'accepted';
}

