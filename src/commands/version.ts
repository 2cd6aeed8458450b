import { asInteger, asObject, asString } from '../cluster/normalize.js';
import type { Member } from '../cluster/model.js';
import { describeFailure, ExitCode } from '../errors.js';
import { requireMembers } from '../cluster/plan.js';
import { trustedMemberOrigin } from '../patroni/trust.js';
import { render } from '../ui/format.js';
import { sanitizeForTerminal } from '../ui/sanitize.js';
import { type CommandSpec, stringArray } from './types.js';

/** PostgreSQL's server_version_num as text: 150005 → 15.5, 90624 → 9.6.24. */
export function postgresVersionText(versionNum: number): string {
  const major = Math.floor(versionNum / 10000);
  if (major >= 10) return `${major}.${versionNum % 10000}`;
  return `${major}.${Math.floor(versionNum / 100) % 100}.${versionNum % 100}`;
}

export interface MemberVersion {
  name: string;
  patroni: string | null;
  postgres: string | null;
  error: string | null;
}

/** The named members (all when none are named), in cluster order; unknown names are an error. */
export function selectMembers(members: Member[], names: string[], scope: string): Member[] {
  if (names.length === 0) return members;
  const chosen = new Set(requireMembers({ scope, members }, names).map((m) => m.name));
  return members.filter((m) => chosen.has(m.name));
}

export const versionCommand: CommandSpec = {
  command: 'version [members..]',
  describe: "Show patrol's version and each member's Patroni and PostgreSQL version",
  builder: (y) => y.positional('members', { type: 'string', array: true, describe: 'Only these members' }),
  async run(ctx, args) {
    const names = stringArray(args['members']);
    let results: MemberVersion[] = [];
    let worst = 0;
    // With no profile at all, still answer with patrol's own version.
    const haveProfile = args.profile !== undefined || Object.keys((await ctx.profiles.load()).profiles).length > 0;
    if (haveProfile) {
      const session = await ctx.session(args);
      const cluster = await session.readCluster();
      const api = await session.api();
      results = await Promise.all(
        selectMembers(cluster.members, names, cluster.scope).map(async (member): Promise<MemberVersion> => {
          try {
            const origin = trustedMemberOrigin(member.name, member.apiUrl, session.trustedHosts);
            const status = asObject(await api.getJson(origin, '/patroni'));
            const versionNum = asInteger(status?.['server_version']);
            return {
              name: member.name,
              patroni: asString(asObject(status?.['patroni'])?.['version']) ?? null,
              postgres: versionNum === undefined ? null : postgresVersionText(versionNum),
              error: null,
            };
          } catch (error) {
            const failure = describeFailure(error);
            worst = Math.max(worst, failure.exitCode);
            return { name: member.name, patroni: null, postgres: null, error: failure.line.replace(/^patrol: /u, '') };
          }
        }),
      );
    }
    ctx.term.write(render(args.format, {
      data: { patrol: ctx.version, members: results },
      table: { columns: ['Member', 'Patroni', 'PostgreSQL', 'Error'], rows: results.map((r) => [r.name, r.patroni, r.postgres, r.error]) },
      pretty: () =>
        [`patrol ${ctx.version}`, ...results.map((r) => sanitizeForTerminal(r.error ? `${r.name}: failed to get version: ${r.error}` : `${r.name}: Patroni ${r.patroni ?? '?'} PostgreSQL ${r.postgres ?? '?'}`))].join('\n') + '\n',
    }));
    return worst === 0 ? ExitCode.ok : worst;
  },
};
