import { waitFor } from '../actions/wait.js';
import { type ActionReport, outcomeFromResults, prepare, reportDocument, sendOnce } from '../actions/run-plan.js';
import { planPause } from '../cluster/plan.js';
import type { Context } from '../context.js';
import { ExitCode } from '../errors.js';
import { trustedMemberOrigin } from '../patroni/trust.js';
import { render } from '../ui/format.js';
import { actionFlags, quickResponseTimeoutMs, waitTimeoutMs, withActionOptions } from './action-options.js';
import type { CommandSpec, ParsedArgs } from './types.js';

async function runPause(ctx: Context, args: ParsedArgs, pause: boolean): Promise<number> {
  const session = await ctx.session(args);
  const cluster = await session.readCluster();
  const plan = planPause(cluster, pause);
  const origins = await prepare(ctx, session, plan, actionFlags(args), cluster);
  if (!origins) return ExitCode.ok;
  const result = await sendOnce(session, origins, plan.requests[0]!, quickResponseTimeoutMs(args), true);
  const report: ActionReport = { action: plan.action, cluster: cluster.scope, outcome: outcomeFromResults([result]), detail: '', requests: [result] };
  let exitCode = result.exitCode;
  if (result.outcome === 'ok') {
    report.detail = `the cluster configuration says pause: ${pause}`;
    if (args['wait'] === true) {
      // Every member applies the flag on its next loop; wait until each one reports it.
      try {
        await waitFor(ctx, { what: `every member to ${pause ? 'pause' : 'resume'}`, timeoutMs: waitTimeoutMs(args) }, async () => {
          const api = await session.api();
          const flags = await Promise.all(
            cluster.members.map(async (m) => {
              const status = (await api.getJson(trustedMemberOrigin(m.name, m.apiUrl, session.trustedHosts), '/patroni')) as Record<string, unknown>;
              return status['pause'] === true;
            }),
          );
          return flags.every((f) => f === pause) ? true : undefined;
        });
        report.outcome = 'completed';
        report.detail = `every member reports ${pause ? 'paused' : 'resumed'}`;
      } catch (error) {
        report.outcome = 'unknown';
        report.detail = error instanceof Error ? error.message : String(error);
        exitCode = ExitCode.outcomeUnknown;
      }
    }
  }
  ctx.term.write(render(args.format, reportDocument(report)));
  return exitCode;
}

export const pauseCommand: CommandSpec = {
  command: 'pause',
  describe: 'Put the cluster in maintenance mode (no automatic failover)',
  builder: (y) => withActionOptions(y).option('wait', { type: 'boolean', default: false, describe: 'Wait until every member reports paused' }),
  run: (ctx, args) => runPause(ctx, args, true),
};

export const resumeCommand: CommandSpec = {
  command: 'resume',
  describe: 'Leave maintenance mode (automatic failover again)',
  builder: (y) => withActionOptions(y).option('wait', { type: 'boolean', default: false, describe: 'Wait until every member reports resumed' }),
  run: (ctx, args) => runPause(ctx, args, false),
};
