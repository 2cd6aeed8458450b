// Decodes the body of Patroni's GET /cluster (3.0.x and 4.x shapes) into the cluster model.

import { ProtocolError } from '../errors.js';
import { byName, type Cluster, type Member } from './model.js';
import {
  asInteger,
  asLag,
  asObject,
  asString,
  normalizeRole,
  parseScheduledRestart,
  parseTags,
} from './normalize.js';

export function clusterFromRest(body: unknown, fallbackScope: string): Cluster {
  const root = asObject(body);
  const rawMembers = root?.['members'];
  if (!root || !Array.isArray(rawMembers)) throw new ProtocolError('GET /cluster answer has no members list');
  const members: Member[] = [];
  for (const raw of rawMembers) {
    const m = asObject(raw);
    const name = asString(m?.['name']);
    if (!m || !name) continue;
    const member: Member = {
      name,
      role: normalizeRole(m['role']),
      state: asString(m['state']) ?? 'unknown',
      pendingRestart: m['pending_restart'] === true,
      tags: parseTags(m['tags']),
    };
    const host = asString(m['host']);
    if (host) member.host = host;
    const port = asInteger(m['port']);
    if (port !== undefined) member.port = port;
    const apiUrl = asString(m['api_url']);
    if (apiUrl) member.apiUrl = apiUrl;
    const timeline = asInteger(m['timeline']);
    if (timeline !== undefined) member.timeline = timeline;
    const lag = asLag(m['lag']);
    if (lag !== undefined) member.lagBytes = lag;
    const receiveLag = asLag(m['receive_lag']);
    if (receiveLag !== undefined) member.receiveLagBytes = receiveLag;
    const replayLag = asLag(m['replay_lag']);
    if (replayLag !== undefined) member.replayLagBytes = replayLag;
    const reason = asObject(m['pending_restart_reason']);
    if (reason) member.pendingRestartReason = reason;
    const restart = parseScheduledRestart(m['scheduled_restart']);
    if (restart) member.scheduledRestart = restart;
    members.push(member);
  }
  members.sort(byName);
  const cluster: Cluster = {
    scope: asString(root['scope']) ?? fallbackScope,
    paused: root['pause'] === true,
    members,
    source: 'rest',
  };
  const leader = members.find((m) => m.role === 'leader' || m.role === 'standby_leader');
  if (leader) cluster.leader = leader.name;
  const switchover = asObject(root['scheduled_switchover']);
  const at = asString(switchover?.['at']);
  if (switchover && at) {
    cluster.scheduledSwitchover = { at };
    const from = asString(switchover['from']);
    const to = asString(switchover['to']);
    if (from) cluster.scheduledSwitchover.from = from;
    if (to) cluster.scheduledSwitchover.to = to;
  }
  return cluster;
}
