// Checks a secret before `patrol login` stores it, against the real thing where that is possible
// without changing anything: the key passphrase must decrypt the key files; the REST password must
// get past a member's authentication; the etcd password must be accepted by etcd.

import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { GlobalOptions } from '../context.js';
import { PatrolError, TlsOrAuthError, UnreachableError } from '../errors.js';
import { isEncryptedKey } from '../net/tls.js';
import type { Profile } from '../profiles/schema.js';
import type { SecretKind, SecretRef, SecretSource } from './store.js';

export type Verdict = { outcome: 'accepted'; by: string } | { outcome: 'rejected'; reason: string } | { outcome: 'unverified'; reason: string };

export function verifyKeyPassphrase(profile: Profile, passphrase: string): Verdict {
  const files = [...new Set([profile.rest.key, profile.dcs?.key].filter((k): k is string => k !== undefined))];
  let checked = 0;
  for (const file of files) {
    let pem: Buffer;
    try {
      pem = readFileSync(file);
    } catch {
      return { outcome: 'unverified', reason: `cannot read ${file}` };
    }
    if (!isEncryptedKey(pem)) continue;
    try {
      createPrivateKey({ key: pem, passphrase });
      checked++;
    } catch {
      return { outcome: 'rejected', reason: `it does not decrypt ${file}` };
    }
  }
  return checked ? { outcome: 'accepted', by: 'the client key' } : { outcome: 'unverified', reason: 'no encrypted key file in the profile' };
}

export interface ClusterCheckDeps {
  profileName: string;
  profile: Profile;
  globals: GlobalOptions;
  /** Secrets already known (e.g. the key passphrase typed a moment ago), then the normal lookup. */
  secrets: SecretSource;
  debug: (line: string) => void;
  version: string;
}

/** A session whose lookup answers `kind` with the candidate value. */
async function sessionWith(deps: ClusterCheckDeps, kind: SecretKind, candidate: string) {
  const { openSession } = await import('../session.js');
  const secrets: SecretSource = {
    description: 'the value being checked',
    get: async (ref: SecretRef) => (ref.kind === kind ? candidate : deps.secrets.get(ref)),
  };
  return openSession({ profileName: deps.profileName, profile: deps.profile, globals: deps.globals, secrets, debug: deps.debug, version: deps.version });
}

function notVerified(error: unknown): Verdict {
  if (error instanceof PatrolError) return { outcome: 'unverified', reason: error.message };
  throw error;
}

/**
 * PATCH /config with an empty object: Patroni checks authentication first and then answers 400
 * for an empty patch without touching anything, so 401 means "wrong password" and any other
 * answer means the password got through.
 */
export async function verifyRestPassword(deps: ClusterCheckDeps, password: string): Promise<Verdict> {
  const session = await sessionWith(deps, 'rest-password', password);
  try {
    const api = await session.api();
    let lastUnreachable: UnreachableError | undefined;
    for (const origin of deps.profile.rest.urls) {
      try {
        await api.send(origin, 'PATCH', '/config', {});
        return { outcome: 'accepted', by: origin };
      } catch (error) {
        if (error instanceof TlsOrAuthError && /HTTP 401/u.test(error.message)) return { outcome: 'rejected', reason: `${origin} refused it (HTTP 401)` };
        if (error instanceof UnreachableError) {
          lastUnreachable = error;
          continue;
        }
        return notVerified(error);
      }
    }
    return notVerified(lastUnreachable);
  } catch (error) {
    return notVerified(error);
  } finally {
    session.close();
  }
}

/** A read through the DCS client: it authenticates first, and a refused login says so. */
export async function verifyDcsPassword(deps: ClusterCheckDeps, password: string): Promise<Verdict> {
  const session = await sessionWith(deps, 'dcs-password', password);
  try {
    const reader = await session.dcs();
    if (!reader) return { outcome: 'unverified', reason: 'the profile has no DCS section' };
    await reader.readCluster(deps.profile.namespace, deps.profile.cluster);
    return { outcome: 'accepted', by: deps.profile.dcs!.urls.join(', ') };
  } catch (error) {
    if (error instanceof TlsOrAuthError && /rejected the username\/password/u.test(error.message)) return { outcome: 'rejected', reason: 'etcd rejected it' };
    return notVerified(error);
  } finally {
    session.close();
  }
}
