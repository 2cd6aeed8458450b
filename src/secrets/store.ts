// Secrets are looked up through one interface so that the environment source used today and the
// OS keychain / encrypted-file stores can be swapped or chained without touching the clients.

import { TlsOrAuthError } from '../errors.js';
import { registerSecret } from './redact.js';

/** What a secret is for; stores key their entries by profile and kind. */
export type SecretKind = 'rest-password' | 'key-passphrase' | 'dcs-password';

export const SECRET_KINDS: readonly SecretKind[] = ['rest-password', 'key-passphrase', 'dcs-password'];

export function isSecretKind(value: string): value is SecretKind {
  return (SECRET_KINDS as readonly string[]).includes(value);
}

export interface SecretRef {
  profile: string;
  kind: SecretKind;
}

export interface SecretSource {
  /** Human name of where secrets come from, for error hints ("environment", "keychain"). */
  readonly description: string;
  get(ref: SecretRef): Promise<string | undefined>;
}

/** Where a profile's secrets are kept: the OS keychain, or an encrypted file for headless hosts. */
export type SecretStoreKind = 'keychain' | 'file';

export const SECRET_STORE_KINDS: readonly SecretStoreKind[] = ['keychain', 'file'];

/** A source that can also keep secrets: `patrol login` writes, `logout` and `profile remove` delete. */
export interface SecretStore extends SecretSource {
  readonly kind: SecretStoreKind;
  set(ref: SecretRef, value: string): Promise<void>;
  /** True when something was deleted. */
  delete(ref: SecretRef): Promise<boolean>;
}

/**
 * The selected store cannot be used (no keychain on this machine, keychain locked or not
 * answering, file store without its passphrase). Exit 4: without it patrol cannot authenticate.
 */
export class SecretStoreUnavailableError extends TlsOrAuthError {}

export const SECRET_ENV_VARS: Record<SecretKind, string> = {
  'rest-password': 'PATROL_REST_PASSWORD',
  'key-passphrase': 'PATROL_KEY_PASSPHRASE',
  'dcs-password': 'PATROL_DCS_PASSWORD',
};

/**
 * Secrets taken from the environment. They are read once at start-up and then deleted from
 * process.env, so child processes (an $EDITOR, a pager) never inherit them.
 */
export class EnvSecretSource implements SecretSource {
  readonly description = 'environment';
  private readonly values = new Map<SecretKind, string>();

  constructor(env: NodeJS.ProcessEnv) {
    for (const [kind, variable] of Object.entries(SECRET_ENV_VARS) as Array<[SecretKind, string]>) {
      const value = env[variable];
      if (value !== undefined) {
        delete env[variable];
        if (value !== '') {
          registerSecret(value);
          this.values.set(kind, value);
        }
      }
    }
  }

  async get(ref: SecretRef): Promise<string | undefined> {
    return this.values.get(ref.kind);
  }
}

/** The first source that knows a secret wins; lets a keychain sit behind explicit env overrides. */
export class ChainedSecretSource implements SecretSource {
  constructor(private readonly sources: SecretSource[]) {}

  get description(): string {
    return this.sources.map((s) => s.description).join(' or ');
  }

  async get(ref: SecretRef): Promise<string | undefined> {
    for (const source of this.sources) {
      const value = await source.get(ref);
      if (value !== undefined) return value;
    }
    return undefined;
  }
}

/** Names the ways an operator can supply a secret, for "missing secret" hints. */
export function howToSupply(kind: SecretKind, profile?: string): string {
  return `run \`patrol login${profile ? ` -p ${profile}` : ''}\` to store it, or set ${SECRET_ENV_VARS[kind]} in the environment`;
}
