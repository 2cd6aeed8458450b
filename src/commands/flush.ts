import { boundedParallel, type ActionReport, outcomeFromResults, prepare, reportDocument, sendOnce, worstExitCode } from '../actions/run-plan.js';
import { planFlush, type RoleFilter } from '../cluster/plan.js';
import { ExitCode, UsageError } from '../errors.js';
import { render } from '../ui/format.js';
import { waitFor } from '../actions/wait.js';
import { actionFlags, quickResponseTimeoutMs, waitTimeoutMs, withActionOptions, withRoleOption } from './action-options.js';
import { RELOAD_CONCURRENCY } from './reload.js';
import { type CommandSpec, stringArray } from './types.js';

export const flushCommand: CommandSpec = {
  command: 'flush <what> [members..]',
  describe: 'Cancel a scheduled restart (of members) or the scheduled switchover',
  builder: (y) =>
    withRoleOption(withActionOptions(y))
      .positional('what', { type: 'string', choices: ['restart', 'switchover'] })
      .positional('members', { type: 'string', array: true }),
  async run(ctx, args) {
    const what = args['what'];
    if (what !== 'restart' && what !== 'switchover') throw new UsageError('flush what?', 'use `patrol flush restart [MEMBER…]` or `patrol flush switchover`');
    const members = stringArray(args['members']);
    if (what === 'switchover' && members.length) throw new UsageError('flush switchover takes no member names');
    const session = await ctx.session(args);
    const cluster = await session.readCluster();
    const plan = planFlush(cluster, what, members, args['role'] as RoleFilter);
    const origins = await prepare(ctx, session, plan, actionFlags(args), cluster);
    if (!origins) return ExitCode.ok;
    const results = await boundedParallel(plan.requests, RELOAD_CONCURRENCY, (r) => sendOnce(session, origins, r, quickResponseTimeoutMs(args)));
    // 404 "nothing scheduled" means someone (or the schedule itself) got there first: the goal holds.
    for (const r of results) {
      if (r.status === 404) {
        r.outcome = 'ok';
        r.exitCode = ExitCode.ok;
      }
    }
    // Members publish the change on their next loop: wait (bounded) for the cluster to show it.
    const stillScheduled = async (): Promise<string[]> => {
      const after = await session.readCluster();
      return what === 'switchover'
        ? after.scheduledSwitchover ? ['switchover'] : []
        : after.members.filter((m) => m.scheduledRestart && plan.requests.some((r) => r.member === m.name)).map((m) => m.name);
    };
    let remaining: string[] = [];
    try {
      await waitFor(ctx, { what: 'the schedule to disappear', timeoutMs: waitTimeoutMs(args) }, async () => ((await stillScheduled()).length === 0 ? true : undefined));
    } catch {
      remaining = await stillScheduled().catch(() => ['unknown']);
    }
    const report: ActionReport = {
      action: plan.action,
      cluster: cluster.scope,
      outcome: remaining.length ? 'unknown' : results.every((r) => r.outcome === 'ok') ? 'completed' : outcomeFromResults(results),
      detail: remaining.length ? `still scheduled: ${remaining.join(', ')}` : 'nothing is scheduled any more',
      requests: results,
    };
    ctx.term.write(render(args.format, reportDocument(report)));
    return remaining.length && worstExitCode(results) === ExitCode.ok ? ExitCode.outcomeUnknown : worstExitCode(results);
  },
};
