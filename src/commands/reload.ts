import { boundedParallel, type ActionReport, outcomeFromResults, prepare, reportDocument, sendOnce, worstExitCode } from '../actions/run-plan.js';
import { planReload, type RoleFilter } from '../cluster/plan.js';
import { ExitCode } from '../errors.js';
import { render } from '../ui/format.js';
import { actionFlags, quickResponseTimeoutMs, withActionOptions, withRoleOption } from './action-options.js';
import { type CommandSpec, stringArray } from './types.js';

/** Members reload independently, so requests go out in parallel, a few at a time. */
export const RELOAD_CONCURRENCY = 4;

export const reloadCommand: CommandSpec = {
  command: 'reload [members..]',
  describe: 'Reload the Patroni and PostgreSQL configuration of members',
  builder: (y) => withRoleOption(withActionOptions(y)).positional('members', { type: 'string', array: true }),
  async run(ctx, args) {
    const session = await ctx.session(args);
    const cluster = await session.readCluster();
    const plan = planReload(cluster, stringArray(args['members']), args['role'] as RoleFilter);
    const origins = await prepare(ctx, session, plan, actionFlags(args), cluster);
    if (!origins) return ExitCode.ok;
    const results = await boundedParallel(plan.requests, RELOAD_CONCURRENCY, (r) => sendOnce(session, origins, r, quickResponseTimeoutMs(args)));
    const report: ActionReport = {
      action: 'reload',
      cluster: cluster.scope,
      outcome: outcomeFromResults(results),
      detail: `${results.filter((r) => r.outcome === 'ok').length} of ${results.length} members accepted the reload`,
      requests: results,
    };
    ctx.term.write(render(args.format, reportDocument(report)));
    return worstExitCode(results);
  },
};
