// Team profiles: a bundle a team lead exports and a new operator imports. It carries what every
// operator shares (cluster, endpoints, usernames, pinned keys, the CA certificate itself) and
// nothing that is personal or secret: no client certificate or key, no password, no passphrase.

import { X509Certificate } from 'node:crypto';
import YAML from 'yaml';
import { UsageError } from '../errors.js';
import { type DcsSettings, parseProfile, type Profile } from './schema.js';

export const BUNDLE_MARKER = 'patrolProfileBundle';
const BUNDLE_VERSION = 1;

interface BundleEndpoint {
  urls: string[];
  username?: string;
  allowedHosts?: string[];
  pins?: string[];
  /** The CA certificate(s), PEM, inlined: the importer writes them to a file of its own. */
  caPem?: string;
}

export interface ProfileBundle {
  [BUNDLE_MARKER]: number;
  name: string;
  cluster: string;
  namespace: string;
  rest: BundleEndpoint;
  dcs?: BundleEndpoint & { type: 'etcd3' };
}

function endpoint(settings: Profile['rest'] | DcsSettings, readCa: (file: string) => string): BundleEndpoint {
  const out: BundleEndpoint = { urls: [...settings.urls] };
  if (settings.username) out.username = settings.username;
  if ('allowedHosts' in settings && settings.allowedHosts?.length) out.allowedHosts = [...settings.allowedHosts];
  if (settings.pins?.length) out.pins = [...settings.pins];
  if (settings.cacert) out.caPem = readCa(settings.cacert);
  return out;
}

/** Build the bundle; fields are copied one by one, so nothing new in a profile leaks by default. */
export function exportBundle(name: string, profile: Profile, readCa: (file: string) => string): ProfileBundle {
  const bundle: ProfileBundle = { [BUNDLE_MARKER]: BUNDLE_VERSION, name, cluster: profile.cluster, namespace: profile.namespace, rest: endpoint(profile.rest, readCa) };
  if (profile.dcs) bundle.dcs = { type: 'etcd3', ...endpoint(profile.dcs, readCa) };
  return bundle;
}

export function bundleToYaml(bundle: ProfileBundle): string {
  return `# patrol profile bundle: no keys, no secrets. Install with \`patrol profile import FILE\`, then \`patrol login\`.\n${YAML.stringify(bundle)}`;
}

/** Only CERTIFICATE blocks that parse: a bundle must not smuggle a key or junk into a CA file. */
export function validateCaPem(pem: string, what: string): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/gu) ?? [];
  const rest = pem.replace(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/gu, '').trim();
  if (blocks.length === 0 || rest !== '') throw new UsageError(`${what} is not a list of PEM certificates`, 'ask for a fresh export of the bundle');
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw new UsageError(`${what} holds a certificate that does not parse`, 'ask for a fresh export of the bundle');
    }
  }
  return `${blocks.join('\n')}\n`;
}

export interface ParsedBundle {
  name: string;
  profile: Profile;
  /** CA PEM to write for each section; the caller sets the cacert paths. */
  restCaPem?: string;
  dcsCaPem?: string;
}

/** Parse an untrusted bundle; the profile is validated like one read from the profile file. */
export function parseBundle(text: string): ParsedBundle {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch {
    throw new UsageError('the bundle is not valid YAML', 'ask for a fresh export');
  }
  const record = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  if (record[BUNDLE_MARKER] !== BUNDLE_VERSION) {
    throw new UsageError('the file is not a patrol profile bundle', 'export one with `patrol profile export NAME`, or import a Patroni config with --from');
  }
  const rest = (record['rest'] ?? {}) as BundleEndpoint;
  const dcs = record['dcs'] as (BundleEndpoint & { type?: string }) | undefined;
  // Anything a bundle might try to set beyond the shared fields (key paths, secrets) is dropped.
  const shape = {
    cluster: record['cluster'],
    namespace: record['namespace'],
    rest: { urls: rest.urls, username: rest.username, allowedHosts: rest.allowedHosts, pins: rest.pins },
    ...(dcs ? { dcs: { type: dcs.type, urls: dcs.urls, username: dcs.username, pins: dcs.pins } } : {}),
  };
  const name = String(record['name'] ?? '');
  const profile = parseProfile(name || 'bundle', JSON.parse(JSON.stringify(shape)));
  const parsed: ParsedBundle = { name, profile };
  if (typeof rest.caPem === 'string') parsed.restCaPem = validateCaPem(rest.caPem, 'the bundle\'s REST CA');
  if (dcs && typeof dcs.caPem === 'string') parsed.dcsCaPem = validateCaPem(dcs.caPem, 'the bundle\'s etcd CA');
  return parsed;
}
