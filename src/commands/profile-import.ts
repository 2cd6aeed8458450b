// `profile import` (a team bundle, or a Patroni config with --from) and `profile export`.
// Loaded only when one of them runs.

import { accessSync, constants, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { bundleToYaml, exportBundle, parseBundle, validateCaPem } from '../profiles/bundle.js';
import { importPatroniConfig } from '../profiles/import.js';
import { type Profile, validateProfileName } from '../profiles/schema.js';
import { selectProfile } from '../profiles/store.js';
import { render } from '../ui/format.js';
import { optionalString, type ParsedArgs, stringArray } from './types.js';

async function readSource(file: string, what: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'check the path and its permissions');
  }
}

function unreadableFiles(profile: Profile): string[] {
  const files = [profile.rest.cacert, profile.rest.cert, profile.rest.key, profile.dcs?.cacert, profile.dcs?.cert, profile.dcs?.key];
  return [...new Set(files.filter((f): f is string => f !== undefined))].filter((f) => {
    try {
      accessSync(f, constants.R_OK);
      return false;
    } catch {
      return true;
    }
  });
}

function clientCertFlags(args: ParsedArgs, profile: Profile): void {
  const cert = optionalString(args['cert']);
  const key = optionalString(args['key']);
  if (!!cert !== !!key) throw new UsageError('--cert and --key go together', 'pass both, or neither');
  if (cert && key) {
    profile.rest.cert = path.resolve(cert);
    profile.rest.key = path.resolve(key);
  }
}

async function refuseOverwrite(ctx: Context, name: string, args: ParsedArgs): Promise<void> {
  const data = await ctx.profiles.load();
  if (data.profiles[name] && args['replace'] !== true) {
    throw new UsageError(`profile "${name}" already exists`, 'pass --replace to overwrite it, or choose another name');
  }
}

async function saveProfile(ctx: Context, name: string, profile: Profile, use: boolean): Promise<boolean> {
  const data = await ctx.profiles.load();
  data.profiles[name] = profile;
  if (use || data.current === undefined) data.current = name;
  await ctx.profiles.save(data);
  return data.current === name;
}

async function importFromPatroni(ctx: Context, args: ParsedArgs, from: string): Promise<number> {
  const name = validateProfileName(String(args['input']));
  const source = path.resolve(from);
  const text = await readSource(source, 'Patroni config');
  const restUrls = stringArray(args['rest-url']);
  const found = importPatroniConfig(text, { baseDir: path.dirname(source), ...(restUrls.length ? { restUrls } : {}) });
  const profile = found.profile;
  clientCertFlags(args, profile);
  if (ctx.secretStores.explicit) profile.secretStore = ctx.secretStores.explicit;
  await refuseOverwrite(ctx, name, args);

  // Secrets first: if the store cannot take them, no half-made profile is left behind.
  const toStore = found.secrets.filter((s) => s.kind !== undefined && s.value !== undefined);
  const store = toStore.length ? ctx.secretStores.open(ctx.secretStores.choose(profile)) : undefined;
  for (const secret of toStore) await store!.set({ profile: name, kind: secret.kind! }, secret.value!);
  const current = await saveProfile(ctx, name, profile, args['use'] === true);

  const rows = found.secrets.map((s) => ({
    keyPath: s.keyPath,
    action: s.kind ? `moved to ${store!.description} as ${s.kind}` : `not imported: ${s.skipped ?? ''}`,
    storedAs: s.kind ?? null,
  }));
  ctx.term.note(`profile "${name}" created from ${source}${current ? ' (current)' : ''}: cluster ${profile.cluster}, REST ${profile.rest.urls.join(', ')}${profile.dcs ? `, etcd ${profile.dcs.urls.join(', ')}` : ''}\n`);
  for (const note of found.notes) ctx.term.note(`  note: ${note}\n`);
  for (const file of unreadableFiles(profile)) ctx.term.note(`  warning: ${file} is not readable here; fix the path with \`patrol profile add ${name} --replace …\`\n`);
  if (rows.length) {
    ctx.term.note(`plaintext secrets found in ${source}:\n`);
    ctx.term.write(render(args.format, { data: rows, table: { columns: ['Key path', 'What patrol did'], rows: rows.map((r) => [r.keyPath, r.action]) } }));
    if (toStore.length) {
      ctx.term.note(`recommended: remove ${toStore.map((s) => s.keyPath).join(', ')} from ${source} (patrol did not change the file), or make sure only the Patroni service account can read it\n`);
    }
  } else {
    ctx.term.note(`no plaintext secrets found in ${source}\n`);
  }
  ctx.term.note(`next: \`patrol -p ${name} list\`${toStore.length ? '' : `, and \`patrol login -p ${name}\` if the cluster needs passwords`}\n`);
  return 0;
}

async function writeCa(dir: string, file: string, pem: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const target = path.join(dir, file);
  const temp = `${target}.${process.pid}.tmp`;
  await fs.writeFile(temp, pem, { mode: 0o600 });
  await fs.rename(temp, target);
  return target;
}

async function importBundle(ctx: Context, args: ParsedArgs): Promise<number> {
  const source = path.resolve(String(args['input']));
  const bundle = parseBundle(await readSource(source, 'profile bundle'));
  const name = validateProfileName(optionalString(args['name']) ?? bundle.name);
  const profile = bundle.profile;
  clientCertFlags(args, profile);
  if (ctx.secretStores.explicit) profile.secretStore = ctx.secretStores.explicit;
  await refuseOverwrite(ctx, name, args);
  const caDir = path.join(path.dirname(ctx.profiles.file), 'ca');
  if (bundle.restCaPem) profile.rest.cacert = await writeCa(caDir, `${name}-rest.pem`, bundle.restCaPem);
  if (bundle.dcsCaPem && profile.dcs) profile.dcs.cacert = await writeCa(caDir, `${name}-dcs.pem`, bundle.dcsCaPem);
  const current = await saveProfile(ctx, name, profile, args['use'] === true);
  ctx.term.note(`profile "${name}" installed from ${source}${current ? ' (current)' : ''}: cluster ${profile.cluster}, REST ${profile.rest.urls.join(', ')}\n`);
  if (!profile.rest.cert) ctx.term.note(`  if the cluster wants a client certificate: \`patrol profile import ${path.basename(source)} --name ${name} --replace --cert CERT --key KEY\`\n`);
  ctx.term.note(`next: \`patrol login -p ${name}\` to store your secrets, then \`patrol -p ${name} list\`\n`);
  return 0;
}

export async function importProfileCommand(ctx: Context, args: ParsedArgs): Promise<number> {
  const from = optionalString(args['from']);
  return from ? importFromPatroni(ctx, args, from) : importBundle(ctx, args);
}

export async function exportProfileCommand(ctx: Context, args: ParsedArgs): Promise<number> {
  const { name, profile } = selectProfile(await ctx.profiles.load(), optionalString(args['name']) ?? args.profile);
  const bundle = exportBundle(name, profile, (file) => validateCaPem(readFileSync(file, 'utf8'), `the CA file ${file}`));
  const text = bundleToYaml(bundle);
  const output = optionalString(args['output']);
  if (output) {
    await fs.writeFile(output, text, { mode: 0o644 });
    ctx.term.note(`bundle of profile "${name}" written to ${path.resolve(output)} (no keys, no secrets)\n`);
  } else {
    ctx.term.write(text);
  }
  return 0;
}
