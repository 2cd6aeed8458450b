import type { Cluster } from '../cluster/model.js';
import { clusterTitle, clusterToJson, hostColumn, lagInMb, needsExtendedColumns, roleTitle, serviceLines, tagsText } from '../cluster/view.js';
import { type Document, render, type Tabular } from '../ui/format.js';
import { renderTable } from '../ui/table.js';
import { repeat, watchInterval } from '../ui/watch.js';
import type { CommandSpec } from './types.js';

export function listTable(cluster: Cluster, extended: boolean): Tabular {
  const columns = ['Member', 'Host', 'Role', 'State', 'TL', 'Lag in MB'];
  if (extended) columns.push('Pending restart', 'Scheduled restart', 'Tags');
  const rows = cluster.members.map((m) => {
    const row = [m.name, hostColumn(m, cluster), roleTitle(m.role), m.state, m.timeline ?? '', lagInMb(m.lagBytes)];
    if (extended) row.push(m.pendingRestart ? '*' : '', m.scheduledRestart?.schedule ?? '', tagsText(m.tags));
    return row;
  });
  return { columns, rows };
}

export function listDocument(cluster: Cluster, extendedFlag: boolean): Document {
  const table = listTable(cluster, extendedFlag || needsExtendedColumns(cluster));
  return {
    data: clusterToJson(cluster),
    table,
    pretty: () => {
      const lines = serviceLines(cluster);
      return renderTable(table.columns, table.rows, clusterTitle(cluster)) + (lines.length ? `${lines.join('\n')}\n` : '');
    },
  };
}

export const listCommand: CommandSpec = {
  command: 'list',
  describe: 'Show the members of the cluster, their roles, state, timeline and lag',
  builder: (y) =>
    y
      .option('extended', { alias: 'e', type: 'boolean', describe: 'Always show pending restart, scheduled restart and tags' })
      .option('W', { type: 'boolean', describe: 'Watch: redraw every 2 seconds until Ctrl-C' })
      .option('watch', { alias: 'w', type: 'number', describe: 'Watch: redraw every N seconds until Ctrl-C' }),
  async run(ctx, args) {
    const session = await ctx.session(args);
    await repeat(ctx, watchInterval(args), async () => render(args.format, listDocument(await session.readCluster(), args['extended'] === true)));
    return 0;
  },
};
