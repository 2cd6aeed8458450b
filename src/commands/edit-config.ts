// edit-config: change the dynamic configuration through the REST API (PATCH /config with only
// what changed, or PUT /config for --replace), after showing a diff and asking. Values are
// validated before anything is sent; the result is read back and compared.

import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { prepare, reportDocument, sendOnce, type ActionReport } from '../actions/run-plan.js';
import {
  applyMergePatch,
  type Config,
  configYaml,
  mergePatchBetween,
  parseAssignment,
  parsePgAssignment,
  setPath,
  unifiedDiff,
  validateConfig,
} from '../cluster/config-edit.js';
import { configTargets, type ActionPlan } from '../cluster/plan.js';
import type { Context } from '../context.js';
import { ExitCode, OutcomeUnknownError, UsageError } from '../errors.js';
import { render } from '../ui/format.js';
import { sanitizeMultiline } from '../ui/sanitize.js';
import { actionFlags, quickResponseTimeoutMs, withActionOptions } from './action-options.js';
import { type CommandSpec, optionalString, type ParsedArgs, stringArray } from './types.js';

async function readSource(ctx: Context, source: string, flag: string): Promise<Config> {
  let text: string;
  try {
    text = source === '-' ? await ctx.term.readStdin() : readFileSync(source, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${flag} ${source}`);
  }
  let parsed: unknown;
  try {
    parsed = YAML.parse(text);
  } catch {
    throw new UsageError(`${flag} ${source} is not valid YAML`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`${flag} ${source} must hold a YAML mapping`);
  return parsed as Config;
}

/** The proposed configuration, from exactly one way of editing. */
export async function proposedConfig(ctx: Context, args: ParsedArgs, current: Config): Promise<Config> {
  const sets = stringArray(args['set']);
  const pgs = stringArray(args['pg']);
  const apply = optionalString(args['apply']);
  const replace = optionalString(args['replace']);
  const ways = [sets.length + pgs.length > 0, apply !== undefined, replace !== undefined].filter(Boolean).length;
  if (ways > 1) throw new UsageError('use one of --set/--pg, --apply or --replace at a time');
  if (replace !== undefined) return readSource(ctx, replace, '--replace');
  if (apply !== undefined) return applyMergePatch(current, await readSource(ctx, apply, '--apply'));
  if (ways === 1) {
    let next = current;
    for (const s of sets) {
      const { path, value } = parseAssignment(s, '--set');
      next = setPath(next, path, value);
    }
    for (const p of pgs) {
      const { path, value } = parsePgAssignment(p);
      next = setPath(next, path, value);
    }
    return next;
  }
  if (!ctx.term.canPrompt) {
    throw new UsageError('edit-config needs --set, --pg, --apply or --replace without a terminal', 'e.g. `patrol edit-config --set loop_wait=10 --yes`');
  }
  const edited = await ctx.term.editText(configYaml(current));
  let parsed: unknown;
  try {
    parsed = YAML.parse(edited);
  } catch {
    throw new UsageError('the edited configuration is not valid YAML; nothing was changed');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError('the edited configuration must be a YAML mapping; nothing was changed');
  return parsed as Config;
}

export const editConfigCommand: CommandSpec = {
  command: 'edit-config',
  describe: 'Change the dynamic configuration (editor, --set, --pg, --apply, --replace), with a diff first',
  builder: (y) =>
    withActionOptions(y)
      .option('set', { alias: 's', type: 'string', array: true, describe: 'KEY.PATH=VALUE (YAML value; null deletes), repeatable' })
      .option('pg', { type: 'string', array: true, describe: 'postgresql.parameters NAME=VALUE, repeatable' })
      .option('apply', { type: 'string', describe: 'Merge this YAML file (- for stdin) into the configuration' })
      .option('replace', { type: 'string', describe: 'Replace the whole configuration with this YAML file (- for stdin)' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'Do not print the diff' }),
  async run(ctx, args) {
    const session = await ctx.session(args);
    const flags = actionFlags(args);
    const [cluster, current] = await Promise.all([session.readCluster(), session.readConfig()]);
    const proposed = await proposedConfig(ctx, args, current);
    validateConfig(proposed);
    const replace = optionalString(args['replace']) !== undefined;
    const patch = mergePatchBetween(current, proposed);
    if (!patch) {
      ctx.term.note('configuration not changed\n');
      return ExitCode.ok;
    }
    const diff = unifiedDiff(configYaml(current), configYaml(proposed));
    const target = configTargets(cluster)[0];
    if (!target) throw new UsageError(`cluster ${cluster.scope} has no members`);
    const plan: ActionPlan = {
      action: 'edit-config',
      cluster: cluster.scope,
      summary: `apply these changes to the configuration of cluster ${cluster.scope}`,
      requests: [{ member: target.name, apiUrl: target.apiUrl, method: replace ? 'PUT' : 'PATCH', path: '/config', body: replace ? proposed : patch }],
    };
    if (args['quiet'] !== true && !flags.dryRun) ctx.term.note(sanitizeMultiline(diff));
    const origins = await prepare(ctx, session, plan, flags);
    if (!origins) return ExitCode.ok;
    const result = await sendOnce(session, origins, plan.requests[0]!, quickResponseTimeoutMs(args), true);
    const report: ActionReport = { action: 'edit-config', cluster: cluster.scope, outcome: result.outcome === 'ok' ? 'accepted' : 'refused', detail: result.message, requests: [result] };
    let exitCode = result.exitCode;
    if (result.outcome === 'ok') {
      const after = await session.readConfig();
      if (mergePatchBetween(after, proposed) === undefined) {
        report.outcome = 'completed';
        report.detail = 'configuration changed';
      } else {
        // Someone else changed other keys meanwhile, or Patroni normalized a value.
        report.outcome = 'unknown';
        report.detail = new OutcomeUnknownError('the configuration read back differs from what was sent').message;
        exitCode = ExitCode.outcomeUnknown;
      }
    } else if (result.outcome === 'unknown') {
      report.outcome = 'unknown';
    }
    ctx.term.write(render(args.format, { ...reportDocument(report), data: { ...report, diff } }));
    return exitCode;
  },
};

