// `patrol doctor`: is this profile's setup sound? For every REST member and every DCS endpoint:
// name resolution, TCP, TLS version and cipher, the chain against the profile CA, the SAN, days
// until each certificate expires, whether the client certificate and the credentials are
// accepted, and whether reads work without a client certificate; for the cluster: mixed
// versions; locally: file permissions, the secrets the profile needs, and TLS-weakening
// environment variables. One line per check (✓ / ! / ✗) with a remedy for each problem; exit 0
// only when every check passes. Nothing here changes cluster state (see basicAuthChecks).

import { readFileSync } from 'node:fs';
import { asInteger, asObject, asString } from '../cluster/normalize.js';
import { clusterFromRest } from '../cluster/from-rest.js';
import type { Context } from '../context.js';
import { Etcd3Client } from '../dcs/etcd3.js';
import { type CheckResult, certificateDates, certificatesInPem, doctorDocument, doctorExitCode, expiryCheck, type MemberVersions, result, tlsParametersCheck, versionsCheck } from '../doctor/checks.js';
import { environmentRisks } from '../doctor/environment.js';
import { inspectEndpoint, type TlsInspection } from '../doctor/probe.js';
import { describeFailure, PatrolError } from '../errors.js';
import { failureToError } from '../net/failure.js';
import { certificatePin } from '../net/pinning.js';
import { loadTlsMaterial, type TlsMaterial } from '../net/tls.js';
import { DEFAULT_LIMITS, HttpTransport, type TransportLimits, TransportFailure } from '../net/transport.js';
import { PatroniRestClient, quoteServerText } from '../patroni/client.js';
import { trustedHostSet, trustedMemberOrigin } from '../patroni/trust.js';
import type { Profile, TlsFiles } from '../profiles/schema.js';
import { selectProfile } from '../profiles/store.js';
import { neededSecrets } from '../secrets/needs.js';
import { howToSupply, type SecretKind } from '../secrets/store.js';
import { assertPrivateFile } from '../security/private-files.js';
import { render } from '../ui/format.js';
import { postgresVersionText } from './version.js';
import type { CommandSpec } from './types.js';

interface Env {
  ctx: Context;
  profileName: string;
  profile: Profile;
  limits: TransportLimits;
  now: Date;
  transports: HttpTransport[];
}

const errorLine = (error: unknown): string => describeFailure(error).line.replace(/^patrol: /u, '');

function transport(env: Env, tls: TlsMaterial): HttpTransport {
  const t = new HttpTransport(tls, env.limits, env.ctx.debug, `patrol/${env.ctx.version} doctor`);
  env.transports.push(t);
  return t;
}

function localChecks(env: Env): CheckResult[] {
  const out: CheckResult[] = [];
  const target = 'local';
  const fileCheck = (file: string, what: string): void => {
    try {
      assertPrivateFile(file, what);
      out.push(result(target, 'permissions', 'pass', `${what} ${file} is private to you`));
    } catch (error) {
      out.push(result(target, 'permissions', 'fail', error instanceof PatrolError ? error.message : errorLine(error), error instanceof PatrolError ? error.hint ?? null : null));
    }
  };
  fileCheck(env.ctx.profiles.file, 'profile file');
  const sections: Array<[string, TlsFiles | undefined]> = [['REST', env.profile.rest], ['DCS', env.profile.dcs]];
  for (const [label, files] of sections) {
    if (!files) continue;
    if (files.key) fileCheck(files.key, `${label} client key`);
    if (files.cert) certificateFileChecks(env, out, files.cert, `client certificate (${label})`, `issue a new ${label} client certificate and point the profile at it`);
    if (files.cacert) certificateFileChecks(env, out, files.cacert, `CA certificate (${label})`, `renew the CA and redistribute it to servers and the profile`);
  }
  return out;
}

function certificateFileChecks(env: Env, out: CheckResult[], file: string, what: string, renew: string): void {
  try {
    for (const cert of certificatesInPem(readFileSync(file, 'utf8'))) {
      const dates = certificateDates(cert);
      out.push({ ...expiryCheck('local', what, dates, env.now, renew), check: what.startsWith('CA') ? 'ca-cert-expiry' : 'client-cert-expiry' });
    }
  } catch {
    out.push(result('local', 'certificate', 'fail', `cannot read ${what} ${file}`, 'fix the path in the profile'));
  }
}

async function secretChecks(env: Env): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const need of neededSecrets(env.profile)) {
    try {
      const value = await env.ctx.secrets.get({ profile: env.profileName, kind: need.kind });
      out.push(
        value === undefined
          ? result('local', 'secrets', 'fail', `no ${need.kind} for ${need.why}`, howToSupply(need.kind as SecretKind, env.profileName))
          : result('local', 'secrets', 'pass', `${need.kind} for ${need.why} is available`),
      );
    } catch (error) {
      out.push(result('local', 'secrets', 'fail', `the secret store cannot supply ${need.kind}: ${errorLine(error)}`, error instanceof PatrolError ? error.hint ?? null : null));
    }
  }
  return out;
}

function environmentChecks(env: Env): CheckResult[] {
  const risks = environmentRisks(env.ctx.env);
  if (risks.length === 0) return [result('local', 'environment', 'pass', 'no TLS-weakening environment variables are set')];
  // A variable patrol fully neutralizes is shown, but does not make the setup unsound.
  return risks.map((r) => result('local', 'environment', r.neutralized ? 'pass' : 'warn', `${r.variable} is set (${r.risk}); ${r.patrolResponse}`, r.remedy));
}

/** DNS, TCP, TLS, chain, SAN, expiry and pins for one endpoint. Returns whether it is trusted. */
function handshakeChecks(env: Env, target: string, inspection: TlsInspection, pins: readonly string[] | undefined, out: CheckResult[]): boolean {
  if (inspection.dnsError) {
    out.push(result(target, 'dns', 'fail', `cannot resolve ${inspection.host} (${inspection.dnsError})`, 'check the host name in the profile and this machine\'s DNS'));
    return false;
  }
  out.push(result(target, 'dns', 'pass', `${inspection.host} resolves to ${inspection.address}`));
  if (inspection.tcpError) {
    out.push(result(target, 'tcp', 'fail', `cannot connect (${inspection.tcpError})`, 'check that the service is running and that no firewall blocks the port'));
    return false;
  }
  out.push(result(target, 'tcp', 'pass', 'connected'));
  if (inspection.handshakeError) {
    out.push(result(target, 'tls', 'fail', `TLS handshake failed (${inspection.handshakeError})`, 'check that the URL is the https endpoint and that the server offers TLS 1.2 or newer'));
    return false;
  }
  out.push(tlsParametersCheck(target, inspection.protocol, inspection.cipher));
  const chainOk = inspection.chainError === null;
  out.push(
    chainOk
      ? result(target, 'chain', 'pass', 'the certificate chain verifies against the profile CA')
      : result(target, 'chain', 'fail', `the certificate chain does not verify (${inspection.chainError})`, 'point the profile at the CA that signed the server certificate (--cacert), or fix the server certificate'),
  );
  out.push(
    inspection.identityError === null
      ? result(target, 'san', 'pass', `the certificate names ${inspection.host}`)
      : result(target, 'san', 'fail', `the certificate does not name ${inspection.host}`, 'reissue the server certificate with this host in its subjectAltName, or use a URL with a name it carries'),
  );
  if (inspection.leaf) out.push(expiryCheck(target, 'server certificate', certificateDates(inspection.leaf), env.now, 'renew the server certificate'));
  let pinOk = true;
  if (pins?.length && inspection.leaf) {
    const presented = certificatePin(inspection.leaf.raw);
    pinOk = pins.includes(presented);
    out.push(
      pinOk
        ? result(target, 'pin', 'pass', 'the server key matches a pin')
        : result(target, 'pin', 'fail', `the server key ${presented} matches no pin of the profile`, 'if the key was rotated on purpose, run `patrol profile pin` again; otherwise treat this server as an impostor'),
    );
  }
  return chainOk && inspection.identityError === null && pinOk;
}

interface HttpOutcome {
  status: number | null;
  body: string;
  failure: TransportFailure | null;
}

async function httpProbe(t: HttpTransport, method: 'GET' | 'PATCH' | 'POST', url: string, json?: unknown, basicAuth?: { username: string; password: string }): Promise<HttpOutcome> {
  try {
    const reply = await t.request({ method, url, ...(json !== undefined ? { json } : {}), ...(basicAuth ? { basicAuth } : {}) });
    return { status: reply.status, body: reply.body, failure: null };
  } catch (error) {
    if (error instanceof TransportFailure) return { status: null, body: '', failure: error };
    throw error;
  }
}

const describeTransportFailure = (failure: TransportFailure, what: string): string => failureToError(failure, what, false).message;

/** Client certificate accepted, and reads without one refused (verify_client: required). */
async function clientCertChecks(env: Env, target: string, origin: string, path: string, full: TlsMaterial, anonymous: TlsMaterial, out: CheckResult[], what: string, serverSetting: string): Promise<HttpOutcome> {
  const withCert = await httpProbe(transport(env, full), 'GET', `${origin}${path}`);
  if (!full.cert) out.push(result(target, 'client-cert', 'skip', 'the profile has no client certificate'));
  else if (withCert.failure) {
    out.push(result(target, 'client-cert', 'fail', `the server did not accept the client certificate: ${describeTransportFailure(withCert.failure, what)}`, 'use a client certificate signed by the CA the server trusts, not expired, with clientAuth usage'));
  } else out.push(result(target, 'client-cert', 'pass', `accepted (GET ${path} → HTTP ${withCert.status})`));
  const without = await httpProbe(transport(env, anonymous), 'GET', `${origin}${path}`);
  if (without.failure === null && without.status !== null && without.status < 400) {
    out.push(result(target, 'anonymous-read', 'warn', `GET ${path} answers without a client certificate (HTTP ${without.status})`, serverSetting));
  } else {
    out.push(result(target, 'anonymous-read', 'pass', 'reads without a client certificate are refused'));
  }
  return withCert;
}

/**
 * Is the basic-auth credential accepted — without changing anything? The probe is
 * `PATCH /config` with the empty object `{}`. Patroni authenticates every unsafe request first
 * (check_access: client certificate, then the Authorization header → 401/403) and only then reads
 * the body; an empty object is rejected with 400 before the handler touches the configuration
 * (and even a server that accepted it would merge-patch nothing). So 400 means "credential
 * accepted", 401 "credential refused", and no outcome can schedule, cancel or change anything —
 * unlike DELETE /switchover, which would cancel a real scheduled switchover.
 * The same probe without credentials tells whether the server demands them at all.
 */
async function basicAuthChecks(env: Env, target: string, origin: string, full: TlsMaterial, out: CheckResult[]): Promise<void> {
  const t = transport(env, full);
  const username = env.profile.rest.username;
  const url = `${origin}/config`;
  const open = await httpProbe(t, 'PATCH', url, {});
  if (open.failure) {
    out.push(result(target, 'basic-auth', 'skip', `not probed: ${describeTransportFailure(open.failure, 'the REST API')}`));
    return;
  }
  const demandsAuth = open.status === 401;
  if (!demandsAuth && open.status === 400) {
    out.push(result(target, 'auth-required', 'warn', 'the server accepts state-changing requests without a password', 'set restapi.authentication (username and password) in the Patroni configuration'));
  } else if (demandsAuth) {
    out.push(result(target, 'auth-required', 'pass', 'state-changing requests need a password'));
  }
  if (!username) {
    out.push(demandsAuth
      ? result(target, 'basic-auth', 'fail', 'the server wants a password but the profile has no REST username', 'set the REST username in the profile (`patrol profile add … --username`) and supply its password')
      : result(target, 'basic-auth', 'skip', 'the profile has no REST username'));
    return;
  }
  let password: string | undefined;
  try {
    password = await env.ctx.secrets.get({ profile: env.profileName, kind: 'rest-password' });
  } catch {
    password = undefined;
  }
  if (password === undefined) {
    out.push(result(target, 'basic-auth', 'skip', `no password for REST user "${username}" (see the secrets check)`));
    return;
  }
  const probe = await httpProbe(t, 'PATCH', url, {}, { username, password });
  if (probe.failure) out.push(result(target, 'basic-auth', 'fail', describeTransportFailure(probe.failure, 'the REST API'), 'check the TLS checks above'));
  else if (probe.status === 401) out.push(result(target, 'basic-auth', 'fail', `the password of REST user "${username}" was refused (HTTP 401)`, `check the REST username in the profile and its password (${howToSupply('rest-password', env.profileName)})`));
  else if (probe.status === 403) out.push(result(target, 'basic-auth', 'fail', `the server refused access (HTTP 403: ${quoteServerText(probe.body)})`, "check Patroni's restapi.allowlist and that the client certificate is accepted"));
  else if (probe.status === 400) out.push(result(target, 'basic-auth', 'pass', `the credential of REST user "${username}" is accepted`));
  else out.push(result(target, 'basic-auth', 'warn', `unexpected answer to the credential probe (HTTP ${probe.status})`, 'check the Patroni version and its logs'));
}

function anonymousMaterial(full: TlsMaterial): TlsMaterial {
  return { ...(full.ca ? { ca: full.ca } : {}), ...(full.pins ? { pins: full.pins } : {}) };
}

async function restChecks(env: Env, full: TlsMaterial): Promise<{ results: CheckResult[]; versions: MemberVersions[] }> {
  const { profile } = env;
  const results: CheckResult[] = [];
  const api = new PatroniRestClient(transport(env, full), profile.rest.urls, async () => undefined);
  // The endpoints to examine: the seed URLs, plus every member's api_url the profile trusts.
  const endpoints = new Map<string, string>(profile.rest.urls.map((u) => [u, 'seed']));
  try {
    const { json } = await api.getFromSeeds('/cluster');
    const cluster = clusterFromRest(json, profile.cluster);
    const trusted = trustedHostSet(profile.rest.urls, profile.rest.allowedHosts);
    for (const member of cluster.members) {
      try {
        const origin = trustedMemberOrigin(member.name, member.apiUrl, trusted);
        endpoints.set(origin, member.name);
      } catch (error) {
        results.push(result(`REST ${member.name}`, 'trusted-endpoint', 'fail', errorLine(error), error instanceof PatrolError ? error.hint ?? null : null));
      }
    }
  } catch (error) {
    results.push(result('REST cluster', 'members', 'fail', `cannot read the member list: ${errorLine(error)}`, error instanceof PatrolError ? error.hint ?? 'check the REST URLs in the profile' : null));
  }
  const perEndpoint = await Promise.all(
    [...endpoints].map(async ([origin, name]) => {
      const out: CheckResult[] = [];
      const target = `REST ${name === 'seed' ? 'seed' : name} ${origin}`;
      const inspection = await inspectEndpoint(origin, full, env.limits.connectTimeoutMs);
      if (!handshakeChecks(env, target, inspection, full.pins, out)) return { out, version: null };
      const got = await clientCertChecks(env, target, origin, '/patroni', full, anonymousMaterial(full), out, `the REST API at ${origin}`, 'set restapi.verify_client: required in the Patroni configuration');
      await basicAuthChecks(env, target, origin, full, out);
      let version: MemberVersions | null = null;
      if (name !== 'seed' && got.status === 200) {
        try {
          const status = asObject(JSON.parse(got.body));
          const num = asInteger(status?.['server_version']);
          version = { member: name, patroni: asString(asObject(status?.['patroni'])?.['version']) ?? null, postgres: num === undefined ? null : postgresVersionText(num) };
        } catch {
          version = null;
        }
      }
      return { out, version };
    }),
  );
  for (const p of perEndpoint) results.push(...p.out);
  return { results, versions: perEndpoint.map((p) => p.version).filter((v): v is MemberVersions => v !== null) };
}

async function dcsChecks(env: Env): Promise<CheckResult[]> {
  const dcs = env.profile.dcs;
  if (!dcs) return [];
  let full: TlsMaterial;
  try {
    full = await loadTlsMaterial(dcs, 'DCS', () => env.ctx.secrets.get({ profile: env.profileName, kind: 'key-passphrase' }), howToSupply('key-passphrase', env.profileName));
  } catch (error) {
    return [result('DCS', 'tls-material', 'fail', errorLine(error), error instanceof PatrolError ? error.hint ?? null : null)];
  }
  const perEndpoint = await Promise.all(
    dcs.urls.map(async (origin) => {
      const out: CheckResult[] = [];
      const target = `DCS ${origin}`;
      const inspection = await inspectEndpoint(origin, full, env.limits.connectTimeoutMs);
      if (!handshakeChecks(env, target, inspection, full.pins, out)) return out;
      const reached = await clientCertChecks(env, target, origin, '/version', full, anonymousMaterial(full), out, `etcd at ${origin}`, 'start etcd with --client-cert-auth and --trusted-ca-file');
      if (reached.failure) return out;
      // Reading the cluster's own prefix proves the user/password and its read permission, and
      // changes nothing.
      const client = new Etcd3Client(transport(env, full), [origin], async () => {
        if (!dcs.username) return undefined;
        const password = await env.ctx.secrets.get({ profile: env.profileName, kind: 'dcs-password' });
        return password === undefined ? undefined : { username: dcs.username, password };
      });
      try {
        const snapshot = await client.readCluster(env.profile.namespace, env.profile.cluster);
        out.push(result(target, 'dcs-auth', 'pass', `${dcs.username ? `user "${dcs.username}"` : 'anonymous access'} can read cluster ${env.profile.cluster} (${snapshot.size} keys)`));
      } catch (error) {
        out.push(result(target, 'dcs-auth', 'fail', errorLine(error), error instanceof PatrolError ? error.hint ?? null : null));
      }
      return out;
    }),
  );
  return perEndpoint.flat();
}

export const doctorCommand: CommandSpec = {
  command: 'doctor',
  describe: 'Check the profile, its files, secrets, TLS and credentials against every member and the DCS',
  async run(ctx, args) {
    const { name, profile } = selectProfile(await ctx.profiles.load(), args.profile);
    const env: Env = {
      ctx,
      profileName: name,
      profile,
      limits: { ...DEFAULT_LIMITS, connectTimeoutMs: Math.min(DEFAULT_LIMITS.connectTimeoutMs, args.timeout * 1000), responseTimeoutMs: args.timeout * 1000 },
      now: ctx.clock.now(),
      transports: [],
    };
    const results: CheckResult[] = [...localChecks(env), ...(await secretChecks(env)), ...environmentChecks(env)];
    try {
      let full: TlsMaterial | undefined;
      try {
        full = await loadTlsMaterial(profile.rest, 'REST', () => ctx.secrets.get({ profile: name, kind: 'key-passphrase' }), howToSupply('key-passphrase', name));
      } catch (error) {
        results.push(result('REST', 'tls-material', 'fail', errorLine(error), error instanceof PatrolError ? error.hint ?? null : null));
      }
      const [rest, dcs] = await Promise.all([full ? restChecks(env, full) : Promise.resolve({ results: [], versions: [] }), dcsChecks(env)]);
      results.push(...rest.results);
      if (full) results.push(versionsCheck(`cluster ${profile.cluster}`, rest.versions));
      results.push(...dcs);
    } finally {
      for (const t of env.transports) t.close();
    }
    ctx.term.write(render(args.format, doctorDocument(name, results)));
    return doctorExitCode(results);
  },
};
