// restart --rolling: replicas one at a time, each verified running, streaming and under the lag
// bound before the next; then (with --switchover) leadership moves to the healthiest replica and
// the old leader restarts last. The first member that does not come back healthy stops the run.

import { waitFor } from '../actions/wait.js';
import { type ActionReport, prepare, reportDocument, type RequestResult, sendOnce, worstExitCode } from '../actions/run-plan.js';
import { isLeaderRole, type Member } from '../cluster/model.js';
import { type ActionPlan, candidateInfo, matchesRole, type PlannedRequest, requireMembers, type RoleFilter, validPgVersion } from '../cluster/plan.js';
import type { Context, Session } from '../context.js';
import { ExitCode, PreconditionError, UsageError } from '../errors.js';
import { render } from '../ui/format.js';
import { sanitizeForTerminal } from '../ui/sanitize.js';
import { actionFlags, blockingResponseTimeoutMs, waitTimeoutMs } from './action-options.js';
import { markSkippedByFilter, postmasterStart, restartTimeout, verifyRestarted } from './restart.js';
import { verifyLeaderChange } from './switchover.js';
import type { ParsedArgs } from './types.js';
import { optionalString, stringArray } from './types.js';

const MB = 1024 * 1024;

/** Wait until a member is a running, streaming replica within the lag bound (or the running leader). */
async function waitHealthy(ctx: Context, session: Session, name: string, maxLagBytes: number, timeoutMs: number): Promise<void> {
  await waitFor(ctx, { what: `${name} to be healthy`, timeoutMs }, async () => {
    const cluster = await session.readCluster();
    const member = cluster.members.find((m) => m.name === name);
    if (!member) return undefined;
    if (isLeaderRole(member.role)) return member.state === 'running' ? true : undefined;
    const streaming = member.state === 'running' || member.state === 'streaming';
    return streaming && typeof member.lagBytes === 'number' && member.lagBytes <= maxLagBytes ? true : undefined;
  });
}

export function planRolling(members: Member[], leader: Member | undefined, candidate: Member | undefined, body: Record<string, unknown>, scope: string): ActionPlan {
  const restart = (m: Member): PlannedRequest => ({ member: m.name, apiUrl: m.apiUrl, method: 'POST', path: '/restart', body });
  const replicas = members.filter((m) => !isLeaderRole(m.role));
  const requests = replicas.map(restart);
  if (leader && candidate) requests.push({ member: leader.name, apiUrl: leader.apiUrl, method: 'POST', path: '/switchover', body: { leader: leader.name, candidate: candidate.name } });
  if (leader) requests.push(restart(leader));
  const order = replicas.map((m) => m.name);
  const leaderPart = leader ? (candidate ? `, switch over to ${candidate.name}, then restart ${leader.name}` : `, then the leader ${leader.name}`) : '';
  return {
    action: 'rolling restart',
    cluster: scope,
    summary: sanitizeForTerminal(`restart ${order.length ? order.join(', ') : 'no replica'} one at a time${leaderPart} in cluster ${scope}`),
    requests,
  };
}

export async function rollingRestart(ctx: Context, args: ParsedArgs): Promise<number> {
  if (args['scheduled'] !== undefined) throw new UsageError('--rolling cannot be scheduled', 'run it at the time you want, or schedule a plain restart');
  const session = await ctx.session(args);
  const cluster = await session.readCluster();
  const names = stringArray(args['members']);
  const role = args['role'] as RoleFilter;
  if (role !== 'any' && args['switchover'] === true) throw new UsageError('--switchover restarts the leader too; it cannot be combined with --role', 'drop --role, or drop --switchover');
  let targets = (names.length ? requireMembers(cluster, names) : cluster.members).filter((m) => matchesRole(m, role));
  if (args['pending'] === true) targets = targets.filter((m) => m.pendingRestart);
  if (targets.length === 0) throw new PreconditionError(`no member of cluster ${cluster.scope} to restart`);
  const maxLagBytes = Number(args['max-lag']) * MB;
  if (!Number.isFinite(maxLagBytes) || maxLagBytes < 0) throw new UsageError('invalid --max-lag', 'give megabytes, e.g. 16');
  const leader = targets.find((m) => isLeaderRole(m.role));
  let candidate: Member | undefined;
  if (leader && args['switchover'] === true) {
    candidate = candidateInfo(cluster)
      .filter((c) => c.eligible)
      .map((c) => c.member)
      .sort((a, b) => (a.lagBytes ?? Infinity) - (b.lagBytes ?? Infinity))[0];
    if (!candidate) throw new PreconditionError(`no healthy replica in cluster ${cluster.scope} to take over before the leader restarts`);
  }
  const body: Record<string, unknown> = {};
  const pgTimeout = restartTimeout(args);
  if (pgTimeout !== undefined) body['timeout'] = pgTimeout;
  const pgVersion = optionalString(args['pg-version']);
  if (pgVersion !== undefined) body['postgres_version'] = validPgVersion(pgVersion);
  const plan = planRolling(targets, leader, candidate, body, cluster.scope);
  const origins = await prepare(ctx, session, plan, actionFlags(args), cluster);
  if (!origins) return ExitCode.ok;

  const timeoutMs = waitTimeoutMs(args);
  const results: RequestResult[] = [];
  let stoppedAt: string | undefined;
  for (const request of plan.requests) {
    const member = cluster.members.find((m) => m.name === request.member)!;
    const isRestart = request.path === '/restart';
    const before = isRestart ? await postmasterStart(session, member).catch(() => undefined) : undefined;
    const result = await sendOnce(session, origins, request, blockingResponseTimeoutMs(args, pgTimeout ?? 60));
    const skipped = isRestart && markSkippedByFilter(result, pgVersion !== undefined);
    if (result.outcome === 'ok' && !skipped) {
      try {
        if (isRestart) {
          await verifyRestarted(ctx, session, member, before, timeoutMs);
          await waitHealthy(ctx, session, member.name, maxLagBytes, timeoutMs);
          result.message = `${result.message}; healthy again`;
        } else {
          await verifyLeaderChange(ctx, session, leader?.name, candidate?.name, timeoutMs);
          result.message = `${result.message}; ${candidate?.name} is the running leader`;
        }
      } catch (error) {
        result.outcome = 'unknown';
        result.exitCode = ExitCode.outcomeUnknown;
        result.message = error instanceof Error ? error.message : String(error);
      }
    }
    results.push(result);
    if (result.outcome !== 'ok') {
      stoppedAt = `${request.member} (${request.path === '/restart' ? 'restart' : 'switchover'})`;
      break;
    }
  }
  const report: ActionReport = {
    action: 'rolling restart',
    cluster: cluster.scope,
    outcome: stoppedAt ? (results.some((r) => r.outcome === 'unknown') ? 'unknown' : 'failed') : 'completed',
    detail: stoppedAt
      ? `stopped at ${stoppedAt}; not reached: ${plan.requests.slice(results.length).map((r) => r.member).join(', ') || 'none'}`
      : `${results.filter((r) => r.path === '/restart').length} members restarted${candidate ? `, leadership moved to ${candidate.name}` : ''}`,
    requests: results,
  };
  ctx.term.write(render(args.format, reportDocument(report)));
  return worstExitCode(results);
}
