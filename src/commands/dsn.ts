import type { Cluster, Member } from '../cluster/model.js';
import { PreconditionError, UsageError } from '../errors.js';
import { sanitizeForTerminal } from '../ui/sanitize.js';
import { render } from '../ui/format.js';
import { type CommandSpec, optionalString } from './types.js';

export const DSN_ROLES = ['leader', 'primary', 'replica', 'standby-leader', 'any'] as const;
export type DsnRole = (typeof DSN_ROLES)[number];

const HEALTHY = new Set(['running', 'streaming']);

/** The member a connection string should point at: by name, or the first healthy one in a role. */
export function chooseDsnMember(cluster: Cluster, role: DsnRole, memberName?: string): Member {
  if (memberName !== undefined) {
    const member = cluster.members.find((m) => m.name === memberName);
    if (!member) {
      throw new UsageError(`no member "${sanitizeForTerminal(memberName)}" in cluster ${cluster.scope}`, `members: ${cluster.members.map((m) => sanitizeForTerminal(m.name)).join(', ')}`);
    }
    return member;
  }
  const matches = cluster.members.filter((m) => {
    switch (role) {
      case 'leader':
      case 'primary':
        return m.role === 'leader' || m.role === 'standby_leader';
      case 'standby-leader':
        return m.role === 'standby_leader';
      case 'replica':
        return m.role !== 'leader' && m.role !== 'standby_leader';
      case 'any':
        return true;
    }
  });
  const chosen = matches.find((m) => HEALTHY.has(m.state) && m.host) ?? matches.find((m) => m.host);
  if (!chosen) throw new PreconditionError(`no suitable ${role} member with a known host in cluster ${cluster.scope}`);
  return chosen;
}

/**
 * Quote a value the way libpq's key=value syntax expects, so a hostile host name from the cluster
 * cannot smuggle extra settings (e.g. "h sslmode=disable") into the connection string.
 */
export function libpqValue(value: string): string {
  return /^[^\s'\\]+$/u.test(value) ? value : `'${value.replace(/[\\']/gu, (c) => `\\${c}`)}'`;
}

export function dsnFor(member: Member): string {
  return `host=${libpqValue(member.host ?? '')} port=${member.port ?? 5432}`;
}

export const dsnCommand: CommandSpec = {
  command: 'dsn',
  describe: 'Print a libpq connection string for the leader, a role or a member',
  builder: (y) =>
    y
      .option('role', { alias: 'r', type: 'string', choices: DSN_ROLES as unknown as string[], describe: 'Pick a member in this role (default leader)' })
      .option('member', { alias: 'm', type: 'string', describe: 'Pick this member' })
      .conflicts('role', 'member'),
  async run(ctx, args) {
    const session = await ctx.session(args);
    const member = chooseDsnMember(await session.readCluster(), (optionalString(args['role']) ?? 'leader') as DsnRole, optionalString(args['member']));
    const dsn = dsnFor(member);
    ctx.term.write(render(args.format, {
      data: { member: member.name, host: member.host ?? null, port: member.port ?? 5432, dsn },
      table: { columns: ['Member', 'DSN'], rows: [[member.name, dsn]] },
      pretty: () => `${sanitizeForTerminal(dsn)}\n`,
    }));
    return 0;
  },
};
