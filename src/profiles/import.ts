// Turns a Patroni daemon config (patroni.yml) or a patronictl.yaml into a patrol profile plus the
// plaintext secrets found in it. Pure: the caller reads the file, stores the secrets and saves the
// profile; the source file is never modified.
//
// Where patronictl would look, in its order (reference §3.1): ctl.* first, then the 3.0.x
// fallbacks to restapi.* (CA, client certificate and key, and the REST credentials).

import * as path from 'node:path';
import YAML from 'yaml';
import { UsageError } from '../errors.js';
import type { SecretKind } from '../secrets/store.js';
import { type DcsSettings, type Profile, validateClusterName, validateEndpointUrl, validateNamespace } from './schema.js';

export interface FoundSecret {
  /** Dotted key path in the source file, e.g. "ctl.authentication.password". */
  keyPath: string;
  /** Where patrol keeps it; undefined when patrol does not import it (e.g. PostgreSQL passwords). */
  kind?: SecretKind;
  value?: string;
  /** Why a found secret is not imported. */
  skipped?: string;
}

export interface PatroniImport {
  profile: Profile;
  secrets: FoundSecret[];
  /** Things the operator should know (fallbacks used, sections not imported). */
  notes: string[];
}

export interface ImportOptions {
  /** Directory relative paths in the file are resolved against (the file's own directory). */
  baseDir: string;
  /** REST URLs given on the command line replace the ones derived from the file. */
  restUrls?: string[];
}

type Section = Record<string, unknown>;

function section(parent: Section | undefined, key: string): Section | undefined {
  const value = parent?.[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Section) : undefined;
}

function text(parent: Section | undefined, key: string): string | undefined {
  const value = parent?.[key];
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** host:port → https://host:port, with IPv6 hosts bracketed. */
function httpsOrigin(hostPort: string, what: string): string {
  const trimmed = hostPort.trim();
  const url = /^[a-z][a-z0-9+.-]*:\/\//iu.test(trimmed) ? trimmed : `https://${trimmed}`;
  return validateEndpointUrl(url, what);
}

function isWildcard(hostPort: string): boolean {
  return /^(0\.0\.0\.0|\*|::|\[::\])?:\d+$/u.test(hostPort.trim()) || hostPort.trim().startsWith('0.0.0.0:') || hostPort.trim().startsWith('*:');
}

/** Every secret-bearing key patrol knows of, so each can be listed even when it is not imported. */
function collectUnimported(config: Section, found: FoundSecret[]): void {
  const postgres = section(config, 'postgresql');
  const pgAuth = section(postgres, 'authentication');
  for (const role of ['superuser', 'replication', 'rewind']) {
    const entry = section(pgAuth, role);
    for (const field of ['password', 'sslpassword']) {
      if (text(entry, field) !== undefined) {
        found.push({ keyPath: `postgresql.authentication.${role}.${field}`, skipped: 'a PostgreSQL password: patrol never imports or needs it' });
      }
    }
  }
  const others: Array<[string, string, string]> = [
    ['consul', 'token', 'patrol does not use Consul'],
    ['zookeeper', 'key_password', 'patrol does not use ZooKeeper'],
    ['raft', 'password', 'patrol does not use Raft'],
  ];
  for (const [name, field, why] of others) {
    if (text(section(config, name), field) !== undefined) found.push({ keyPath: `${name}.${field}`, skipped: why });
  }
  if (section(section(config, 'zookeeper'), 'auth_data')) found.push({ keyPath: 'zookeeper.auth_data', skipped: 'patrol does not use ZooKeeper' });
}

function dcsHosts(etcd: Section): string[] {
  const hosts = etcd['hosts'];
  if (Array.isArray(hosts)) return hosts.map(String);
  if (typeof hosts === 'string') return hosts.split(',').map((h) => h.trim()).filter(Boolean);
  const host = text(etcd, 'host');
  return host ? [host] : [];
}

export function importPatroniConfig(source: string, options: ImportOptions): PatroniImport {
  let raw: unknown;
  try {
    raw = YAML.parse(source);
  } catch {
    throw new UsageError('the file is not valid YAML', 'point --from at a patroni.yml or patronictl.yaml');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError('the file is not a YAML mapping', 'point --from at a patroni.yml or patronictl.yaml');
  const config = raw as Section;
  const notes: string[] = [];
  const secrets: FoundSecret[] = [];
  const file = (value: string | undefined): string | undefined => (value === undefined ? undefined : path.resolve(options.baseDir, value));

  const scope = text(config, 'scope');
  if (!scope) throw new UsageError('the file has no "scope" (the cluster name)', 'is this a Patroni configuration file?');
  const restapi = section(config, 'restapi');
  const ctl = section(config, 'ctl');

  // REST endpoint: connect_address is what other members and patronictl use; listen is a fallback
  // only when it names a concrete host.
  let restUrls = options.restUrls ?? [];
  if (restUrls.length === 0) {
    const address = text(restapi, 'connect_address') ?? text(restapi, 'listen');
    if (!address || isWildcard(address)) {
      throw new UsageError('the file names no reachable REST address (restapi.connect_address)', 'pass the REST URL(s) with --rest-url https://HOST:PORT');
    }
    if (!text(restapi, 'certfile')) {
      throw new UsageError('the REST API in the file is plain http (no restapi.certfile); patrol talks to Patroni over TLS only', 'enable TLS on the REST API, or pass --rest-url https://HOST:PORT');
    }
    restUrls = [httpsOrigin(address, 'REST address')];
  } else {
    restUrls = restUrls.map((u) => validateEndpointUrl(u, 'REST URL'));
  }

  const profile: Profile = {
    cluster: validateClusterName(scope),
    namespace: validateNamespace(text(config, 'namespace') ?? '/service'),
    rest: { urls: restUrls },
  };

  const cacert = file(text(ctl, 'cacert') ?? text(restapi, 'cafile'));
  if (cacert) profile.rest.cacert = cacert;
  if (!text(ctl, 'cacert') && text(restapi, 'cafile')) notes.push('CA: restapi.cafile (no ctl.cacert)');

  let keyPasswordPath: string | undefined;
  if (text(ctl, 'certfile') && text(ctl, 'keyfile')) {
    profile.rest.cert = file(text(ctl, 'certfile'))!;
    profile.rest.key = file(text(ctl, 'keyfile'))!;
    keyPasswordPath = text(ctl, 'keyfile_password') !== undefined ? 'ctl.keyfile_password' : undefined;
  } else if (text(restapi, 'certfile') && text(restapi, 'keyfile')) {
    // Patroni 3.0.x patronictl presented the server's own certificate as its client certificate.
    profile.rest.cert = file(text(restapi, 'certfile'))!;
    profile.rest.key = file(text(restapi, 'keyfile'))!;
    keyPasswordPath = text(restapi, 'keyfile_password') !== undefined ? 'restapi.keyfile_password' : undefined;
    notes.push("client certificate: restapi.certfile/keyfile, the server's own (Patroni 3.0.x fallback; give operators their own with ctl.certfile)");
  }
  // Passwords of keys patrol does not use are still reported, so none stays unmentioned.
  for (const keyPath of ['ctl.keyfile_password', 'restapi.keyfile_password']) {
    const [sectionName, field] = keyPath.split('.') as [string, string];
    const value = text(section(config, sectionName), field);
    if (value === undefined) continue;
    secrets.push(keyPath === keyPasswordPath ? { keyPath, kind: 'key-passphrase', value } : { keyPath, skipped: 'the key it unlocks is not used by this profile' });
  }

  // REST credentials: ctl.authentication (3.1+), the undocumented ctl.auth "user:pass" (3.0.x),
  // then the server's own restapi.authentication.
  const ctlAuth = section(ctl, 'authentication');
  const restAuth = section(restapi, 'authentication');
  const legacyAuth = text(ctl, 'auth');
  let credentials: { username: string; password?: string; passwordPath: string } | undefined;
  if (text(ctlAuth, 'username')) {
    credentials = { username: text(ctlAuth, 'username')!, passwordPath: 'ctl.authentication.password', ...defined(text(ctlAuth, 'password')) };
  } else if (legacyAuth?.includes(':')) {
    const at = legacyAuth.indexOf(':');
    credentials = { username: legacyAuth.slice(0, at), password: legacyAuth.slice(at + 1), passwordPath: 'ctl.auth' };
  } else if (text(restAuth, 'username')) {
    credentials = { username: text(restAuth, 'username')!, passwordPath: 'restapi.authentication.password', ...defined(text(restAuth, 'password')) };
    notes.push('REST user: restapi.authentication (no ctl.authentication)');
  }
  if (credentials) {
    profile.rest.username = credentials.username;
    if (credentials.password !== undefined) secrets.push({ keyPath: credentials.passwordPath, kind: 'rest-password', value: credentials.password });
  }
  for (const keyPath of ['ctl.authentication.password', 'restapi.authentication.password']) {
    if (keyPath === credentials?.passwordPath) continue;
    const [a, b, c] = keyPath.split('.') as [string, string, string];
    if (text(section(section(config, a), b), c) !== undefined) secrets.push({ keyPath, skipped: 'not the credential patrol uses for this profile' });
  }

  const etcd3 = section(config, 'etcd3');
  const etcd2 = section(config, 'etcd');
  if (etcd3) {
    profile.dcs = importEtcd3(etcd3, file, secrets, notes);
  } else if (etcd2) {
    notes.push('DCS: the etcd (v2 API) section was not imported: patrol reads the DCS through etcd v3 only, and uses the REST API instead');
    if (text(etcd2, 'password') !== undefined) secrets.push({ keyPath: 'etcd.password', skipped: 'patrol does not use the etcd v2 API' });
    if (/:\/\/[^/@\s]*:[^/@\s]*@/u.test(text(etcd2, 'url') ?? '')) secrets.push({ keyPath: 'etcd.url (user:password@)', skipped: 'patrol does not use the etcd v2 API' });
  }
  collectUnimported(config, secrets);
  return { profile, secrets, notes };
}

function importEtcd3(etcd: Section, file: (v: string | undefined) => string | undefined, secrets: FoundSecret[], notes: string[]): DcsSettings | undefined {
  const protocol = text(etcd, 'protocol') ?? 'http';
  const urlSetting = text(etcd, 'url');
  const candidates: string[] = [];
  let password = text(etcd, 'password');
  let username = text(etcd, 'username');
  if (urlSetting) {
    const url = new URL(urlSetting);
    if (url.password) {
      // A password embedded in the URL is a secret too: move it, and keep the URL without it.
      password ??= decodeURIComponent(url.password);
      username ??= decodeURIComponent(url.username);
      secrets.push({ keyPath: 'etcd3.url (user:password@)', kind: 'dcs-password', value: decodeURIComponent(url.password) });
      url.username = '';
      url.password = '';
    }
    candidates.push(url.origin);
  } else {
    for (const host of dcsHosts(etcd)) candidates.push(`${protocol}://${host}`);
  }
  if (text(etcd, 'password') !== undefined) secrets.push({ keyPath: 'etcd3.password', kind: 'dcs-password', value: text(etcd, 'password')! });
  if (candidates.length === 0) {
    notes.push('DCS: the etcd3 section names no host; not imported (patrol will use the REST API)');
    return undefined;
  }
  if (candidates.some((c) => !c.startsWith('https://'))) {
    notes.push('DCS: etcd3 is reached over plain http; not imported (patrol talks to etcd over TLS only and will use the REST API)');
    for (const s of secrets) if (s.kind === 'dcs-password') Object.assign(s, { kind: undefined, value: undefined, skipped: 'its etcd3 section was not imported (plain http)' });
    return undefined;
  }
  const dcs: DcsSettings = { type: 'etcd3', urls: candidates.map((c) => validateEndpointUrl(c, 'etcd URL')) };
  const cacert = file(text(etcd, 'cacert'));
  const cert = file(text(etcd, 'cert'));
  const key = file(text(etcd, 'key'));
  if (cacert) dcs.cacert = cacert;
  if (cert && key) {
    dcs.cert = cert;
    dcs.key = key;
  }
  if (username) dcs.username = username;
  // Both the url and the password field may carry one; keep a single entry to store.
  const dcsSecrets = secrets.filter((s) => s.kind === 'dcs-password');
  if (dcsSecrets.length > 1) {
    for (const extra of dcsSecrets.slice(1)) Object.assign(extra, { kind: undefined, value: undefined, skipped: `the password from ${dcsSecrets[0]!.keyPath} is used` });
  }
  if (password === undefined && username) notes.push(`DCS: etcd user "${username}" has no password in the file; add it with \`patrol login\``);
  return dcs;
}

function defined(password: string | undefined): { password?: string } {
  return password === undefined ? {} : { password };
}
