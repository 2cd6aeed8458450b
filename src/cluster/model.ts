// The cluster as patrol understands it, independent of where it was read from (the REST API's
// GET /cluster or the DCS keys) and of the Patroni version (3.0.x and 4.x name things differently).

export type MemberRole = 'leader' | 'standby_leader' | 'sync_standby' | 'quorum_standby' | 'replica';

export interface ScheduledRestart {
  schedule: string;
  postgresVersion?: string;
}

export interface Member {
  name: string;
  role: MemberRole;
  /** Patroni's state: running, streaming, in archive recovery, stopped, starting, … */
  state: string;
  host?: string;
  port?: number;
  apiUrl?: string;
  timeline?: number;
  /** Bytes behind the leader; null when Patroni reports it as unknown; absent for the leader. */
  lagBytes?: number | null;
  receiveLagBytes?: number | null;
  replayLagBytes?: number | null;
  pendingRestart: boolean;
  pendingRestartReason?: Record<string, unknown>;
  scheduledRestart?: ScheduledRestart;
  tags: Record<string, unknown>;
  /** Patroni version from the member's DCS record (DCS mode only). */
  patroniVersion?: string;
}

export interface ScheduledSwitchover {
  at: string;
  from?: string;
  to?: string;
}

export interface Cluster {
  scope: string;
  /** PostgreSQL system identifier (DCS `initialize` key); unknown in REST-only mode. */
  systemId?: string;
  leader?: string;
  paused: boolean;
  scheduledSwitchover?: ScheduledSwitchover;
  /** Sorted by name, so output and comparisons are stable. */
  members: Member[];
  source: 'rest' | 'dcs';
}

export function isLeaderRole(role: MemberRole): boolean {
  return role === 'leader' || role === 'standby_leader';
}

export function leaderOf(cluster: Cluster): Member | undefined {
  return cluster.members.find((m) => isLeaderRole(m.role));
}

export function findMember(cluster: Cluster, name: string): Member | undefined {
  return cluster.members.find((m) => m.name === name);
}

export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
