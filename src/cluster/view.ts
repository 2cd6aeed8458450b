// Pure presentation helpers for the cluster model: the stable JSON shape of `list`, and the
// column values patronictl operators are used to (title-cased roles, lag in MB, host:port).

import type { Cluster, Member, MemberRole } from './model.js';

const ROLE_TITLES: Record<MemberRole, string> = {
  leader: 'Leader',
  standby_leader: 'Standby Leader',
  sync_standby: 'Sync Standby',
  quorum_standby: 'Quorum Standby',
  replica: 'Replica',
};

export function roleTitle(role: MemberRole): string {
  return ROLE_TITLES[role];
}

const MB = 1024 * 1024;

/** Lag in whole MB for the table: blank for the leader, "unknown" when Patroni does not know. */
export function lagInMb(lag: number | null | undefined): string | number {
  if (lag === undefined) return '';
  if (lag === null) return 'unknown';
  return Math.round(lag / MB);
}

/** "host" alone unless the port is not 5432 or several members share a host (as patronictl). */
export function hostColumn(member: Member, cluster: Cluster): string {
  if (!member.host) return '';
  const sharedHost = cluster.members.filter((m) => m.host === member.host).length > 1;
  const port = member.port ?? 5432;
  return port !== 5432 || sharedHost ? `${member.host}:${port}` : member.host;
}

export function needsExtendedColumns(cluster: Cluster): boolean {
  return cluster.members.some((m) => m.pendingRestart || m.scheduledRestart || Object.keys(m.tags).length > 0);
}

export function tagsText(tags: Record<string, unknown>): string {
  const keys = Object.keys(tags).sort();
  return keys.map((k) => `${k}: ${JSON.stringify(tags[k])}`).join(', ');
}

/** The documented JSON shape of one member in `patrol list -f json` (every key always present). */
export interface MemberJson {
  name: string;
  host: string | null;
  port: number | null;
  role: MemberRole;
  state: string;
  timeline: number | null;
  lagBytes: number | null;
  receiveLagBytes: number | null;
  replayLagBytes: number | null;
  pendingRestart: boolean;
  pendingRestartReason: Record<string, unknown> | null;
  scheduledRestart: { schedule: string; postgresVersion: string | null } | null;
  tags: Record<string, unknown>;
  apiUrl: string | null;
}

export interface ClusterJson {
  cluster: string;
  systemId: string | null;
  source: 'rest' | 'dcs';
  leader: string | null;
  paused: boolean;
  scheduledSwitchover: { at: string; from: string | null; to: string | null } | null;
  members: MemberJson[];
}

export function clusterToJson(cluster: Cluster): ClusterJson {
  return {
    cluster: cluster.scope,
    systemId: cluster.systemId ?? null,
    source: cluster.source,
    leader: cluster.leader ?? null,
    paused: cluster.paused,
    scheduledSwitchover: cluster.scheduledSwitchover
      ? { at: cluster.scheduledSwitchover.at, from: cluster.scheduledSwitchover.from ?? null, to: cluster.scheduledSwitchover.to ?? null }
      : null,
    members: cluster.members.map((m) => ({
      name: m.name,
      host: m.host ?? null,
      port: m.port ?? null,
      role: m.role,
      state: m.state,
      timeline: m.timeline ?? null,
      // The leader's lag is 0 by definition; "unknown" is null.
      lagBytes: m.lagBytes === undefined ? 0 : m.lagBytes,
      receiveLagBytes: m.receiveLagBytes ?? null,
      replayLagBytes: m.replayLagBytes ?? null,
      pendingRestart: m.pendingRestart,
      pendingRestartReason: m.pendingRestartReason ?? null,
      scheduledRestart: m.scheduledRestart ? { schedule: m.scheduledRestart.schedule, postgresVersion: m.scheduledRestart.postgresVersion ?? null } : null,
      tags: m.tags,
      apiUrl: m.apiUrl ?? null,
    })),
  };
}

/** Lines printed under the pretty table: maintenance mode and a scheduled switchover. */
export function serviceLines(cluster: Cluster): string[] {
  const lines: string[] = [];
  if (cluster.paused) lines.push(' Maintenance mode: on');
  const s = cluster.scheduledSwitchover;
  if (s) {
    lines.push(` Switchover scheduled at: ${s.at}`);
    if (s.from) lines.push(`                    from: ${s.from}`);
    if (s.to) lines.push(`                      to: ${s.to}`);
  }
  return lines;
}

export function clusterTitle(cluster: Cluster): string {
  return `Cluster: ${cluster.scope}${cluster.systemId ? ` (${cluster.systemId})` : ''}`;
}

/** Replication tree for `topology`: leader first, then members nested by tags.replicatefrom. */
export function topologyOrder(cluster: Cluster): Array<{ member: Member; depth: number }> {
  const byUpstream = new Map<string, Member[]>();
  const names = new Set(cluster.members.map((m) => m.name));
  const leader = cluster.members.find((m) => m.name === cluster.leader);
  const roots: Member[] = [];
  for (const m of cluster.members) {
    if (m === leader) continue;
    const upstream = typeof m.tags['replicatefrom'] === 'string' ? (m.tags['replicatefrom'] as string) : undefined;
    if (upstream && upstream !== m.name && names.has(upstream) && upstream !== leader?.name) {
      byUpstream.set(upstream, [...(byUpstream.get(upstream) ?? []), m]);
    } else {
      roots.push(m);
    }
  }
  const out: Array<{ member: Member; depth: number }> = [];
  const seen = new Set<string>();
  const visit = (m: Member, depth: number): void => {
    if (seen.has(m.name)) return; // a replicatefrom cycle must not loop forever
    seen.add(m.name);
    out.push({ member: m, depth });
    for (const child of byUpstream.get(m.name) ?? []) visit(child, depth + 1);
  };
  if (leader) visit(leader, 0);
  for (const m of roots) visit(m, leader ? 1 : 0);
  // Members only reachable through a cycle are still shown, at the top level.
  for (const m of cluster.members) visit(m, 0);
  return out;
}
