// `patrol list` over several clusters: `--all` (every cluster under the profile's DCS namespace),
// `list C1 C2 …` (named clusters) and `-p a -p b` (several profiles). Everything is fetched at
// once — profiles and clusters in parallel, a bounded number at a time — under one deadline
// (--timeout) for the whole command. A cluster that fails or does not answer in time is shown as
// such, and the exit code tells a script that something was missing.

import { clusterFromDcs } from '../cluster/from-dcs.js';
import { settleAll, type Settled } from '../cluster/many.js';
import type { Cluster } from '../cluster/model.js';
import { clusterTitle, clusterToJson, type ClusterJson, needsExtendedColumns, serviceLines } from '../cluster/view.js';
import type { Context, GlobalOptions, Session } from '../context.js';
import { clusterPrefix } from '../dcs/etcd3.js';
import { describeFailure, ExitCode, UsageError } from '../errors.js';
import { dcsFor } from '../session.js';
import { type Document, render } from '../ui/format.js';
import { sanitizeForTerminal } from '../ui/sanitize.js';
import { renderTable } from '../ui/table.js';
import { repeat, watchInterval } from '../ui/watch.js';
import { listTable } from './list.js';
import type { ParsedArgs } from './types.js';

/** Requests in flight at once, per level (profiles; clusters of one profile). */
const CONCURRENCY = 8;

export interface ManyRequest {
  all: boolean;
  clusters: string[];
  profiles: string[];
}

/** One cluster's row in the result: its data, or why it is missing. */
export type ClusterOutcome = { profile: string; scope: string } & ({ cluster: Cluster } | { error: unknown });

export interface UnavailableJson {
  profile: string;
  cluster: string;
  error: string;
  exitCode: number;
}

export interface ManyJson {
  clusters: Array<{ profile: string } & ClusterJson>;
  unavailable: UnavailableJson[];
}

/** The error's one line, without the "patrol: " every stderr line starts with. */
function reason(error: unknown): string {
  return describeFailure(error).line.replace(/^patrol: /u, '');
}

// Which failure decides the exit code: the one an operator must act on first.
const EXIT_PRIORITY: number[] = [ExitCode.tlsOrAuth, ExitCode.unexpected, ExitCode.unreachable, ExitCode.usage];

/** 0 when every cluster was read; otherwise the exit code of the most serious failure. */
export function manyExitCode(outcomes: ClusterOutcome[]): number {
  const codes = outcomes.flatMap((o) => ('error' in o ? [describeFailure(o.error).exitCode as number] : []));
  if (codes.length === 0) return ExitCode.ok;
  return [...codes].sort((a, b) => rank(a) - rank(b))[0]!;
}

function rank(code: number): number {
  const i = EXIT_PRIORITY.indexOf(code);
  return i < 0 ? EXIT_PRIORITY.length : i;
}

/** pretty: one table per cluster (patronictl's layout); json/yaml: every cluster plus what is missing; tsv: one member per line. */
export function manyDocument(outcomes: ClusterOutcome[], extendedFlag: boolean): Document {
  const read = outcomes.filter((o): o is { profile: string; scope: string; cluster: Cluster } => 'cluster' in o);
  const extended = extendedFlag || read.some((o) => needsExtendedColumns(o.cluster));
  const severalProfiles = new Set(outcomes.map((o) => o.profile)).size > 1;
  const data: ManyJson = {
    clusters: read.map((o) => ({ profile: o.profile, ...clusterToJson(o.cluster) })),
    unavailable: outcomes.flatMap((o) =>
      'error' in o ? [{ profile: o.profile, cluster: o.scope, error: reason(o.error), exitCode: describeFailure(o.error).exitCode }] : [],
    ),
  };
  const memberTable = (cluster: Cluster) => listTable(cluster, extended);
  const columns = ['Profile', 'Cluster', ...listTable({ scope: '', paused: false, members: [], source: 'dcs' }, extended).columns];
  return {
    data,
    table: { columns, rows: read.flatMap((o) => memberTable(o.cluster).rows.map((row) => [o.profile, o.cluster.scope, ...row])) },
    pretty: () =>
      outcomes
        .map((o) => {
          const label = severalProfiles ? ` [${o.profile}]` : '';
          if ('error' in o) return `Cluster: ${sanitizeForTerminal(o.scope)}${label}: ${reason(o.error)}\n`;
          const table = memberTable(o.cluster);
          const lines = serviceLines(o.cluster);
          return renderTable(table.columns, table.rows, clusterTitle(o.cluster) + label) + (lines.length ? `${lines.join('\n')}\n` : '');
        })
        .join('\n'),
  };
}

function notFound(scope: string, namespace: string): UsageError {
  return new UsageError(`cluster "${sanitizeForTerminal(scope)}" is not in the DCS (no keys under ${clusterPrefix(namespace, scope)})`, 'check the name; `patrol list --all` shows every cluster');
}

/** One named cluster through one profile: from the DCS, or from the REST API if it is the profile's own. */
async function readNamed(session: Session, globals: GlobalOptions, scope: string): Promise<Cluster> {
  const reader = await dcsFor(session, globals);
  if (reader) {
    const snapshot = await reader.readCluster(session.profile.namespace, scope);
    if (snapshot.size === 0) throw notFound(scope, session.profile.namespace);
    return clusterFromDcs(snapshot, scope);
  }
  if (scope !== session.profile.cluster) {
    throw new UsageError(
      `profile "${session.profileName}" reads cluster "${session.profile.cluster}" through its REST API and cannot reach others`,
      'add a DCS to the profile, or use a profile for that cluster',
    );
  }
  return session.readCluster();
}

/** Every cluster one profile is asked for, each outcome kept. */
async function readProfile(ctx: Context, globals: GlobalOptions, profile: string | undefined, request: ManyRequest, deadlineAt: number): Promise<ClusterOutcome[]> {
  const session = await ctx.session({ ...globals, profile });
  const name = session.profileName;
  if (request.all) {
    const reader = await dcsFor(session, globals);
    if (!reader?.readNamespace) {
      throw new UsageError(`--all lists the clusters in the DCS, and profile "${name}" is not reading one`, 'add a DCS to the profile, or drop --source rest');
    }
    const clusters = await reader.readNamespace(session.profile.namespace);
    return [...clusters.keys()].sort().map((scope) => ({ profile: name, scope, cluster: clusterFromDcs(clusters.get(scope)!, scope) }));
  }
  const scopes = request.clusters.length > 0 ? request.clusters : [session.profile.cluster];
  const settled = await settleAll(
    scopes.map((scope) => () => readNamed(session, globals, scope)),
    { concurrency: CONCURRENCY, deadlineMs: Math.max(0, deadlineAt - Date.now()) },
  );
  return settled.map((s, i) => toOutcome(name, scopes[i]!, s));
}

function toOutcome(profile: string, scope: string, settled: Settled<Cluster>): ClusterOutcome {
  return settled.ok ? { profile, scope, cluster: settled.value } : { profile, scope, error: settled.error };
}

/** All profiles at once; a profile that fails as a whole (unknown, unreachable DCS) becomes one row per cluster asked for. */
export async function readMany(ctx: Context, globals: GlobalOptions, request: ManyRequest): Promise<ClusterOutcome[]> {
  const deadlineAt = Date.now() + globals.timeout * 1000;
  const profiles: Array<string | undefined> = request.profiles.length > 0 ? request.profiles : [globals.profile];
  const settled = await settleAll(
    profiles.map((profile) => () => readProfile(ctx, globals, profile, request, deadlineAt)),
    { concurrency: CONCURRENCY, deadlineMs: globals.timeout * 1000 },
  );
  return settled.flatMap((s, i) => {
    if (s.ok) return s.value;
    const profile = profiles[i] ?? '(current)';
    const scopes = request.all ? ['*'] : request.clusters.length > 0 ? request.clusters : ['(its cluster)'];
    return scopes.map((scope) => ({ profile, scope, error: s.error }));
  });
}

export async function runListMany(ctx: Context, args: ParsedArgs, request: ManyRequest): Promise<number> {
  if (request.all && request.clusters.length > 0) throw new UsageError('--all and cluster names do not go together', 'give either --all or the names');
  let last: ClusterOutcome[] = [];
  await repeat(ctx, watchInterval(args), async () => {
    last = await readMany(ctx, args, request);
    return render(args.format, manyDocument(last, args['extended'] === true));
  });
  // tsv carries members only: say on stderr which clusters are missing.
  if (args.format === 'tsv') {
    for (const o of last) if ('error' in o) ctx.term.note(`patrol: cluster ${sanitizeForTerminal(o.scope)} (profile ${o.profile}): ${reason(o.error)}\n`);
  }
  return manyExitCode(last);
}
