// `patrol login` stores the secrets a profile needs in its secret store (each checked against the
// cluster first where that is possible); `patrol logout` deletes them.

import type { Context } from '../context.js';
import { TlsOrAuthError, UsageError } from '../errors.js';
import type { Profile } from '../profiles/schema.js';
import { selectProfile } from '../profiles/store.js';
import { neededSecrets } from '../secrets/needs.js';
import { askHidden } from '../secrets/prompt.js';
import { registerSecret } from '../secrets/redact.js';
import { isSecretKind, SECRET_KINDS, type SecretKind, type SecretSource, type SecretStore } from '../secrets/store.js';
import { promptFor } from '../secrets/stores.js';
import { type ClusterCheckDeps, type Verdict, verifyDcsPassword, verifyKeyPassphrase, verifyRestPassword } from '../secrets/verify.js';
import { type CommandSpec, optionalString, type ParsedArgs } from './types.js';

const ATTEMPTS = 3;

const LABEL: Record<SecretKind, string> = {
  'rest-password': 'REST password',
  'key-passphrase': 'key passphrase',
  'dcs-password': 'etcd password',
};

/** The selected profile and the store its secrets live in (--secret-store, env, the profile's choice). */
export async function profileAndStore(ctx: Context, args: ParsedArgs): Promise<{ name: string; profile: Profile; store: SecretStore }> {
  const { name, profile } = selectProfile(await ctx.profiles.load(), args.profile);
  return { name, profile, store: ctx.secretStores.open(ctx.secretStores.choose(profile)) };
}

/** After a login into an explicitly chosen store, later commands must look there too. */
async function recordStoreChoice(ctx: Context, name: string): Promise<void> {
  const explicit = ctx.secretStores.explicit;
  if (explicit === undefined) return;
  const data = await ctx.profiles.load();
  const profile = data.profiles[name];
  if (!profile || profile.secretStore === explicit) return;
  profile.secretStore = explicit;
  await ctx.profiles.save(data);
}

async function verify(kind: SecretKind, value: string, deps: ClusterCheckDeps): Promise<Verdict> {
  switch (kind) {
    case 'key-passphrase':
      return verifyKeyPassphrase(deps.profile, value);
    case 'rest-password':
      return deps.profile.rest.username ? verifyRestPassword(deps, value) : { outcome: 'unverified', reason: 'the profile names no REST user' };
    case 'dcs-password':
      return deps.profile.dcs?.username ? verifyDcsPassword(deps, value) : { outcome: 'unverified', reason: 'the profile names no etcd user' };
  }
}

function readSecretKind(value: unknown): SecretKind | undefined {
  const text = optionalString(value);
  if (text === undefined) return undefined;
  // The value is not echoed: someone may have typed the secret itself here by mistake.
  if (!isSecretKind(text)) throw new UsageError('unknown --secret kind', `use one of: ${SECRET_KINDS.join(', ')}`);
  return text;
}

/** stdin minus one trailing newline (what `echo` or a here-string adds). */
export function secretFromStdin(text: string): string {
  return text.replace(/\r?\n$/u, '');
}

export const loginCommand: CommandSpec = {
  command: 'login',
  describe: "Store the profile's secrets (REST password, key passphrase, etcd password) in its secret store",
  builder: (y) =>
    y
      .option('secret', { type: 'string', describe: `Only this secret: ${SECRET_KINDS.join(', ')}` })
      .option('stdin', { type: 'boolean', default: false, describe: 'Read the secret named by --secret from standard input (for scripts)' })
      .option('verify', { type: 'boolean', default: true, describe: 'Check each secret against the key files and the cluster before storing it (--no-verify to skip)' }),
  async run(ctx, args) {
    const only = readSecretKind(args['secret']);
    const fromStdin = args['stdin'] === true;
    if (fromStdin && !only) throw new UsageError('--stdin needs --secret KIND', `name the secret: ${SECRET_KINDS.join(', ')}`);
    if (!fromStdin && !ctx.term.canPrompt) {
      throw new UsageError('patrol login needs a terminal to ask for secrets', 'in scripts use `patrol login --secret KIND --stdin`');
    }
    const { name, profile, store } = await profileAndStore(ctx, args);
    const kinds: SecretKind[] = only ? [only] : neededSecrets(profile).map((n) => n.kind);
    if (kinds.length === 0) {
      ctx.term.note(`profile "${name}" needs no secrets (no usernames, no encrypted key)\n`);
      return 0;
    }

    // Secrets typed during this login answer the checks of the later ones (the REST check needs
    // the key passphrase typed just before).
    const typed = new Map<SecretKind, string>();
    const known: SecretSource = {
      description: 'this login',
      get: async (ref) => typed.get(ref.kind) ?? ctx.secrets.get(ref),
    };
    const deps: ClusterCheckDeps = { profileName: name, profile, globals: args, secrets: known, debug: (l) => ctx.debug(l), version: ctx.version };
    // Find out now whether the store can be used, before anyone types a secret into a dead end.
    await store.get({ profile: name, kind: kinds[0]! });
    const stdinText = fromStdin ? secretFromStdin(await ctx.term.readStdin()) : undefined;

    for (const kind of kinds) {
      let value: string | undefined;
      for (let attempt = 1; value === undefined; attempt++) {
        const candidate = stdinText ?? (await askHidden(promptFor(kind, name)));
        if (candidate === '') throw new UsageError(`empty ${LABEL[kind]}`, fromStdin ? 'pipe the secret into standard input' : 'type it, or press Ctrl-C to stop');
        registerSecret(candidate);
        const verdict = args['verify'] === false ? ({ outcome: 'unverified', reason: '--no-verify' } as const) : await verify(kind, candidate, deps);
        if (verdict.outcome === 'rejected') {
          if (fromStdin || attempt >= ATTEMPTS) throw new TlsOrAuthError(`the ${LABEL[kind]} was not accepted: ${verdict.reason}; nothing was stored for it`, 'check it and run `patrol login` again');
          ctx.term.note(`the ${LABEL[kind]} was not accepted (${verdict.reason}); try again\n`);
          continue;
        }
        ctx.term.note(verdict.outcome === 'accepted' ? `${LABEL[kind]} accepted by ${verdict.by}\n` : `${LABEL[kind]} not checked: ${verdict.reason}\n`);
        value = candidate;
      }
      typed.set(kind, value);
      await store.set({ profile: name, kind }, value);
    }
    await recordStoreChoice(ctx, name);
    ctx.term.note(`stored ${kinds.map((k) => LABEL[k]).join(', ')} for profile "${name}" in ${store.description}\n`);
    return 0;
  },
};

/** Delete every secret of one profile from a store; returns the kinds that were there. */
export async function deleteProfileSecrets(store: SecretStore, profile: string): Promise<SecretKind[]> {
  const deleted: SecretKind[] = [];
  for (const kind of SECRET_KINDS) if (await store.delete({ profile, kind })) deleted.push(kind);
  return deleted;
}

export const logoutCommand: CommandSpec = {
  command: 'logout',
  describe: "Delete the profile's stored secrets",
  async run(ctx, args) {
    const { name, store } = await profileAndStore(ctx, args);
    const deleted = await deleteProfileSecrets(store, name);
    ctx.term.note(deleted.length ? `deleted ${deleted.map((k) => LABEL[k]).join(', ')} of profile "${name}" from ${store.description}\n` : `no secrets of profile "${name}" in ${store.description}\n`);
    return 0;
  },
};
