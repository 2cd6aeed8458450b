// A profile names a cluster and how to reach it. It holds no secrets: passwords and key
// passphrases come from a SecretSource. Validation is pure so it is unit-tested directly.

import { UsageError } from '../errors.js';
import { validatePin } from '../net/pinning.js';

export interface TlsFiles {
  cacert?: string;
  cert?: string;
  key?: string;
  /** Pinned server public keys ("sha256/BASE64" of the SPKI), recorded by `patrol profile pin`. */
  pins?: string[];
}

export interface RestSettings extends TlsFiles {
  urls: string[];
  username?: string;
  /** Hosts besides the seed URLs' hosts whose member api_urls patrol may contact. */
  allowedHosts?: string[];
}

export interface DcsSettings extends TlsFiles {
  type: 'etcd3';
  urls: string[];
  username?: string;
}

export interface Profile {
  cluster: string;
  namespace: string;
  rest: RestSettings;
  dcs?: DcsSettings;
  /** Where this profile's secrets are kept (default: the OS keychain). Never the secrets themselves. */
  secretStore?: 'keychain' | 'file';
}

export interface ProfileFile {
  current?: string;
  profiles: Record<string, Profile>;
}

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/u;

export function validateProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(
      `invalid profile name "${name}"`,
      'use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    );
  }
  return name;
}

/**
 * Check an endpoint URL: https only (credentials and client certificates never cross plain HTTP),
 * no credentials embedded, no path/query tricks. Returns the normalized origin.
 */
export function validateEndpointUrl(raw: string, what: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${what} "${raw}" is not a URL`, 'write it as https://HOST:PORT');
  }
  if (url.username || url.password) {
    throw new UsageError(
      `${what} must not contain credentials`,
      'remove "user:password@" from the URL; supply passwords through the environment (PATROL_REST_PASSWORD, PATROL_DCS_PASSWORD)',
    );
  }
  if (url.protocol !== 'https:') {
    throw new UsageError(
      `${what} "${url.origin}" is not https`,
      'patrol talks to Patroni and etcd over TLS only; use an https:// URL',
    );
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new UsageError(`${what} "${raw}" must be an origin without a path`, 'write it as https://HOST:PORT');
  }
  return url.origin;
}

export function validateNamespace(namespace: string): string {
  const trimmed = namespace.replace(/^\/+|\/+$/gu, '');
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/u.test(trimmed)) {
    throw new UsageError(`invalid namespace "${namespace}"`, 'use a path like /service');
  }
  return `/${trimmed}`;
}

export function validateClusterName(cluster: string): string {
  if (!/^[A-Za-z0-9._-]+$/u.test(cluster)) {
    throw new UsageError(`invalid cluster name "${cluster}"`, "use the Patroni 'scope' value");
  }
  return cluster;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') throw new UsageError(`profile field ${field} must be a non-empty string`);
  return value;
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new UsageError(`profile field ${field} must be a list of strings`);
  }
  return value as string[];
}

/** Parse and validate one profile as read from the file (untrusted shape). */
export function parseProfile(name: string, raw: unknown): Profile {
  if (typeof raw !== 'object' || raw === null) throw new UsageError(`profile "${name}" is not a mapping`);
  const record = raw as Record<string, unknown>;
  const restRaw = record['rest'];
  if (typeof restRaw !== 'object' || restRaw === null) {
    throw new UsageError(`profile "${name}" has no rest section`, `recreate it with \`patrol profile add ${name} …\``);
  }
  const rest = restRaw as Record<string, unknown>;
  const profile: Profile = {
    cluster: validateClusterName(String(record['cluster'] ?? '')),
    namespace: validateNamespace(String(record['namespace'] ?? '/service')),
    rest: {
      urls: stringList(rest['urls'], 'rest.urls').map((u) => validateEndpointUrl(u, 'REST URL')),
      ...tlsFiles(rest, 'rest'),
      ...defined('username', optionalString(rest['username'], 'rest.username')),
      ...(rest['allowedHosts'] !== undefined ? { allowedHosts: stringList(rest['allowedHosts'], 'rest.allowedHosts') } : {}),
    },
  };
  if (profile.rest.urls.length === 0) throw new UsageError(`profile "${name}" has no REST URL`);
  const dcsRaw = record['dcs'];
  if (dcsRaw !== undefined && dcsRaw !== null) {
    const dcs = dcsRaw as Record<string, unknown>;
    if (dcs['type'] !== 'etcd3') throw new UsageError(`profile "${name}": unsupported DCS type "${String(dcs['type'])}"`, 'etcd3 is supported');
    profile.dcs = {
      type: 'etcd3',
      urls: stringList(dcs['urls'], 'dcs.urls').map((u) => validateEndpointUrl(u, 'DCS URL')),
      ...tlsFiles(dcs, 'dcs'),
      ...defined('username', optionalString(dcs['username'], 'dcs.username')),
    };
    if (profile.dcs.urls.length === 0) throw new UsageError(`profile "${name}" has a dcs section without URLs`);
  }
  const secretStore = record['secretStore'];
  if (secretStore !== undefined && secretStore !== null) {
    if (secretStore !== 'keychain' && secretStore !== 'file') throw new UsageError(`profile "${name}": unknown secretStore "${String(secretStore)}"`, 'use keychain or file');
    profile.secretStore = secretStore;
  }
  return profile;
}

function tlsFiles(section: Record<string, unknown>, prefix: string): TlsFiles {
  return {
    ...defined('cacert', optionalString(section['cacert'], `${prefix}.cacert`)),
    ...defined('cert', optionalString(section['cert'], `${prefix}.cert`)),
    ...defined('key', optionalString(section['key'], `${prefix}.key`)),
    ...(section['pins'] !== undefined && section['pins'] !== null
      ? { pins: stringList(section['pins'], `${prefix}.pins`).map((pin) => validatePin(pin, `${prefix}.pins`)) }
      : {}),
  };
}

function defined<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
