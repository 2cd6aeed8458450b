import { asInteger, asString } from '../cluster/normalize.js';
import { type Document, render } from '../ui/format.js';
import type { CommandSpec } from './types.js';

export interface HistoryEntry {
  timeline: number;
  lsn: number | null;
  reason: string | null;
  timestamp: string | null;
  newLeader: string | null;
}

/** Patroni stores history as [timeline, lsn, reason, timestamp?, new_leader?] arrays. */
export function parseHistory(raw: unknown[]): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const item of raw) {
    if (!Array.isArray(item)) continue;
    const timeline = asInteger(item[0]);
    if (timeline === undefined) continue;
    entries.push({
      timeline,
      lsn: asInteger(item[1]) ?? null,
      reason: asString(item[2]) ?? null,
      timestamp: asString(item[3]) ?? null,
      newLeader: asString(item[4]) ?? null,
    });
  }
  return entries.sort((a, b) => a.timeline - b.timeline);
}

export function historyDocument(entries: HistoryEntry[]): Document {
  return {
    data: entries,
    table: {
      columns: ['TL', 'LSN', 'Reason', 'Timestamp', 'New Leader'],
      rows: entries.map((e) => [e.timeline, e.lsn, e.reason, e.timestamp, e.newLeader]),
    },
  };
}

export const historyCommand: CommandSpec = {
  command: 'history',
  describe: 'Show the timeline history of the cluster (failovers and switchovers)',
  flags: {},
  async run(ctx, args) {
    const session = await ctx.session(args);
    ctx.term.write(render(args.format, historyDocument(parseHistory(await session.readHistory()))));
    return 0;
  },
};
