// `patrol audit`: show the local audit log of state-changing actions (newest last).

import { auditLogPath, type AuditEntry, parseSince, readAuditLog } from '../audit/log.js';
import { UsageError } from '../errors.js';
import type { Document } from '../ui/format.js';
import { render } from '../ui/format.js';
import { type CommandSpec, optionalString } from './types.js';

export function auditDocument(entries: AuditEntry[]): Document {
  return {
    data: entries,
    table: {
      columns: ['Time', 'User', 'Host', 'Profile', 'Cluster', 'Action', 'Targets', 'Outcome', 'Exit', 'Duration'],
      rows: entries.map((e) => [e.time, e.user, e.host, e.profile, e.cluster, e.viaDcs ? `${e.action} (via DCS)` : e.action, e.targets.join(','), e.outcome, e.exitCode, `${(e.durationMs / 1000).toFixed(1)} s`]),
    },
  };
}

export function filterEntries(entries: AuditEntry[], since: Date | undefined, action: string | undefined): AuditEntry[] {
  return entries.filter((e) => (since === undefined || new Date(e.time).getTime() >= since.getTime()) && (action === undefined || e.action === action));
}

export const auditCommand: CommandSpec = {
  command: 'audit',
  describe: 'Show the local audit log of state-changing actions',
  builder: (y) =>
    y
      .option('since', { type: 'string', describe: 'Only entries since an ISO date/time or a duration ago (30m, 12h, 7d, 2w)' })
      .option('action', { type: 'string', describe: 'Only this action (e.g. switchover, reload)' }),
  async run(ctx, args) {
    const sinceText = optionalString(args['since']);
    const since = sinceText === undefined ? undefined : parseSince(sinceText, ctx.clock.now());
    if (sinceText !== undefined && since === undefined) throw new UsageError(`invalid --since "${sinceText}"`, 'give an ISO date (2024-05-01, 2024-05-01T10:00Z) or a duration such as 12h or 7d');
    const file = auditLogPath(ctx.env);
    const { entries, skipped } = await readAuditLog(file);
    if (skipped > 0) ctx.term.note(`patrol: ${skipped} unreadable line(s) in ${file} were skipped\n`);
    const shown = filterEntries(entries, since, optionalString(args['action']));
    if (shown.length === 0 && args.format === 'pretty') {
      ctx.term.note(`no audit entries${entries.length ? ' match' : ` in ${file}`}\n`);
      return 0;
    }
    ctx.term.write(render(args.format, auditDocument(shown)));
    return 0;
  },
};
