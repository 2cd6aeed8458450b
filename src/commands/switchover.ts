import { waitFor } from '../actions/wait.js';
import { type ActionReport, outcomeFromResults, prepare, reportDocument, sendOnce } from '../actions/run-plan.js';
import type { Cluster } from '../cluster/model.js';
import { type ActionPlan, candidateInfo, planFailover, planSwitchover } from '../cluster/plan.js';
import { requireRestUnreachable, writeFailoverKey } from '../actions/via-dcs.js';
import { parseSchedule } from '../cluster/schedule.js';
import { lagInMb } from '../cluster/view.js';
import type { Context, Session } from '../context.js';
import { ExitCode, UsageError } from '../errors.js';
import { render } from '../ui/format.js';
import { listDocument } from './list.js';
import { actionFlags, blockingResponseTimeoutMs, waitTimeoutMs, withActionOptions } from './action-options.js';
import { type CommandSpec, optionalString, type ParsedArgs } from './types.js';

const ANY = '\u0000any';

/** On a terminal, fill in what the flags left open: show the cluster, then ask. */
async function askCandidate(ctx: Context, cluster: Cluster, allowAny: boolean): Promise<string | undefined> {
  ctx.term.note(render('pretty', listDocument(cluster, false)));
  const choices = candidateInfo(cluster)
    .filter((c) => c.eligible)
    .map((c) => ({ value: c.member.name, label: `${c.member.name} (${c.member.state}, lag ${lagInMb(c.member.lagBytes)} MB)` }));
  if (allowAny) choices.unshift({ value: ANY, label: 'any healthy replica (Patroni chooses)' });
  if (choices.length === 0) return undefined; // planning reports "no candidate"
  const answer = await ctx.prompter.select('Candidate', choices);
  return answer === ANY ? undefined : answer;
}

/** Poll until the expected member is the running leader and the old leader is back as a replica. */
export async function verifyLeaderChange(ctx: Context, session: Session, oldLeader: string | undefined, candidate: string | undefined, timeoutMs: number): Promise<string> {
  return waitFor(ctx, { what: 'the new leader', timeoutMs }, async () => {
    const now = await session.readCluster();
    const leader = now.members.find((m) => m.name === now.leader);
    if (!leader || leader.name === oldLeader || (candidate && leader.name !== candidate) || leader.state !== 'running') return undefined;
    const old = now.members.find((m) => m.name === oldLeader);
    if (old && !(old.role !== 'leader' && (old.state === 'running' || old.state === 'streaming'))) return undefined;
    return leader.name;
  });
}

async function runLeaderChange(ctx: Context, args: ParsedArgs, kind: 'switchover' | 'failover'): Promise<number> {
  const session = await ctx.session(args);
  const flags = actionFlags(args);
  const cluster = await session.readCluster();
  let candidate = optionalString(args['candidate']);
  let scheduled = optionalString(args['scheduled']);
  const interactive = ctx.term.canPrompt && !flags.yes && !flags.dryRun;
  const askCandidateNow = candidate === undefined && interactive;
  if (askCandidateNow) candidate = await askCandidate(ctx, cluster, kind === 'switchover');
  if (kind === 'switchover' && scheduled === undefined && interactive) {
    scheduled = await ctx.prompter.input('When should the switchover take place (YYYY-MM-DDTHH:MM, local time)', { defaultValue: 'now' });
  }
  const scheduledAt = kind === 'switchover' ? parseSchedule(scheduled, ctx.clock.now()) : undefined;
  const plan = kind === 'switchover'
    ? planSwitchover(cluster, { leader: optionalString(args['leader']), candidate, scheduledAt })
    : planFailover(cluster, candidate);
  if (args['via-dcs'] === true) return runViaDcs(ctx, session, args, cluster, plan, kind, candidate, scheduledAt);
  // askCandidate already showed the cluster; otherwise show it before the confirmation.
  const origins = await prepare(ctx, session, plan, flags, askCandidateNow ? undefined : cluster);
  if (!origins) return ExitCode.ok;

  const result = await sendOnce(session, origins, plan.requests[0]!, blockingResponseTimeoutMs(args), true);
  const report: ActionReport = { action: kind, cluster: cluster.scope, outcome: outcomeFromResults([result]), detail: result.message, requests: [result] };
  let exitCode = result.exitCode;
  if (result.outcome === 'ok') {
    if (scheduledAt) {
      const now = await session.readCluster();
      report.outcome = now.scheduledSwitchover ? 'scheduled' : 'unknown';
      report.detail = now.scheduledSwitchover
        ? `switchover scheduled at ${now.scheduledSwitchover.at}${now.scheduledSwitchover.to ? ` to ${now.scheduledSwitchover.to}` : ''}`
        : 'the server accepted the schedule but the cluster does not show it';
      if (!now.scheduledSwitchover) exitCode = ExitCode.outcomeUnknown;
    } else {
      const newLeader = await verifyLeaderChange(ctx, session, cluster.leader, candidate, waitTimeoutMs(args));
      report.outcome = 'completed';
      report.detail = `${newLeader} is the running leader${cluster.leader ? `; ${cluster.leader} is back as a replica` : ''}`;
    }
  }
  ctx.term.write(render(args.format, reportDocument(report)));
  return exitCode;
}

async function runViaDcs(
  ctx: Context,
  session: Session,
  args: ParsedArgs,
  cluster: Cluster,
  plan: ActionPlan,
  kind: 'switchover' | 'failover',
  candidate: string | undefined,
  scheduledAt: string | undefined,
): Promise<number> {
  if (candidate === undefined) throw new UsageError('--via-dcs needs --candidate', 'name the member to promote');
  await requireRestUnreachable(session, cluster);
  const value = { ...(cluster.leader && kind === 'switchover' ? { leader: cluster.leader } : {}), member: candidate, ...(scheduledAt ? { scheduled_at: scheduledAt } : {}) };
  const written = await writeFailoverKey(ctx, session, plan, value, actionFlags(args));
  if (!written) return ExitCode.ok;
  const report: ActionReport = { action: `${kind} via DCS`, cluster: cluster.scope, outcome: 'accepted', detail: 'failover key written', requests: [] };
  if (!scheduledAt) {
    const newLeader = await verifyLeaderChange(ctx, session, cluster.leader, candidate, waitTimeoutMs(args));
    report.outcome = 'completed';
    report.detail = `${newLeader} is the running leader`;
  }
  ctx.term.write(render(args.format, reportDocument(report)));
  return ExitCode.ok;
}

export const switchoverCommand: CommandSpec = {
  command: 'switchover',
  describe: 'Move leadership to a healthy replica, now or at a scheduled time',
  builder: (y) =>
    withActionOptions(y)
      .option('leader', { alias: ['primary'], type: 'string', describe: 'The current leader (checked)' })
      .option('candidate', { type: 'string', describe: 'The member to promote (default: Patroni picks the healthiest)' })
      .option('scheduled', { type: 'string', describe: 'When: "now" or YYYY-MM-DDTHH:MM[+HH:MM] (local time without an offset)' })
      .option('via-dcs', { type: 'boolean', default: false, describe: 'Last resort when no REST API answers: write the failover key into the DCS (compare-and-swap)' }),
  run: (ctx, args) => runLeaderChange(ctx, args, 'switchover'),
};

export const failoverCommand: CommandSpec = {
  command: 'failover',
  describe: 'Promote a specific member, with or without a running leader',
  builder: (y) =>
    withActionOptions(y)
      .option('candidate', { type: 'string', describe: 'The member to promote' })
      .option('via-dcs', { type: 'boolean', default: false, describe: 'Last resort when no REST API answers: write the failover key into the DCS (compare-and-swap)' }),
  run: (ctx, args) => runLeaderChange(ctx, args, 'failover'),
};
