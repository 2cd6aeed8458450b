// `patrol profile pin NAME`: record the public keys the profile's servers present now (every REST
// member the profile trusts, every DCS endpoint) as the profile's pins, after showing them and
// asking. Only keys of servers that pass the normal checks (chain to the profile CA, name in the
// SAN) are recorded: pinning adds to verification, it never replaces it. From then on a server
// presenting any other key is refused, even with a certificate the CA signed.

import { clusterFromRest } from '../cluster/from-rest.js';
import type { Context } from '../context.js';
import { inspectEndpoint } from '../doctor/probe.js';
import { DeclinedError, TlsOrAuthError, UsageError } from '../errors.js';
import { certificatePin } from '../net/pinning.js';
import { loadTlsMaterial, type TlsMaterial } from '../net/tls.js';
import { DEFAULT_LIMITS, HttpTransport } from '../net/transport.js';
import { PatroniRestClient } from '../patroni/client.js';
import { trustedHostSet, trustedMemberOrigin } from '../patroni/trust.js';
import type { Profile } from '../profiles/schema.js';
import { selectProfile } from '../profiles/store.js';
import { howToSupply } from '../secrets/store.js';
import { render } from '../ui/format.js';
import { sanitizeForTerminal } from '../ui/sanitize.js';
import { type CommandSpec, optionalString } from './types.js';

export interface ObservedKey {
  section: 'rest' | 'dcs';
  endpoint: string;
  subject: string;
  validTo: string;
  pin: string;
}

async function observe(section: 'rest' | 'dcs', origin: string, tls: TlsMaterial, timeoutMs: number): Promise<ObservedKey> {
  const seen = await inspectEndpoint(origin, tls, timeoutMs);
  const problem = seen.dnsError ?? seen.tcpError ?? seen.handshakeError;
  if (problem) throw new TlsOrAuthError(`cannot pin ${origin}: ${problem}`, 'run `patrol doctor` to see what is wrong');
  if (seen.chainError || seen.identityError || !seen.leaf) {
    throw new TlsOrAuthError(`cannot pin ${origin}: its certificate does not pass verification (${seen.chainError ?? seen.identityError ?? 'no certificate'})`, 'fix the certificate or the profile CA first; pins are only recorded for servers patrol already trusts');
  }
  return { section, endpoint: origin, subject: seen.leaf.subject.replace(/\n/gu, ', '), validTo: new Date(seen.leaf.validTo).toISOString(), pin: certificatePin(seen.leaf.raw) };
}

/** The REST endpoints to pin: seeds plus every member api_url the profile trusts. */
async function restEndpoints(profile: Profile, tls: TlsMaterial, timeoutMs: number, ctx: Context): Promise<string[]> {
  const transport = new HttpTransport({ ...tls, pins: [] }, { ...DEFAULT_LIMITS, responseTimeoutMs: timeoutMs }, ctx.debug, `patrol/${ctx.version}`);
  try {
    const api = new PatroniRestClient(transport, profile.rest.urls, async () => undefined);
    const { json } = await api.getFromSeeds('/cluster');
    const trusted = trustedHostSet(profile.rest.urls, profile.rest.allowedHosts);
    const origins = new Set(profile.rest.urls);
    for (const member of clusterFromRest(json, profile.cluster).members) {
      try {
        origins.add(trustedMemberOrigin(member.name, member.apiUrl, trusted));
      } catch {
        // An untrusted member is never contacted, so there is nothing to pin for it.
      }
    }
    return [...origins];
  } finally {
    transport.close();
  }
}

export function pinsDocument(name: string, keys: ObservedKey[], previous: { rest: string[]; dcs: string[] }) {
  const rows = keys.map((k) => ({ ...k, new: !previous[k.section].includes(k.pin) }));
  return {
    data: { profile: name, keys: rows },
    table: { columns: ['Section', 'Endpoint', 'Subject', 'Valid until', 'Pin', 'New'], rows: rows.map((r) => [r.section, r.endpoint, r.subject, r.validTo.slice(0, 10), r.pin, r.new ? 'yes' : '']) },
  };
}

export const profilePinCommand: CommandSpec = {
  command: 'pin <name>',
  describe: "Record the public keys the profile's servers present now as pins (shown first, then asked)",
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'Profile name' })
      .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Record without asking (needed without a terminal)' })
      .option('clear', { type: 'boolean', default: false, describe: 'Remove all pins from the profile instead' }),
  async run(ctx, args) {
    const data = await ctx.profiles.load();
    const { name, profile } = selectProfile(data, optionalString(args['name']));
    if (args['clear'] === true) {
      delete profile.rest.pins;
      if (profile.dcs) delete profile.dcs.pins;
      await ctx.profiles.save(data);
      ctx.term.note(`pins removed from profile "${name}"\n`);
      return 0;
    }
    const timeoutMs = args.timeout * 1000;
    const passphrase = () => ctx.secrets.get({ profile: name, kind: 'key-passphrase' });
    const restTls = await loadTlsMaterial(profile.rest, 'REST', passphrase, howToSupply('key-passphrase', name));
    const keys: ObservedKey[] = [];
    for (const origin of await restEndpoints(profile, restTls, timeoutMs, ctx)) keys.push(await observe('rest', origin, restTls, timeoutMs));
    if (profile.dcs) {
      const dcsTls = await loadTlsMaterial(profile.dcs, 'DCS', passphrase, howToSupply('key-passphrase', name));
      for (const origin of profile.dcs.urls) keys.push(await observe('dcs', origin, dcsTls, timeoutMs));
    }
    const previous = { rest: profile.rest.pins ?? [], dcs: profile.dcs?.pins ?? [] };
    ctx.term.write(render(args.format, pinsDocument(name, keys, previous)));
    if (args['yes'] !== true) {
      if (!ctx.term.canPrompt) throw new UsageError(`refusing to record pins for profile "${name}" without confirmation: no terminal to ask on`, 'check the keys above, then pass --yes');
      const question = `Record these ${keys.length} key${keys.length === 1 ? '' : 's'} as the only ones profile "${sanitizeForTerminal(name)}" accepts?`;
      if (!(await ctx.prompter.confirm(question, false))) throw new DeclinedError('pins not recorded; the profile is unchanged');
    }
    const unique = (section: 'rest' | 'dcs'): string[] => [...new Set(keys.filter((k) => k.section === section).map((k) => k.pin))].sort();
    profile.rest.pins = unique('rest');
    if (profile.dcs) profile.dcs.pins = unique('dcs');
    await ctx.profiles.save(data);
    ctx.term.note(`pins recorded in profile "${name}": ${profile.rest.pins.length} REST${profile.dcs ? `, ${profile.dcs.pins?.length ?? 0} DCS` : ''}\n`);
    return 0;
  },
};
