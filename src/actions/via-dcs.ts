// The explicit, last-resort path: write Patroni's /failover key directly into the DCS. Allowed
// only with --via-dcs, only when no member's REST API answers at all (a TLS or authentication
// failure is a reason to stop, never to go around the REST API), with its own confirmation, and
// as a compare-and-swap on the key's revision so a concurrent change is never overwritten.

import type { ActionPlan } from '../cluster/plan.js';
import type { Cluster } from '../cluster/model.js';
import type { Context, Session } from '../context.js';
import { clusterPrefix } from '../dcs/etcd3.js';
import { PatrolError, PreconditionError, TlsOrAuthError, UnreachableError, UsageError } from '../errors.js';
import { trustedMemberOrigin } from '../patroni/trust.js';
import { render } from '../ui/format.js';
import { sanitizeForTerminal } from '../ui/sanitize.js';
import { type ActionFlags, beginAudit } from './run-plan.js';

/** Throws unless every member's REST API is unreachable (as opposed to refusing us). */
export async function requireRestUnreachable(session: Session, cluster: Cluster): Promise<void> {
  const api = await session.api();
  for (const member of cluster.members) {
    const origin = trustedMemberOrigin(member.name, member.apiUrl, session.trustedHosts);
    try {
      await api.getJson(origin, '/patroni');
    } catch (error) {
      if (error instanceof UnreachableError) continue;
      if (error instanceof TlsOrAuthError) {
        throw new TlsOrAuthError(`${error.message} — refusing --via-dcs: a TLS or authentication failure is never bypassed`, error.hint);
      }
      if (error instanceof PatrolError) throw error;
      throw error;
    }
    throw new UsageError(`member ${sanitizeForTerminal(member.name)} answers on its REST API; --via-dcs is only for when none does`, 'drop --via-dcs');
  }
}

export interface FailoverKeyValue {
  leader?: string;
  member: string;
  scheduled_at?: string;
}

export async function writeFailoverKey(ctx: Context, session: Session, plan: ActionPlan, value: FailoverKeyValue, flags: ActionFlags): Promise<boolean> {
  const dcs = await session.dcs();
  if (!dcs) throw new UsageError(`profile "${session.profileName}" has no DCS section; --via-dcs needs one`);
  const key = `${clusterPrefix(session.profile.namespace, session.profile.cluster)}failover`;
  const summary = `write ${JSON.stringify(value)} to the DCS key ${key}, bypassing the REST API's own checks, to ${plan.summary}`;
  if (flags.dryRun) {
    ctx.term.write(render(flags.format, { data: { dryRun: true, action: plan.action, viaDcs: true, key, value }, pretty: () => `Dry run: would ${sanitizeForTerminal(summary)}; nothing is written.\n` }));
    return false;
  }
  beginAudit(ctx, session, plan, { key, value });
  if (!flags.yes) {
    if (!ctx.term.canPrompt) throw new UsageError(`refusing to ${plan.action} via the DCS without confirmation: no terminal to ask on`, 'pass --yes; nothing was written');
    if (!(await ctx.prompter.confirm(`No member's REST API answers. Really ${summary}?`, false))) {
      throw new PreconditionError(`${plan.action} via the DCS cancelled; nothing was written`);
    }
  }
  const current = await dcs.readKey(key);
  if (current.value && current.value.trim() !== '' && current.value.trim() !== '{}') {
    throw new PreconditionError(`a failover or switchover is already pending in the DCS (${sanitizeForTerminal(current.value.slice(0, 120))})`, 'wait for it or clear it with `patrol flush switchover`');
  }
  const written = await dcs.compareAndPut(key, current.modRevision, JSON.stringify(value));
  ctx.audit?.recordReply('(dcs)', 'CAS', key, null, written ? 'ok' : 'refused');
  if (!written) throw new PreconditionError(`the DCS key ${key} changed while patrol was writing it; nothing was written`, 'look at `patrol list` and try again');
  return true;
}
