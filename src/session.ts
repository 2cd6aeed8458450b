// Production wiring of a Session: profile → TLS material → hardened transports → clients.
// Everything is built lazily, so `patrol list` in REST mode never loads DCS keys or asks for a
// DCS password, and a read-only command never asks for the REST password.

import { clusterFromDcs, configFromDcs, historyFromDcs } from './cluster/from-dcs.js';
import { clusterFromRest } from './cluster/from-rest.js';
import type { Cluster } from './cluster/model.js';
import type { GlobalOptions, Session } from './context.js';
import { type DcsReader, Etcd3Client } from './dcs/etcd3.js';
import { ProtocolError, TlsOrAuthError, UsageError } from './errors.js';
import { loadTlsMaterial } from './net/tls.js';
import { DEFAULT_LIMITS, type DebugLog, HttpTransport } from './net/transport.js';
import { type BasicCredentials, type PatroniApi, PatroniRestClient } from './patroni/client.js';
import { trustedHostSet } from './patroni/trust.js';
import type { Profile } from './profiles/schema.js';
import { howToSupply, type SecretKind, type SecretSource } from './secrets/store.js';

export interface SessionDeps {
  profileName: string;
  profile: Profile;
  globals: GlobalOptions;
  secrets: SecretSource;
  debug: DebugLog;
  version: string;
}

export function openSession(deps: SessionDeps): Session {
  const { profile, profileName, globals, secrets } = deps;
  const transports: HttpTransport[] = [];
  const limits = { ...DEFAULT_LIMITS, responseTimeoutMs: Math.round(globals.timeout * 1000) };
  const secret = (kind: SecretKind) => () => secrets.get({ profile: profileName, kind });

  const credentials = (username: string | undefined, kind: SecretKind) => async (): Promise<BasicCredentials | undefined> => {
    if (!username) return undefined;
    const password = await secret(kind)();
    if (password === undefined) {
      // Not a usage mistake: the credential is missing, so authentication cannot happen (exit 4).
      throw new TlsOrAuthError(`no password for user "${username}" of profile "${profileName}"`, howToSupply(kind, profileName));
    }
    return { username, password };
  };

  // Asked for only when a key file is encrypted; missing → exit 4 naming `patrol login`.
  const keyPassphrase = async (): Promise<string> => {
    const value = await secret('key-passphrase')();
    if (value === undefined) throw new TlsOrAuthError(`the client key of profile "${profileName}" is encrypted and no passphrase was found`, howToSupply('key-passphrase', profileName));
    return value;
  };

  let api: Promise<PatroniApi> | undefined;
  let dcs: Promise<DcsReader | undefined> | undefined;

  const buildApi = async (): Promise<PatroniApi> => {
    const tls = await loadTlsMaterial(profile.rest, 'REST', keyPassphrase, howToSupply('key-passphrase', profileName));
    const transport = new HttpTransport(tls, limits, deps.debug, `patrol/${deps.version}`);
    transports.push(transport);
    return new PatroniRestClient(transport, profile.rest.urls, credentials(profile.rest.username, 'rest-password'));
  };

  const buildDcs = async (): Promise<DcsReader | undefined> => {
    if (!profile.dcs) return undefined;
    const tls = await loadTlsMaterial(profile.dcs, 'DCS', keyPassphrase, howToSupply('key-passphrase', profileName));
    const transport = new HttpTransport(tls, limits, deps.debug, `patrol/${deps.version}`);
    transports.push(transport);
    return new Etcd3Client(transport, profile.dcs.urls, credentials(profile.dcs.username, 'dcs-password'));
  };

  const session: Session = {
    profileName,
    profile,
    trustedHosts: trustedHostSet(profile.rest.urls, profile.rest.allowedHosts),
    api: () => (api ??= buildApi()),
    dcs: () => (dcs ??= buildDcs()),

    async readCluster(): Promise<Cluster> {
      const reader = await dcsFor(session, globals);
      if (reader) return clusterFromDcs(await reader.readCluster(profile.namespace, profile.cluster), profile.cluster);
      const { json } = await (await session.api()).getFromSeeds('/cluster');
      return clusterFromRest(json, profile.cluster);
    },

    async readConfig(): Promise<Record<string, unknown>> {
      const reader = await dcsFor(session, globals);
      if (reader) {
        const config = configFromDcs(await reader.readCluster(profile.namespace, profile.cluster));
        if (!config) throw new ProtocolError(`cluster "${profile.cluster}" has no configuration in the DCS`, 'is the cluster name right?');
        return config;
      }
      const { json } = await (await session.api()).getFromSeeds('/config');
      if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ProtocolError('GET /config did not return an object');
      return json as Record<string, unknown>;
    },

    async readHistory(): Promise<unknown[]> {
      const reader = await dcsFor(session, globals);
      if (reader) return historyFromDcs(await reader.readCluster(profile.namespace, profile.cluster));
      const { json } = await (await session.api()).getFromSeeds('/history');
      return Array.isArray(json) ? json : [];
    },

    close(): void {
      for (const transport of transports) transport.close();
    },
  };
  return session;
}

/** DCS mode when asked for (--source dcs) or, with --source auto, when the profile has a DCS. */
export async function dcsFor(session: Session, globals: GlobalOptions): Promise<DcsReader | undefined> {
  if (globals.source === 'rest') return undefined;
  const reader = await session.dcs();
  if (!reader && globals.source === 'dcs') {
    throw new UsageError(`profile "${session.profileName}" has no DCS section`, 'add one with `patrol profile add … --dcs-url`, or use --source rest');
  }
  return reader;
}
