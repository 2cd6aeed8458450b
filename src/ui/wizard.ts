// The onboarding wizard: `patrol profile add` on a terminal with required flags missing walks a
// new operator from nothing to a working profile. Every answer is checked as it is given (URLs,
// certificate files, key permissions, key/certificate match), secrets go straight into the secret
// store, and a live check then reports each member as reachable / TLS ok / auth ok.
//
// The file checks are pure functions of paths (plus a clock) so they are unit-tested on their own.

import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { ParsedArgs } from '../commands/types.js';
import type { Context } from '../context.js';
import { PatrolError, UsageError } from '../errors.js';
import { isEncryptedKey } from '../net/tls.js';
import { clusterFromRest } from '../cluster/from-rest.js';
import { trustedMemberOrigin } from '../patroni/trust.js';
import {
  type DcsSettings,
  type Profile,
  validateClusterName,
  validateEndpointUrl,
  validateNamespace,
  validateProfileName,
} from '../profiles/schema.js';
import { askHidden } from '../secrets/prompt.js';
import { registerSecret } from '../secrets/redact.js';
import type { SecretKind, SecretSource } from '../secrets/store.js';
import { promptFor } from '../secrets/stores.js';
import { type ClusterCheckDeps, verifyDcsPassword, verifyKeyPassphrase, verifyRestPassword } from '../secrets/verify.js';
import { privateFileProblem } from '../security/private-files.js';
import { optionalString, stringArray } from '../commands/types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A prompt validator's answer: true, or the message shown under the prompt. */
type Check = string | true;

function describeValidity(cert: X509Certificate, now: Date): string {
  const until = new Date(cert.validTo);
  const days = Math.floor((until.getTime() - now.getTime()) / DAY_MS);
  if (days < 0) return `EXPIRED on ${until.toISOString().slice(0, 10)}`;
  return `valid until ${until.toISOString().slice(0, 10)} (${days} days)`;
}

function readCertificates(file: string): X509Certificate[] {
  const pem = readFileSync(file, 'utf8');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/gu) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

function resolveExisting(raw: string): { file: string } | { problem: string } {
  const file = path.resolve(raw.trim());
  try {
    if (!statSync(file).isFile()) return { problem: `${file} is not a file` };
    readFileSync(file);
  } catch (error) {
    return { problem: `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  return { file };
}

/** A CA file: exists, holds at least one certificate, none expired. Returns a summary line. */
/** The certificates in a PEM file the operator named, or why they cannot be used. */
function certificatesIn(raw: string): { file: string; certs: X509Certificate[] } | { problem: string } {
  const found = resolveExisting(raw);
  if ('problem' in found) return found;
  try {
    return { file: found.file, certs: readCertificates(found.file) };
  } catch {
    return { problem: `${found.file} holds a certificate that does not parse` };
  }
}

export function checkCaFile(raw: string, now: Date): { file: string; summary: string } | { problem: string } {
  const found = certificatesIn(raw);
  if ('problem' in found) return found;
  const { certs } = found;
  if (certs.length === 0) return { problem: `${found.file} holds no PEM certificate` };
  const expired = certs.find((c) => new Date(c.validTo).getTime() < now.getTime());
  if (expired) return { problem: `${found.file}: the certificate ${expired.subject.replace(/\n/gu, ', ')} has expired` };
  const first = certs[0]!;
  return { file: found.file, summary: `${first.subject.replace(/\n/gu, ', ')}${certs.length > 1 ? ` (+${certs.length - 1} more)` : ''}, ${describeValidity(first, now)}` };
}

export function checkCertificateFile(raw: string, now: Date): { file: string; cert: X509Certificate; summary: string } | { problem: string } {
  const found = certificatesIn(raw);
  if ('problem' in found) return found;
  const cert = found.certs[0];
  if (!cert) return { problem: `${found.file} holds no PEM certificate` };
  if (new Date(cert.validTo).getTime() < now.getTime()) return { problem: `${found.file}: the certificate expired on ${new Date(cert.validTo).toISOString().slice(0, 10)}` };
  return { file: found.file, cert, summary: `${cert.subject.replace(/\n/gu, ', ')}, ${describeValidity(cert, now)}` };
}

/** A key file: private to this user, a PEM key; `encrypted` tells the caller to ask for a passphrase. */
export function checkKeyFile(raw: string, uid: number | undefined): { file: string; encrypted: boolean } | { problem: string } {
  const found = resolveExisting(raw);
  if ('problem' in found) return found;
  const stat = statSync(found.file);
  const problem = privateFileProblem({ mode: stat.mode, uid: stat.uid }, uid);
  if (problem) {
    return {
      problem:
        problem.kind === 'loose-mode'
          ? `${found.file} is readable by other users (mode ${problem.mode.toString(8).padStart(4, '0')}); run \`chmod 600 ${found.file}\` first`
          : `${found.file} belongs to another user (uid ${problem.uid})`,
    };
  }
  const pem = readFileSync(found.file);
  if (isEncryptedKey(pem)) return { file: found.file, encrypted: true };
  try {
    createPrivateKey(pem);
  } catch {
    return { problem: `${found.file} is not a PEM private key` };
  }
  return { file: found.file, encrypted: false };
}

/** The key must be the one the certificate was issued for. */
export function checkKeyMatchesCert(cert: X509Certificate, keyFile: string, passphrase: string | undefined): Check {
  let key: KeyObject;
  try {
    key = createPrivateKey(passphrase === undefined ? { key: readFileSync(keyFile) } : { key: readFileSync(keyFile), passphrase });
  } catch {
    return passphrase === undefined ? `${keyFile} is not a readable private key` : 'the passphrase does not decrypt the key';
  }
  return cert.checkPrivateKey(key) ? true : `${keyFile} is not the key of that certificate`;
}

export function checkUrlList(raw: string, what: string): Check {
  const urls = raw.split(/[\s,]+/u).filter(Boolean);
  if (urls.length === 0) return `give at least one ${what} (https://HOST:PORT)`;
  for (const url of urls) {
    try {
      validateEndpointUrl(url, what);
    } catch (error) {
      return error instanceof PatrolError ? `${error.message}${error.hint ? `; ${error.hint}` : ''}` : 'invalid URL';
    }
  }
  return true;
}

function asCheck(run: () => unknown): Check {
  try {
    run();
    return true;
  } catch (error) {
    return error instanceof PatrolError ? `${error.message}${error.hint ? `; ${error.hint}` : ''}` : 'invalid value';
  }
}

interface TlsAnswers {
  cacert?: string;
  cert?: string;
  key?: string;
}

/** Ask for CA, client certificate and key; returns the paths and, when the key is encrypted, its passphrase. */
async function askTlsFiles(ctx: Context, what: string, profileName: string, defaults: TlsAnswers, knownPassphrase: string | undefined): Promise<{ files: TlsAnswers; passphrase?: string }> {
  const now = ctx.clock.now();
  const files: TlsAnswers = {};
  const ca = await ctx.prompter.input(`${what} CA file (empty: the system's trusted roots):`, {
    ...(defaults.cacert ? { defaultValue: defaults.cacert } : {}),
    validate: (v) => {
      if (v.trim() === '') return true;
      const result = checkCaFile(v, now);
      return 'problem' in result ? result.problem : true;
    },
  });
  if (ca.trim()) {
    const result = checkCaFile(ca, now) as { file: string; summary: string };
    files.cacert = result.file;
    ctx.term.note(`  CA: ${result.summary}\n`);
  }
  const certAnswer = await ctx.prompter.input(`${what} client certificate (empty: none):`, {
    ...(defaults.cert ? { defaultValue: defaults.cert } : {}),
    validate: (v) => {
      if (v.trim() === '') return true;
      const result = checkCertificateFile(v, now);
      return 'problem' in result ? result.problem : true;
    },
  });
  if (!certAnswer.trim()) return { files };
  const cert = checkCertificateFile(certAnswer, now) as { file: string; cert: X509Certificate; summary: string };
  ctx.term.note(`  client certificate: ${cert.summary}\n`);
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  let keyEncrypted = false;
  const keyAnswer = await ctx.prompter.input(`${what} client key:`, {
    ...(defaults.key ? { defaultValue: defaults.key } : {}),
    validate: (v) => {
      const result = checkKeyFile(v, uid);
      if ('problem' in result) return result.problem;
      keyEncrypted = result.encrypted;
      return result.encrypted ? true : checkKeyMatchesCert(cert.cert, result.file, undefined);
    },
  });
  const keyFile = path.resolve(keyAnswer.trim());
  files.cert = cert.file;
  files.key = keyFile;
  if (!keyEncrypted) {
    ctx.term.note('  client key: matches the certificate\n');
    return { files };
  }
  // An encrypted key: the passphrase is checked here, and kept for the secret store.
  if (knownPassphrase !== undefined && checkKeyMatchesCert(cert.cert, keyFile, knownPassphrase) === true) return { files, passphrase: knownPassphrase };
  for (let attempt = 1; ; attempt++) {
    const passphrase = await askHidden(promptFor('key-passphrase', profileName));
    const verdict = checkKeyMatchesCert(cert.cert, keyFile, passphrase);
    if (verdict === true) {
      ctx.term.note('  client key: decrypted, matches the certificate\n');
      return { files, passphrase };
    }
    if (attempt >= 3) throw new UsageError(verdict, 'check the key and its passphrase, then run `patrol profile add` again');
    ctx.term.note(`  ${verdict}; try again\n`);
  }
}

function splitUrls(raw: string, what: string): string[] {
  return raw.split(/[\s,]+/u).filter(Boolean).map((u) => validateEndpointUrl(u, what));
}

async function askSecret(kind: SecretKind, profileName: string, purpose: string, ctx: Context): Promise<string | undefined> {
  ctx.term.note(`  ${purpose}: it goes into the secret store, never into the profile (empty: skip, add it later with \`patrol login\`)\n`);
  const value = await askHidden(promptFor(kind, profileName));
  if (value === '') return undefined;
  registerSecret(value);
  return value;
}

type MemberReport = { member: string; origin: string; reachable: boolean; tls: boolean; auth: string };

/** The live check: every member named by the cluster, each reached and authenticated on its own. */
async function connectionCheck(ctx: Context, args: ParsedArgs, name: string, profile: Profile, secrets: SecretSource): Promise<void> {
  const deps: ClusterCheckDeps = { profileName: name, profile, globals: args, secrets, debug: (l) => ctx.debug(l), version: ctx.version };
  const { openSession } = await import('../session.js');
  const session = openSession({ profileName: name, profile, globals: args, secrets, debug: deps.debug, version: ctx.version });
  const reports: MemberReport[] = [];
  try {
    const api = await session.api();
    const { json } = await api.getFromSeeds('/cluster');
    const cluster = clusterFromRest(json, profile.cluster);
    for (const member of cluster.members) {
      let origin: string;
      try {
        origin = trustedMemberOrigin(member.name, member.apiUrl, session.trustedHosts);
      } catch (error) {
        reports.push({ member: member.name, origin: member.apiUrl ?? '-', reachable: false, tls: false, auth: error instanceof PatrolError ? error.message : 'refused' });
        continue;
      }
      const report: MemberReport = { member: member.name, origin, reachable: false, tls: false, auth: 'not checked' };
      try {
        await api.getJson(origin, '/patroni');
        report.reachable = true;
        report.tls = true;
      } catch (error) {
        report.auth = error instanceof PatrolError ? error.message : 'failed';
        reports.push(report);
        continue;
      }
      if (profile.rest.username) {
        const verdict = await verifyRestPassword({ ...deps, profile: { ...profile, rest: { ...profile.rest, urls: [origin] } } }, (await secrets.get({ profile: name, kind: 'rest-password' })) ?? '');
        report.auth = verdict.outcome === 'accepted' ? 'ok' : verdict.outcome === 'rejected' ? 'REJECTED' : `not verified (${verdict.reason})`;
      } else {
        report.auth = 'no REST user (read-only)';
      }
      reports.push(report);
    }
  } catch (error) {
    ctx.term.note(`connection check failed: ${error instanceof PatrolError ? `${error.message}${error.hint ? `; ${error.hint}` : ''}` : 'unexpected error'}\n`);
    return;
  } finally {
    session.close();
  }
  ctx.term.note('connection check:\n');
  for (const r of reports) {
    ctx.term.note(`  ${r.member.padEnd(12)} ${r.origin}  reachable: ${r.reachable ? 'yes' : 'no'}  TLS: ${r.tls ? 'ok' : 'no'}  auth: ${r.auth}\n`);
  }
  if (profile.dcs) {
    const password = profile.dcs.username ? await secrets.get({ profile: name, kind: 'dcs-password' }) : undefined;
    if (profile.dcs.username && password !== undefined) {
      const verdict = await verifyDcsPassword(deps, password);
      ctx.term.note(`  etcd ${profile.dcs.urls.join(', ')}  ${verdict.outcome === 'accepted' ? 'auth: ok' : verdict.outcome === 'rejected' ? 'auth: REJECTED' : `not verified (${verdict.reason})`}\n`);
    }
  }
}

export async function runProfileWizard(ctx: Context, args: ParsedArgs): Promise<number> {
  const p = ctx.prompter;
  ctx.term.note('New patrol profile. Secrets you type go to the secret store, never into the profile file.\n');
  const existing = await ctx.profiles.load();
  const name = validateProfileName(
    await p.input('Profile name:', {
      ...(optionalString(args['name']) ? { defaultValue: optionalString(args['name'])! } : {}),
      validate: (v) => {
        const valid = asCheck(() => validateProfileName(v.trim()));
        if (valid !== true) return valid;
        return existing.profiles[v.trim()] && args['replace'] !== true ? `profile "${v.trim()}" exists (pass --replace to overwrite it)` : true;
      },
    }).then((v) => v.trim()),
  );
  const cluster = validateClusterName(
    (await p.input("Cluster name (Patroni's scope):", { ...(optionalString(args['cluster']) ? { defaultValue: optionalString(args['cluster'])! } : {}), validate: (v) => asCheck(() => validateClusterName(v.trim())) })).trim(),
  );
  const namespace = validateNamespace(optionalString(args['namespace']) ?? '/service');
  const restDefault = stringArray(args['rest-url']).join(' ');
  const restUrls = splitUrls(await p.input('Patroni REST API URL(s), space separated:', { ...(restDefault ? { defaultValue: restDefault } : {}), validate: (v) => checkUrlList(v, 'REST URL') }), 'REST URL');
  const profile: Profile = { cluster, namespace, rest: { urls: restUrls } };
  if (ctx.secretStores.explicit) profile.secretStore = ctx.secretStores.explicit;

  const typed = new Map<SecretKind, string>();
  const rest = await askTlsFiles(ctx, 'REST', name, { ...defined('cacert', args['cacert']), ...defined('cert', args['cert']), ...defined('key', args['key']) }, undefined);
  Object.assign(profile.rest, rest.files);
  if (rest.passphrase !== undefined) typed.set('key-passphrase', rest.passphrase);
  const username = (await p.input('REST username for changes (switchover, restart…; empty: read-only, none):', optionalString(args['username']) ? { defaultValue: optionalString(args['username'])! } : {})).trim();
  if (username) {
    profile.rest.username = username;
    const password = await askSecret('rest-password', name, `password of REST user "${username}"`, ctx);
    if (password !== undefined) typed.set('rest-password', password);
  }

  const wantsDcs = await p.confirm('Add the DCS (etcd v3) so patrol can read the cluster even when the REST API is down?', stringArray(args['dcs-url']).length > 0);
  if (wantsDcs) {
    const dcsDefault = stringArray(args['dcs-url']).join(' ');
    const dcs: DcsSettings = { type: 'etcd3', urls: splitUrls(await p.input('etcd URL(s), space separated:', { ...(dcsDefault ? { defaultValue: dcsDefault } : {}), validate: (v) => checkUrlList(v, 'etcd URL') }), 'etcd URL') };
    const tls = await askTlsFiles(ctx, 'etcd', name, { ...(profile.rest.cacert ? { cacert: profile.rest.cacert } : {}), ...defined('cert', args['dcs-cert']), ...defined('key', args['dcs-key']) }, typed.get('key-passphrase'));
    Object.assign(dcs, tls.files);
    if (tls.passphrase !== undefined && !typed.has('key-passphrase')) typed.set('key-passphrase', tls.passphrase);
    const dcsUser = (await p.input('etcd username (empty: none):', optionalString(args['dcs-username']) ? { defaultValue: optionalString(args['dcs-username'])! } : {})).trim();
    if (dcsUser) {
      dcs.username = dcsUser;
      const password = await askSecret('dcs-password', name, `password of etcd user "${dcsUser}"`, ctx);
      if (password !== undefined) typed.set('dcs-password', password);
    }
    profile.dcs = dcs;
  }
  if (typed.has('key-passphrase') && verifyKeyPassphrase(profile, typed.get('key-passphrase')!).outcome === 'rejected') {
    throw new UsageError('the REST and etcd keys need different passphrases', 'patrol keeps one key passphrase per profile; re-encrypt one of the keys');
  }

  // Secrets first, then the profile: a store that refuses leaves no half-made profile behind.
  const store = ctx.secretStores.open(ctx.secretStores.choose(profile));
  for (const [kind, value] of typed) await store.set({ profile: name, kind }, value);
  const data = await ctx.profiles.load();
  data.profiles[name] = profile;
  if (data.current === undefined) data.current = name;
  await ctx.profiles.save(data);
  ctx.term.note(`profile "${name}" saved in ${ctx.profiles.file}${typed.size ? `; ${typed.size} secret${typed.size > 1 ? 's' : ''} in ${store.description}` : ''}\n`);

  const secrets: SecretSource = { description: 'the wizard', get: async (ref) => typed.get(ref.kind) ?? ctx.secrets.get(ref) };
  await connectionCheck(ctx, args, name, profile, secrets);

  if (data.current !== name && (args['use'] === true || (await p.confirm(`Make "${name}" the current profile?`, true)))) {
    const latest = await ctx.profiles.load();
    latest.current = name;
    await ctx.profiles.save(latest);
  }
  ctx.term.note(`done: \`patrol${data.current === name ? '' : ` -p ${name}`} list\`\n`);
  return 0;
}

function defined<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  const text = optionalString(value);
  return text === undefined ? {} : ({ [key]: path.resolve(text) } as Record<K, string>);
}
