// Options every cluster action shares, and small helpers to read the cluster and report.

import type { Argv } from 'yargs';
import type { ActionFlags } from '../actions/run-plan.js';
import { ROLE_FILTERS, type RoleFilter } from '../cluster/plan.js';
import { UsageError } from '../errors.js';
import type { ParsedArgs } from './types.js';

export function withActionOptions(y: Argv): Argv {
  return y
    .option('yes', { alias: ['y', 'force'], type: 'boolean', default: false, describe: 'Answer the final confirmation with yes (needed without a terminal)' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'Print the exact requests that would be sent, and send nothing' })
    .option('wait-timeout', { type: 'number', default: 120, describe: 'Seconds to wait for the cluster to show the result' });
}

export function withRoleOption(y: Argv, defaultRole: RoleFilter = 'any'): Argv {
  return y.option('role', { alias: 'r', type: 'string', choices: ROLE_FILTERS as unknown as string[], default: defaultRole, describe: 'Only members in this role' });
}

export function actionFlags(args: ParsedArgs): ActionFlags {
  return { yes: args['yes'] === true, dryRun: args['dry-run'] === true, format: args.format };
}

export function waitTimeoutMs(args: ParsedArgs): number {
  const seconds = Number(args['wait-timeout']);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400) {
    throw new UsageError(`invalid --wait-timeout "${String(args['wait-timeout'])}"`, 'give seconds between 1 and 86400');
  }
  return seconds * 1000;
}

/** Requests Patroni answers at once (reload, reinit start, PATCH /config, flush): --timeout. */
export function quickResponseTimeoutMs(args: ParsedArgs): number {
  return args.timeout * 1000;
}

/**
 * Patroni blocks a switchover request while it polls for the result (at least 20 s) and a restart
 * while PostgreSQL restarts: the answer must be awaited longer than that, or a success would be
 * reported as "outcome unknown".
 */
export function blockingResponseTimeoutMs(args: ParsedArgs, extraSeconds = 0): number {
  return Math.max(60, args.timeout, extraSeconds + 30) * 1000;
}
