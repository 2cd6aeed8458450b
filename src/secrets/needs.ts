// Which secrets a profile needs: a password for each username it names, and a passphrase when a
// client key file is encrypted. Used by `login` (what to ask for) and `secret list`.

import { readFileSync } from 'node:fs';
import { isEncryptedKey } from '../net/tls.js';
import type { Profile } from '../profiles/schema.js';
import type { SecretKind } from './store.js';

export interface NeededSecret {
  kind: SecretKind;
  /** Why the profile needs it, for the operator ("REST user patroni-admin"). */
  why: string;
}

function encrypted(file: string | undefined): boolean {
  if (!file) return false;
  try {
    return isEncryptedKey(readFileSync(file));
  } catch {
    return false; // an unreadable key is reported when it is used, with the path
  }
}

/** In the order `login` asks: the key passphrase first, since checking the passwords needs the key. */
export function neededSecrets(profile: Profile, readsKey: (file: string | undefined) => boolean = encrypted): NeededSecret[] {
  const needed: NeededSecret[] = [];
  const keys = [profile.rest.key, profile.dcs?.key].filter((k): k is string => k !== undefined && readsKey(k));
  if (keys.length) needed.push({ kind: 'key-passphrase', why: `encrypted client key ${[...new Set(keys)].join(', ')}` });
  if (profile.rest.username) needed.push({ kind: 'rest-password', why: `REST user "${profile.rest.username}"` });
  if (profile.dcs?.username) needed.push({ kind: 'dcs-password', why: `etcd user "${profile.dcs.username}"` });
  return needed;
}
