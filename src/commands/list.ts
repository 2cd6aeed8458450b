import type { Cluster } from '../cluster/model.js';
import { clusterTitle, clusterToJson, hostColumn, lagInMb, needsExtendedColumns, roleTitle, serviceLines, tagsText } from '../cluster/view.js';
import { type Document, render, type Tabular } from '../ui/format.js';
import { renderTable } from '../ui/table.js';
import { repeat, watchInterval } from '../ui/watch.js';
import { type CommandSpec, stringArray } from './types.js';

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
  command: 'list [clusters..]',
  describe: 'Show the members of the cluster, their roles, state, timeline and lag',
  flags: {
    extended: { alias: 'e', type: 'boolean', describe: 'Always show pending restart, scheduled restart and tags' },
    all: { type: 'boolean', describe: "Every cluster in the profile's DCS namespace" },
    W: { type: 'boolean', describe: 'Watch: redraw every 2 seconds until Ctrl-C' },
    watch: { alias: 'w', type: 'number', describe: 'Watch: redraw every N seconds until Ctrl-C' },
  },
  variadic: 'clusters',
  manyProfiles: true,
  async run(ctx, args) {
    const many = { all: args['all'] === true, clusters: stringArray(args['clusters']), profiles: stringArray(args['profiles']) };
    if (many.all || many.clusters.length > 0 || many.profiles.length > 1) {
      // Several clusters: loaded only when asked for.
      return (await import('./list-many.js')).runListMany(ctx, args, many);
    }
    const session = await ctx.session(args);
    const interval = watchInterval(args);
    const draw = (cluster: Cluster): string => render(args.format, listDocument(cluster, args['extended'] === true));
    if (interval !== undefined) {
      // Watching in DCS mode: follow etcd's changes instead of re-reading every interval.
      const [{ dcsFor }, follow] = await Promise.all([import('../session.js'), import('./list-follow.js')]);
      const reader = await dcsFor(session, args);
      if (follow.canWatch(reader)) {
        await follow.followClusterFromDcs(ctx, reader, { namespace: session.profile.namespace, scope: session.profile.cluster }, interval, draw);
        return 0;
      }
    }
    await repeat(ctx, interval, async () => draw(await session.readCluster()));
    return 0;
  },
};
