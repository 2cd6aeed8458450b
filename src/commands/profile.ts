// Profile management. Profiles name files and users, never secrets: those live in the profile's
// secret store, which `remove` and `rename` keep in step with the profile.

import { accessSync, constants } from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors.js';
import {
  type DcsSettings,
  type Profile,
  validateClusterName,
  validateEndpointUrl,
  validateNamespace,
  validateProfileName,
} from '../profiles/schema.js';
import { selectProfile } from '../profiles/store.js';
import type { Context } from '../context.js';
import { SECRET_KINDS, type SecretKind, SecretStoreUnavailableError } from '../secrets/store.js';
import { render } from '../ui/format.js';
import { type CommandSpec, optionalString, type ParsedArgs, stringArray } from './types.js';
import { profilePinCommand } from './profile-pin.js';

function existingFile(value: unknown, flag: string): string | undefined {
  const file = optionalString(value);
  if (file === undefined) return undefined;
  const absolute = path.resolve(file);
  try {
    accessSync(absolute, constants.R_OK);
  } catch {
    throw new UsageError(`${flag} ${absolute} is not a readable file`, 'check the path and its permissions');
  }
  return absolute;
}

/** Build a validated profile from `profile add` flags (pure apart from checking files exist). */
export function profileFromArgs(args: ParsedArgs): Profile {
  const cluster = optionalString(args['cluster']);
  if (!cluster) throw new UsageError('missing --cluster', "pass the Patroni scope, e.g. --cluster main");
  const restUrls = stringArray(args['rest-url']).map((u) => validateEndpointUrl(u, 'REST URL'));
  if (restUrls.length === 0) throw new UsageError('missing --rest-url', 'pass at least one https://HOST:PORT of a Patroni REST API');
  const profile: Profile = {
    cluster: validateClusterName(cluster),
    namespace: validateNamespace(optionalString(args['namespace']) ?? '/service'),
    rest: { urls: restUrls },
  };
  const set = <K extends keyof Profile['rest']>(key: K, value: Profile['rest'][K] | undefined): void => {
    if (value !== undefined) profile.rest[key] = value;
  };
  set('cacert', existingFile(args['cacert'], '--cacert'));
  set('cert', existingFile(args['cert'], '--cert'));
  set('key', existingFile(args['key'], '--key'));
  set('username', optionalString(args['username']));
  const allowed = stringArray(args['allowed-host']);
  if (allowed.length) set('allowedHosts', allowed);
  if (!!profile.rest.cert !== !!profile.rest.key) throw new UsageError('--cert and --key go together', 'pass both, or neither');

  const dcsUrls = stringArray(args['dcs-url']).map((u) => validateEndpointUrl(u, 'DCS URL'));
  const dcsFlags = ['dcs-cacert', 'dcs-cert', 'dcs-key', 'dcs-username'].filter((f) => args[f] !== undefined);
  if (dcsUrls.length === 0 && dcsFlags.length) throw new UsageError(`--${dcsFlags[0]} needs --dcs-url`, 'pass the etcd client URL(s) with --dcs-url');
  if (dcsUrls.length) {
    const dcs: DcsSettings = { type: 'etcd3', urls: dcsUrls };
    const cacert = existingFile(args['dcs-cacert'], '--dcs-cacert');
    const cert = existingFile(args['dcs-cert'], '--dcs-cert');
    const key = existingFile(args['dcs-key'], '--dcs-key');
    const username = optionalString(args['dcs-username']);
    if (cacert) dcs.cacert = cacert;
    if (cert) dcs.cert = cert;
    if (key) dcs.key = key;
    if (username) dcs.username = username;
    if (!!dcs.cert !== !!dcs.key) throw new UsageError('--dcs-cert and --dcs-key go together', 'pass both, or neither');
    profile.dcs = dcs;
  }
  return profile;
}

/** Flags `profile add` cannot do without; on a terminal the wizard asks for them instead. */
function missingRequired(args: ParsedArgs): boolean {
  return optionalString(args['name']) === undefined || optionalString(args['cluster']) === undefined || stringArray(args['rest-url']).length === 0;
}

const addCommand: CommandSpec = {
  command: 'add [name]',
  describe: 'Create (or with --replace, overwrite) a profile',
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'Profile name' })
      .option('cluster', { type: 'string', describe: 'Patroni scope (cluster name)' })
      .option('namespace', { type: 'string', describe: 'Patroni namespace (default /service)' })
      .option('rest-url', { type: 'string', array: true, describe: 'Patroni REST API URL (https), repeatable' })
      .option('cacert', { type: 'string', describe: 'CA file that signed the Patroni REST certificates' })
      .option('cert', { type: 'string', describe: 'Client certificate for the REST API' })
      .option('key', { type: 'string', describe: 'Client key (may be encrypted: PATROL_KEY_PASSPHRASE)' })
      .option('username', { type: 'string', describe: 'REST basic-auth user (password: PATROL_REST_PASSWORD)' })
      .option('allowed-host', { type: 'string', array: true, describe: 'Extra host whose member api_url may be contacted' })
      .option('dcs-url', { type: 'string', array: true, describe: 'etcd v3 client URL (https), repeatable' })
      .option('dcs-cacert', { type: 'string', describe: 'CA file for etcd' })
      .option('dcs-cert', { type: 'string', describe: 'Client certificate for etcd' })
      .option('dcs-key', { type: 'string', describe: 'Client key for etcd' })
      .option('dcs-username', { type: 'string', describe: 'etcd user (password: PATROL_DCS_PASSWORD)' })
      .option('use', { type: 'boolean', describe: 'Make it the current profile' })
      .option('replace', { type: 'boolean', describe: 'Overwrite an existing profile of that name' }),
  async run(ctx, args) {
    if (missingRequired(args) && ctx.term.canPrompt) {
      const { runProfileWizard } = await import('../ui/wizard.js');
      return runProfileWizard(ctx, args);
    }
    const rawName = optionalString(args['name']);
    if (rawName === undefined) throw new UsageError('missing profile name', 'run `patrol profile add NAME --cluster SCOPE --rest-url https://HOST:8008 …`, or run it on a terminal to be asked');
    const name = validateProfileName(rawName);
    const profile = profileFromArgs(args);
    if (ctx.secretStores.explicit) profile.secretStore = ctx.secretStores.explicit;
    const data = await ctx.profiles.load();
    if (data.profiles[name] && args['replace'] !== true) {
      throw new UsageError(`profile "${name}" already exists`, 'pass --replace to overwrite it, or choose another name');
    }
    data.profiles[name] = profile;
    if (args['use'] === true || data.current === undefined) data.current = name;
    await ctx.profiles.save(data);
    ctx.term.note(`profile "${name}" saved in ${ctx.profiles.file}${data.current === name ? ' (current)' : ''}\n`);
    return 0;
  },
};

const listProfilesCommand: CommandSpec = {
  command: 'list',
  describe: 'List profiles',
  async run(ctx, args) {
    const data = await ctx.profiles.load();
    const rows = Object.entries(data.profiles).map(([name, p]) => ({
      name,
      current: name === data.current,
      cluster: p.cluster,
      rest: p.rest.urls,
      dcs: p.dcs?.urls ?? [],
    }));
    ctx.term.write(render(args.format, {
      data: rows,
      table: {
        columns: ['', 'Profile', 'Cluster', 'REST', 'DCS'],
        rows: rows.map((r) => [r.current ? '*' : '', r.name, r.cluster, r.rest.join(','), r.dcs.join(',')]),
      },
    }));
    return 0;
  },
};

const showCommand: CommandSpec = {
  command: 'show [name]',
  describe: 'Show a profile (the current one by default)',
  builder: (y) => y.positional('name', { type: 'string' }),
  async run(ctx, args) {
    const data = await ctx.profiles.load();
    const { name, profile } = selectProfile(data, optionalString(args['name']) ?? args.profile);
    ctx.term.write(render(args.format, { data: { name, ...profile } }));
    return 0;
  },
};

const useCommand: CommandSpec = {
  command: 'use <name>',
  describe: 'Make a profile the current one',
  builder: (y) => y.positional('name', { type: 'string' }),
  async run(ctx, args) {
    const data = await ctx.profiles.load();
    const { name } = selectProfile(data, String(args['name']));
    data.current = name;
    await ctx.profiles.save(data);
    ctx.term.note(`current profile: ${name}\n`);
    return 0;
  },
};

const removeCommand: CommandSpec = {
  command: 'remove <name>',
  describe: 'Remove a profile',
  builder: (y) => y.positional('name', { type: 'string' }),
  async run(ctx, args) {
    const data = await ctx.profiles.load();
    const { name, profile } = selectProfile(data, String(args['name']));
    const store = ctx.secretStores.open(ctx.secretStores.choose(profile));
    let deleted = 0;
    try {
      for (const kind of SECRET_KINDS) if (await store.delete({ profile: name, kind })) deleted++;
    } catch (error) {
      if (!(error instanceof SecretStoreUnavailableError)) throw error;
      // The operator asked for the profile to go; say exactly what is left behind.
      ctx.term.note(`patrol: warning: the secrets of "${name}" could not be deleted from ${store.description} (${error.message}); delete the entries "${name}/…" of service "patrol" there, or re-add the profile and run \`patrol logout\`\n`);
    }
    delete data.profiles[name];
    if (data.current === name) delete data.current;
    await ctx.profiles.save(data);
    ctx.term.note(`profile "${name}" removed${deleted ? ` with its ${deleted} stored secret${deleted > 1 ? 's' : ''}` : ''}\n`);
    return 0;
  },
};

/** Move a profile's secrets to another name (copy first, then delete, so a failure loses nothing). */
async function moveSecrets(ctx: Context, profile: Profile, from: string, to: string): Promise<number> {
  const store = ctx.secretStores.open(ctx.secretStores.choose(profile));
  const moved: SecretKind[] = [];
  for (const kind of SECRET_KINDS) {
    const value = await store.get({ profile: from, kind });
    if (value === undefined) continue;
    await store.set({ profile: to, kind }, value);
    moved.push(kind);
  }
  for (const kind of moved) await store.delete({ profile: from, kind });
  return moved.length;
}

const renameCommand: CommandSpec = {
  command: 'rename <name> <new-name>',
  describe: 'Rename a profile, moving its stored secrets with it',
  builder: (y) => y.positional('name', { type: 'string' }).positional('new-name', { type: 'string' }),
  async run(ctx, args) {
    const data = await ctx.profiles.load();
    const { name, profile } = selectProfile(data, String(args['name']));
    const newName = validateProfileName(String(args['new-name']));
    if (data.profiles[newName]) throw new UsageError(`profile "${newName}" already exists`, 'remove it first or choose another name');
    const moved = await moveSecrets(ctx, profile, name, newName);
    data.profiles[newName] = profile;
    delete data.profiles[name];
    if (data.current === name) data.current = newName;
    await ctx.profiles.save(data);
    ctx.term.note(`profile "${name}" renamed to "${newName}"${moved ? ` (${moved} stored secret${moved > 1 ? 's' : ''} moved)` : ''}\n`);
    return 0;
  },
};

const importCommand: CommandSpec = {
  command: 'import <input>',
  describe: 'Install a profile bundle (FILE), or create profile NAME from a Patroni config with --from patroni.yml',
  builder: (y) =>
    y
      .positional('input', { type: 'string', describe: 'A bundle file, or with --from the name of the new profile' })
      .option('from', { type: 'string', describe: 'patroni.yml or patronictl.yaml to read (never modified)' })
      .option('name', { type: 'string', describe: 'Profile name for a bundle (default: the name inside it)' })
      .option('rest-url', { type: 'string', array: true, describe: 'REST URL(s) to use instead of the ones in the file' })
      .option('cert', { type: 'string', describe: 'Your client certificate (bundles carry none)' })
      .option('key', { type: 'string', describe: 'Your client key (bundles carry none)' })
      .option('use', { type: 'boolean', describe: 'Make it the current profile' })
      .option('replace', { type: 'boolean', describe: 'Overwrite an existing profile of that name' }),
  async run(ctx, args) {
    const { importProfileCommand } = await import('./profile-import.js');
    return importProfileCommand(ctx, args);
  },
};

const exportCommand: CommandSpec = {
  command: 'export [name]',
  describe: 'Print a secret-free bundle of a profile (CA inlined; no keys, no secrets) to hand to a new operator',
  builder: (y) => y.positional('name', { type: 'string' }).option('output', { alias: 'o', type: 'string', describe: 'Write the bundle to this file instead of stdout' }),
  async run(ctx, args) {
    const { exportProfileCommand } = await import('./profile-import.js');
    return exportProfileCommand(ctx, args);
  },
};

export const profileSubcommands: CommandSpec[] = [addCommand, listProfilesCommand, showCommand, useCommand, removeCommand, renameCommand, importCommand, exportCommand, profilePinCommand];
