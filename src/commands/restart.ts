import { asString } from '../cluster/normalize.js';
import { waitFor } from '../actions/wait.js';
import { type ActionReport, outcomeFromResults, prepare, reportDocument, sendOnce, worstExitCode, type RequestResult } from '../actions/run-plan.js';
import { planRestart, type RoleFilter } from '../cluster/plan.js';
import { parseSchedule } from '../cluster/schedule.js';
import type { Context, Session } from '../context.js';
import { ExitCode, UsageError } from '../errors.js';
import { trustedMemberOrigin } from '../patroni/trust.js';
import { render } from '../ui/format.js';
import { actionFlags, blockingResponseTimeoutMs, waitTimeoutMs, withActionOptions, withRoleOption } from './action-options.js';
import { rollingRestart } from './rolling-restart.js';
import { type CommandSpec, optionalString, type ParsedArgs, stringArray } from './types.js';

/**
 * Patroni answers 503 "restart conditions are not satisfied" when a member does not match the
 * request's own filters (restart_pending, postgres_version): that member is skipped, which is
 * what the operator asked for, not a failure.
 */
export function markSkippedByFilter(result: RequestResult, filtered: boolean): boolean {
  if (!filtered || result.status !== 503 || !/conditions are not satisfied/iu.test(result.message)) return false;
  result.outcome = 'ok';
  result.exitCode = ExitCode.ok;
  result.message = 'skipped: the member does not match --pending/--pg-version';
  return true;
}

/** postmaster_start_time from GET /patroni: it changes exactly when PostgreSQL restarted. */
export async function postmasterStart(session: Session, member: { name: string; apiUrl?: string | undefined }): Promise<string | undefined> {
  const api = await session.api();
  const status = (await api.getJson(trustedMemberOrigin(member.name, member.apiUrl, session.trustedHosts), '/patroni')) as Record<string, unknown>;
  return asString(status['postmaster_start_time']);
}

/** Wait until a restarted member runs with a new postmaster start time. */
export async function verifyRestarted(ctx: Context, session: Session, member: { name: string; apiUrl?: string | undefined }, before: string | undefined, timeoutMs: number): Promise<void> {
  await waitFor(ctx, { what: `${member.name} to run again after its restart`, timeoutMs }, async () => {
    const api = await session.api();
    const status = (await api.getJson(trustedMemberOrigin(member.name, member.apiUrl, session.trustedHosts), '/patroni')) as Record<string, unknown>;
    const started = asString(status['postmaster_start_time']);
    return status['state'] === 'running' && started !== undefined && started !== before ? true : undefined;
  });
}

export function restartTimeout(args: ParsedArgs): number | undefined {
  if (args['pg-timeout'] === undefined) return undefined;
  const seconds = Number(args['pg-timeout']);
  if (!Number.isInteger(seconds) || seconds <= 0) throw new UsageError(`invalid --pg-timeout "${String(args['pg-timeout'])}"`, 'give a whole number of seconds');
  return seconds;
}

export const restartCommand: CommandSpec = {
  command: 'restart [members..]',
  describe: 'Restart PostgreSQL on members (leader last), now, scheduled, or rolling',
  builder: (y) =>
    withRoleOption(withActionOptions(y))
      .positional('members', { type: 'string', array: true })
      .option('pending', { type: 'boolean', default: false, describe: 'Only members with a pending restart' })
      .option('scheduled', { type: 'string', describe: 'When: "now" or YYYY-MM-DDTHH:MM[+HH:MM]' })
      .option('pg-version', { type: 'string', describe: 'Only restart if the running PostgreSQL is older than this version' })
      .option('pg-timeout', { type: 'number', describe: "Seconds Patroni may wait for PostgreSQL's restart" })
      .option('rolling', { type: 'boolean', default: false, describe: 'Replicas one at a time, each healthy before the next, leader last' })
      .option('switchover', { type: 'boolean', default: false, describe: 'With --rolling: move leadership to a healthy replica before restarting the old leader' })
      .option('max-lag', { type: 'number', default: 16, describe: 'With --rolling: a replica counts as healthy under this lag (MB)' }),
  async run(ctx, args) {
    if (args['switchover'] === true && args['rolling'] !== true) throw new UsageError('--switchover goes with --rolling');
    if (args['rolling'] === true) return rollingRestart(ctx, args);
    const session = await ctx.session(args);
    const cluster = await session.readCluster();
    const scheduledAt = parseSchedule(optionalString(args['scheduled']), ctx.clock.now());
    const pgTimeout = restartTimeout(args);
    const plan = planRestart(cluster, {
      members: stringArray(args['members']),
      role: args['role'] as RoleFilter,
      pending: args['pending'] === true,
      scheduledAt,
      pgVersion: optionalString(args['pg-version']),
      timeoutSeconds: pgTimeout,
    });
    const origins = await prepare(ctx, session, plan, actionFlags(args), cluster);
    if (!origins) return ExitCode.ok;
    const results: RequestResult[] = [];
    // One member at a time, in the planned order (leader last): each restart is verified before
    // the next, and the first failure stops the run so fewer members are left in doubt.
    for (const request of plan.requests) {
      const member = cluster.members.find((m) => m.name === request.member)!;
      const before = scheduledAt ? undefined : await postmasterStart(session, member).catch(() => undefined);
      const result = await sendOnce(session, origins, request, blockingResponseTimeoutMs(args, pgTimeout ?? 60));
      const skipped = markSkippedByFilter(result, args['pending'] === true || optionalString(args['pg-version']) !== undefined);
      if (!skipped && result.outcome === 'ok' && !scheduledAt && result.status === 200) {
        try {
          await verifyRestarted(ctx, session, member, before, waitTimeoutMs(args));
          result.message = `${result.message}; running again with a new postmaster start time`;
        } catch (error) {
          result.outcome = 'unknown';
          result.exitCode = ExitCode.outcomeUnknown;
          result.message = error instanceof Error ? error.message : String(error);
        }
      }
      results.push(result);
      if (result.outcome !== 'ok') break;
    }
    const notReached = plan.requests.slice(results.length).map((r) => r.member);
    const skippedCount = results.filter((r) => r.message.startsWith('skipped:')).length;
    const acted = results.length - skippedCount;
    const report: ActionReport = {
      action: 'restart',
      cluster: cluster.scope,
      outcome: scheduledAt && results.every((r) => r.outcome === 'ok') ? 'scheduled' : results.every((r) => r.outcome === 'ok') ? 'completed' : outcomeFromResults(results),
      detail: notReached.length
        ? `stopped before ${notReached.join(', ')}`
        : `${acted} member${acted === 1 ? '' : 's'} ${scheduledAt ? `scheduled for ${scheduledAt}` : 'restarted'}${skippedCount ? `, ${skippedCount} skipped` : ''}`,
      requests: results,
    };
    ctx.term.write(render(args.format, reportDocument(report)));
    return worstExitCode(results);
  },
};
