// Decodes the keys under /<namespace>/<scope>/ into the cluster model, computing roles and lag the
// way Patroni itself does for `patronictl list`: the leader comes from the `leader` key, sync
// standbys from the `sync` key, and lag is the leader's last known LSN (the `status` key's
// optime) minus each replica's reported xlog_location.

import { byName, type Cluster, type Member, type MemberRole } from './model.js';
import {
  asInteger,
  asObject,
  asString,
  hostPortFromConnUrl,
  parseScheduledRestart,
  parseTags,
  type Json,
} from './normalize.js';

/** Raw DCS values keyed by their path relative to the cluster prefix ("leader", "members/pg0"). */
export type DcsSnapshot = Map<string, string>;

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Patroni writes sync standbys as a comma-separated string (3.x) or a list (4.x). */
function syncMembers(value: unknown): Set<string> {
  const record = asObject(value);
  const raw = record?.['sync_standby'];
  const names = Array.isArray(raw) ? raw.filter((v): v is string => typeof v === 'string') : (asString(raw) ?? '').split(',');
  return new Set(names.map((n) => n.trim()).filter(Boolean));
}

function leaderLsn(snapshot: DcsSnapshot): number | undefined {
  // Usually {"optime": N, …}; a bare number is also accepted, as Patroni does.
  const status = parseJson(snapshot.get('status'));
  const optime = asInteger(asObject(status)?.['optime'] ?? status);
  if (optime !== undefined) return optime;
  return asInteger(snapshot.get('optime/leader')?.trim());
}

export function configFromDcs(snapshot: DcsSnapshot): Json | undefined {
  return asObject(parseJson(snapshot.get('config')));
}

export function historyFromDcs(snapshot: DcsSnapshot): unknown[] {
  const history = parseJson(snapshot.get('history'));
  return Array.isArray(history) ? history : [];
}

export function clusterFromDcs(snapshot: DcsSnapshot, scope: string): Cluster {
  const leaderName = snapshot.get('leader')?.trim() || undefined;
  const config = configFromDcs(snapshot);
  const standbyCluster = asObject(config?.['standby_cluster']) !== undefined;
  const sync = syncMembers(parseJson(snapshot.get('sync')));
  const clusterLsn = leaderLsn(snapshot) ?? 0;

  const members: Member[] = [];
  for (const [key, value] of snapshot) {
    if (!key.startsWith('members/')) continue;
    const name = key.slice('members/'.length);
    const data = asObject(parseJson(value));
    if (!name || !data) continue;
    members.push(memberFromDcs(name, data, { leaderName, standbyCluster, sync, quorum: config?.['synchronous_mode'] === 'quorum', clusterLsn }));
  }
  members.sort(byName);

  const cluster: Cluster = { scope, paused: config?.['pause'] === true, members, source: 'dcs' };
  const systemId = snapshot.get('initialize')?.trim();
  if (systemId) cluster.systemId = systemId;
  if (leaderName) cluster.leader = leaderName;
  const failover = asObject(parseJson(snapshot.get('failover')));
  const at = asString(failover?.['scheduled_at']);
  if (failover && at) {
    cluster.scheduledSwitchover = { at };
    const from = asString(failover['leader']);
    const to = asString(failover['member']) ?? asString(failover['candidate']);
    if (from) cluster.scheduledSwitchover.from = from;
    if (to) cluster.scheduledSwitchover.to = to;
  }
  return cluster;
}

interface RoleContext {
  leaderName: string | undefined;
  standbyCluster: boolean;
  sync: Set<string>;
  /** synchronous_mode: quorum (Patroni 4): sync-key members are quorum standbys. */
  quorum: boolean;
  clusterLsn: number;
}

function memberFromDcs(name: string, data: Json, ctx: RoleContext): Member {
  const isLeader = name === ctx.leaderName;
  const role: MemberRole = isLeader
    ? ctx.standbyCluster
      ? 'standby_leader'
      : 'leader'
    : ctx.sync.has(name)
      ? ctx.quorum
        ? 'quorum_standby'
        : 'sync_standby'
      : 'replica';
  // 4.x members publish replication_state (streaming / in archive recovery) next to state.
  const state = (role !== 'leader' ? asString(data['replication_state']) : undefined) ?? asString(data['state']) ?? 'unknown';
  const member: Member = { name, role, state, pendingRestart: data['pending_restart'] === true, tags: parseTags(data['tags']) };
  const { host, port } = hostPortFromConnUrl(asString(data['conn_url']));
  if (host) member.host = host;
  if (port !== undefined) member.port = port;
  const apiUrl = asString(data['api_url']);
  if (apiUrl) member.apiUrl = apiUrl;
  const timeline = asInteger(data['timeline']);
  if (timeline !== undefined) member.timeline = timeline;
  if (!isLeader) {
    const lsn = asInteger(data['xlog_location']);
    member.lagBytes = lsn === undefined ? null : Math.max(0, ctx.clusterLsn - lsn);
    const receive = asInteger(data['receive_lsn']);
    const replay = asInteger(data['replay_lsn']);
    if (receive !== undefined) member.receiveLagBytes = Math.max(0, ctx.clusterLsn - receive);
    if (replay !== undefined) member.replayLagBytes = Math.max(0, ctx.clusterLsn - replay);
  }
  const reason = asObject(data['pending_restart_reason']);
  if (reason) member.pendingRestartReason = reason;
  const restart = parseScheduledRestart(data['scheduled_restart']);
  if (restart) member.scheduledRestart = restart;
  const version = asString(data['version']);
  if (version) member.patroniVersion = version;
  return member;
}
