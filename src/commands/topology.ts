import type { Cluster } from '../cluster/model.js';
import { clusterTitle, clusterToJson, hostColumn, lagInMb, roleTitle, serviceLines, topologyOrder } from '../cluster/view.js';
import { type Document, render } from '../ui/format.js';
import { renderTable } from '../ui/table.js';
import { repeat, watchInterval } from '../ui/watch.js';
import type { CommandSpec } from './types.js';

export function topologyDocument(cluster: Cluster): Document {
  const order = topologyOrder(cluster);
  const columns = ['Member', 'Host', 'Role', 'State', 'TL', 'Lag in MB'];
  const rows = order.map(({ member, depth }) => [
    depth === 0 ? member.name : `${'  '.repeat(depth - 1)}+ ${member.name}`,
    hostColumn(member, cluster),
    roleTitle(member.role),
    member.state,
    member.timeline ?? '',
    lagInMb(member.lagBytes),
  ]);
  const json = clusterToJson(cluster);
  const depthOf = new Map(order.map(({ member, depth }) => [member.name, depth]));
  return {
    data: {
      ...json,
      // Same members as `list`, in tree order, each with its depth and upstream.
      members: order.map(({ member }) => {
        const base = json.members.find((m) => m.name === member.name)!;
        const upstream = member.tags['replicatefrom'];
        return { ...base, depth: depthOf.get(member.name) ?? 0, replicatesFrom: typeof upstream === 'string' ? upstream : cluster.leader ?? null };
      }),
    },
    table: { columns, rows },
    pretty: () => {
      const lines = serviceLines(cluster);
      return renderTable(columns, rows, clusterTitle(cluster)) + (lines.length ? `${lines.join('\n')}\n` : '');
    },
  };
}

export const topologyCommand: CommandSpec = {
  command: 'topology',
  describe: 'Show the cluster as a replication tree (leader, then replicas by replicatefrom)',
  flags: {
    W: { type: 'boolean', describe: 'Watch: redraw every 2 seconds until Ctrl-C' },
    watch: { alias: 'w', type: 'number', describe: 'Watch: redraw every N seconds until Ctrl-C' },
  },
  async run(ctx, args) {
    const session = await ctx.session(args);
    await repeat(ctx, watchInterval(args), async () => render(args.format, topologyDocument(await session.readCluster())));
    return 0;
  },
};
