import { type ActionReport, outcomeFromResults, prepare, reportDocument, sendOnce, worstExitCode, type RequestResult } from '../actions/run-plan.js';
import { planReinit } from '../cluster/plan.js';
import { ExitCode } from '../errors.js';
import { postmasterStart, verifyRestarted } from './restart.js';
import { render } from '../ui/format.js';
import { actionFlags, quickResponseTimeoutMs, waitTimeoutMs, withActionOptions } from './action-options.js';
import { type CommandSpec, stringArray } from './types.js';

export const reinitCommand: CommandSpec = {
  command: 'reinit <members..>',
  describe: "Rebuild replicas from scratch (wipes the member's data directory)",
  builder: (y) =>
    withActionOptions(y)
      .positional('members', { type: 'string', array: true })
      .option('wait', { type: 'boolean', default: false, describe: 'Wait until each member runs again' })
      .option('from-leader', { type: 'boolean', default: false, describe: 'Copy from the leader, not from any replica (Patroni 4.1+)' })
      .option('cancel-running', { type: 'boolean', default: false, describe: 'Cancel a task already running on the member (restart, reinit)' }),
  async run(ctx, args) {
    const session = await ctx.session(args);
    const cluster = await session.readCluster();
    const plan = planReinit(cluster, stringArray(args['members']), { fromLeader: args['from-leader'] === true, cancelRunning: args['cancel-running'] === true });
    const origins = await prepare(ctx, session, plan, actionFlags(args), cluster);
    if (!origins) return ExitCode.ok;
    const results: RequestResult[] = [];
    for (const request of plan.requests) {
      const member = cluster.members.find((m) => m.name === request.member)!;
      const before = args['wait'] === true ? await postmasterStart(session, member).catch(() => undefined) : undefined;
      const result = await sendOnce(session, origins, request, quickResponseTimeoutMs(args));
      if (result.outcome === 'ok' && args['wait'] === true) {
        try {
          // A rebuilt member runs a new postmaster: the same evidence a restart leaves.
          await verifyRestarted(ctx, session, member, before, waitTimeoutMs(args));
          result.message = `${result.message}; running again`;
        } catch (error) {
          result.outcome = 'unknown';
          result.exitCode = ExitCode.outcomeUnknown;
          result.message = error instanceof Error ? error.message : String(error);
        }
      }
      results.push(result);
    }
    const report: ActionReport = {
      action: 'reinit',
      cluster: cluster.scope,
      outcome: results.every((r) => r.outcome === 'ok') ? (args['wait'] === true ? 'completed' : 'accepted') : outcomeFromResults(results),
      detail: args['wait'] === true ? 'members rebuilt and running' : 'reinitialization started; follow it with `patrol list`',
      requests: results,
    };
    ctx.term.write(render(args.format, reportDocument(report)));
    return worstExitCode(results);
  },
};
