// Pure planning of cluster actions: who may be a candidate, which members a restart touches and
// in what order, what a paused cluster allows. A plan is exactly what the operator confirms and
// what --dry-run prints; nothing here does I/O.

import { PreconditionError, UsageError } from '../errors.js';
import { sanitizeForTerminal } from '../ui/sanitize.js';
import { type Cluster, isLeaderRole, type Member } from './model.js';

export type UnsafeMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface PlannedRequest {
  member: string;
  /** The member's published api_url; checked against the profile's trusted hosts before use. */
  apiUrl: string | undefined;
  method: UnsafeMethod;
  path: string;
  body?: Record<string, unknown>;
}

export interface ActionPlan {
  action: string;
  cluster: string;
  /** One sentence naming the cluster, the action and the members: what the operator confirms. */
  summary: string;
  requests: PlannedRequest[];
}

const shown = (name: string): string => sanitizeForTerminal(name);

export function memberNames(cluster: Pick<Cluster, 'members'>): string {
  return cluster.members.map((m) => shown(m.name)).join(', ');
}

/** Unknown names are an error, never silently dropped. */
export function requireMembers(cluster: Pick<Cluster, 'scope' | 'members'>, names: string[]): Member[] {
  const unknown = names.filter((n) => !cluster.members.some((m) => m.name === n));
  if (unknown.length) {
    throw new UsageError(
      `unknown member${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${shown(n)}"`).join(', ')} in cluster ${cluster.scope}`,
      `members: ${memberNames(cluster)}`,
    );
  }
  // Each member once, even if named twice: a request must never be sent twice.
  return [...new Set(names)].map((n) => cluster.members.find((m) => m.name === n)!);
}

export const ROLE_FILTERS = ['leader', 'primary', 'standby-leader', 'replica', 'any'] as const;
export type RoleFilter = (typeof ROLE_FILTERS)[number];

export function matchesRole(member: Member, role: RoleFilter): boolean {
  switch (role) {
    case 'leader':
    case 'primary':
      return isLeaderRole(member.role);
    case 'standby-leader':
      return member.role === 'standby_leader';
    case 'replica':
      return !isLeaderRole(member.role);
    case 'any':
      return true;
  }
}

/** Members named (or all), filtered by role; an empty result is a refusal, not a silent no-op. */
export function selectTargets(cluster: Cluster, names: string[], role: RoleFilter): Member[] {
  const pool = names.length ? requireMembers(cluster, names) : cluster.members;
  const targets = pool.filter((m) => matchesRole(m, role));
  if (targets.length === 0) {
    throw new PreconditionError(`no ${role === 'any' ? '' : `${role} `}member${names.length ? ' among those named' : ''} in cluster ${cluster.scope}`);
  }
  return targets;
}

/** Leader last: restarting it first would cost a failover-sized gap before replicas are done. */
export function leaderLast(members: Member[]): Member[] {
  return [...members.filter((m) => !isLeaderRole(m.role)), ...members.filter((m) => isLeaderRole(m.role))];
}

export function isNoFailover(member: Member): boolean {
  const tag = member.tags['nofailover'];
  return tag === true || tag === 'true' || tag === 'True';
}

const HEALTHY_STATES = new Set(['running', 'streaming']);

export interface CandidateInfo {
  member: Member;
  eligible: boolean;
  /** Why a member cannot be a candidate (shown to the operator). */
  reason?: string;
}

/** Every non-leader member with whether it can take over, and why not. */
export function candidateInfo(cluster: Cluster): CandidateInfo[] {
  return cluster.members
    .filter((m) => m.name !== cluster.leader)
    .map((member) => {
      if (isNoFailover(member)) return { member, eligible: false, reason: 'tagged nofailover' };
      if (!HEALTHY_STATES.has(member.state)) return { member, eligible: false, reason: `state is ${member.state}` };
      return { member, eligible: true };
    });
}

export interface SwitchoverInput {
  leader?: string | undefined;
  candidate?: string | undefined;
  /** ISO 8601 with offset; undefined for now. */
  scheduledAt?: string | undefined;
}

export function planSwitchover(cluster: Cluster, input: SwitchoverInput): ActionPlan {
  const leader = cluster.members.find((m) => m.name === cluster.leader);
  if (!leader) throw new PreconditionError(`cluster ${cluster.scope} has no leader`, 'a switchover needs a running leader; use `patrol failover --candidate NAME`');
  if (input.leader !== undefined && input.leader !== leader.name) {
    requireMembers(cluster, [input.leader]);
    throw new PreconditionError(`member ${shown(input.leader)} is not the leader of cluster ${cluster.scope}`, `the leader is ${shown(leader.name)}`);
  }
  if (input.scheduledAt && cluster.paused) {
    throw new PreconditionError(`cannot schedule a switchover: cluster ${cluster.scope} is paused`, 'resume it first with `patrol resume`');
  }
  const candidates = candidateInfo(cluster);
  if (input.candidate !== undefined) {
    const [candidate] = requireMembers(cluster, [input.candidate]);
    if (candidate!.name === leader.name) throw new PreconditionError(`member ${shown(leader.name)} is already the leader of cluster ${cluster.scope}`);
    const info = candidates.find((c) => c.member.name === candidate!.name)!;
    // A scheduled switchover is checked by Patroni when it runs; today's state may change.
    if (!info.eligible && !input.scheduledAt) throw new PreconditionError(`member ${shown(candidate!.name)} cannot become leader: ${info.reason}`);
  } else {
    if (cluster.paused) {
      throw new PreconditionError(`cluster ${cluster.scope} is paused: a switchover needs a specific candidate`, 'pass --candidate NAME');
    }
    if (!candidates.some((c) => c.eligible)) throw new PreconditionError(`no candidate to switch over to in cluster ${cluster.scope}`);
  }
  const body: Record<string, unknown> = { leader: leader.name };
  if (input.candidate !== undefined) body['candidate'] = input.candidate;
  if (input.scheduledAt) body['scheduled_at'] = input.scheduledAt;
  const target = input.candidate !== undefined ? shown(input.candidate) : 'the healthiest replica';
  return {
    action: 'switchover',
    cluster: cluster.scope,
    summary: `${input.scheduledAt ? `schedule a switchover at ${input.scheduledAt}` : 'switch over'} in cluster ${cluster.scope}: demote leader ${shown(leader.name)}, promote ${target}`,
    requests: [{ member: leader.name, apiUrl: leader.apiUrl, method: 'POST', path: '/switchover', body }],
  };
}

export function planFailover(cluster: Cluster, candidateName: string | undefined): ActionPlan {
  if (candidateName === undefined) throw new UsageError('a failover needs a candidate', 'pass --candidate NAME');
  const [candidate] = requireMembers(cluster, [candidateName]);
  if (candidate!.name === cluster.leader) throw new PreconditionError(`member ${shown(candidate!.name)} is already the leader of cluster ${cluster.scope}`);
  const info = candidateInfo(cluster).find((c) => c.member.name === candidate!.name)!;
  if (!info.eligible) throw new PreconditionError(`member ${shown(candidate!.name)} cannot become leader: ${info.reason}`);
  const leader = cluster.members.find((m) => m.name === cluster.leader);
  // With a leader the request goes to it; with none, to the candidate itself (as Patroni expects).
  const target = leader ?? candidate!;
  return {
    action: 'failover',
    cluster: cluster.scope,
    summary: `fail over cluster ${cluster.scope} to ${shown(candidate!.name)}${leader ? `, demoting leader ${shown(leader.name)}` : ' (the cluster has no leader)'}`,
    requests: [{ member: target.name, apiUrl: target.apiUrl, method: 'POST', path: '/failover', body: { candidate: candidate!.name } }],
  };
}

export interface RestartInput {
  members: string[];
  role: RoleFilter;
  pending: boolean;
  scheduledAt?: string | undefined;
  pgVersion?: string | undefined;
  timeoutSeconds?: number | undefined;
}

const PG_VERSION = /^\d+(\.\d+){0,2}$/u;

/** Patroni's own rule: X.Y (PostgreSQL 10 and later) or X.Y.Z (e.g. 15.4, 9.6.24). */
export function validPgVersion(version: string): string {
  const parts = version.split('.');
  const major = Number(parts[0]);
  const ok = PG_VERSION.test(version) && (parts.length === 3 || (parts.length === 2 && major >= 10));
  if (!ok) throw new UsageError(`invalid --pg-version "${version}"`, 'use X.Y from PostgreSQL 10 on (e.g. 15.4), X.Y.Z before (e.g. 9.6.24)');
  return version;
}

export function planRestart(cluster: Cluster, input: RestartInput): ActionPlan {
  if (input.scheduledAt && cluster.paused) throw new PreconditionError(`cannot schedule a restart: cluster ${cluster.scope} is paused`, 'resume it first');
  if (input.pgVersion !== undefined) validPgVersion(input.pgVersion);
  let targets = selectTargets(cluster, input.members, input.role);
  // Immediate --pending restarts only members that need one; a scheduled one lets Patroni decide then.
  if (input.pending && !input.scheduledAt) {
    targets = targets.filter((m) => m.pendingRestart);
    if (targets.length === 0) throw new PreconditionError(`no selected member of cluster ${cluster.scope} has a pending restart`);
  }
  const body: Record<string, unknown> = {};
  if (input.pending) body['restart_pending'] = true;
  if (input.scheduledAt) body['schedule'] = input.scheduledAt;
  if (input.pgVersion) body['postgres_version'] = input.pgVersion;
  if (input.timeoutSeconds !== undefined) body['timeout'] = input.timeoutSeconds;
  const ordered = leaderLast(targets);
  return {
    action: 'restart',
    cluster: cluster.scope,
    summary: `${input.scheduledAt ? `schedule a restart at ${input.scheduledAt} of` : 'restart'} ${ordered.map((m) => shown(m.name)).join(', ')} in cluster ${cluster.scope}${input.pending ? ' (only if a restart is pending)' : ''}`,
    requests: ordered.map((m) => ({ member: m.name, apiUrl: m.apiUrl, method: 'POST' as const, path: '/restart', body })),
  };
}

export function planReload(cluster: Cluster, names: string[], role: RoleFilter): ActionPlan {
  const targets = selectTargets(cluster, names, role);
  return {
    action: 'reload',
    cluster: cluster.scope,
    summary: `reload the configuration of ${targets.map((m) => shown(m.name)).join(', ')} in cluster ${cluster.scope}`,
    requests: targets.map((m) => ({ member: m.name, apiUrl: m.apiUrl, method: 'POST' as const, path: '/reload' })),
  };
}

export function planReinit(cluster: Cluster, names: string[], options: { fromLeader: boolean; cancelRunning: boolean }): ActionPlan {
  if (names.length === 0) throw new UsageError('name the member(s) to reinitialize', `replicas: ${cluster.members.filter((m) => !isLeaderRole(m.role)).map((m) => shown(m.name)).join(', ')}`);
  const targets = requireMembers(cluster, names);
  const leader = targets.find((m) => isLeaderRole(m.role));
  if (leader) throw new PreconditionError(`member ${shown(leader.name)} is the leader and cannot be reinitialized`, 'switch over first');
  const body: Record<string, unknown> = { force: options.cancelRunning };
  if (options.fromLeader) body['from_leader'] = true;
  return {
    action: 'reinit',
    cluster: cluster.scope,
    summary: `reinitialize ${targets.map((m) => shown(m.name)).join(', ')} in cluster ${cluster.scope} (its data directory is wiped and copied again)`,
    requests: targets.map((m) => ({ member: m.name, apiUrl: m.apiUrl, method: 'POST' as const, path: '/reinitialize', body })),
  };
}

/** pause/resume go to one member, the leader first when it is known. */
export function configTargets(cluster: Cluster): Member[] {
  return leaderLast(cluster.members).reverse();
}

export function planPause(cluster: Cluster, pause: boolean): ActionPlan {
  if (pause && cluster.paused) throw new PreconditionError(`cluster ${cluster.scope} is already paused`);
  if (!pause && !cluster.paused) throw new PreconditionError(`cluster ${cluster.scope} is not paused`);
  const target = configTargets(cluster)[0];
  if (!target) throw new PreconditionError(`cluster ${cluster.scope} has no members`);
  return {
    action: pause ? 'pause' : 'resume',
    cluster: cluster.scope,
    summary: pause
      ? `pause cluster ${cluster.scope}: Patroni stops automatic failover and management until resumed`
      : `resume automatic management of cluster ${cluster.scope}`,
    requests: [{ member: target.name, apiUrl: target.apiUrl, method: 'PATCH', path: '/config', body: { pause: pause ? true : null } }],
  };
}

export function planFlush(cluster: Cluster, what: 'restart' | 'switchover', names: string[], role: RoleFilter): ActionPlan {
  if (what === 'switchover') {
    if (!cluster.scheduledSwitchover) throw new PreconditionError(`no scheduled switchover in cluster ${cluster.scope}`);
    const target = configTargets(cluster)[0];
    if (!target) throw new PreconditionError(`cluster ${cluster.scope} has no members to ask`);
    return {
      action: 'flush-switchover',
      cluster: cluster.scope,
      summary: `cancel the switchover scheduled at ${cluster.scheduledSwitchover.at} in cluster ${cluster.scope}`,
      requests: [{ member: target.name, apiUrl: target.apiUrl, method: 'DELETE', path: '/switchover' }],
    };
  }
  const targets = selectTargets(cluster, names, role).filter((m) => m.scheduledRestart);
  if (targets.length === 0) throw new PreconditionError(`no selected member of cluster ${cluster.scope} has a scheduled restart`);
  return {
    action: 'flush-restart',
    cluster: cluster.scope,
    summary: `cancel the scheduled restart of ${targets.map((m) => shown(m.name)).join(', ')} in cluster ${cluster.scope}`,
    requests: targets.map((m) => ({ member: m.name, apiUrl: m.apiUrl, method: 'DELETE' as const, path: '/restart' })),
  };
}
