// Which store a profile's secrets live in, and the order a command looks a secret up in:
// environment variable → the profile's store → hidden prompt (terminal only) → not found (the
// session then exits 4 naming `patrol login`).

import { UsageError } from '../errors.js';
import { FileSecretStore, type PassphraseSource, STORE_PASSPHRASE_ENV } from './file-store.js';
import { KeychainStore } from './keychain.js';
import { askNewHidden, type HiddenPrompt } from './prompt.js';
import { registerSecret } from './redact.js';
import { SECRET_STORE_KINDS, SecretStoreUnavailableError, type SecretKind, type SecretRef, type SecretSource, type SecretStore, type SecretStoreKind } from './store.js';

export const SECRET_STORE_ENV = 'PATROL_SECRET_STORE';

export function parseSecretStoreKind(value: string, from: string): SecretStoreKind {
  if ((SECRET_STORE_KINDS as readonly string[]).includes(value)) return value as SecretStoreKind;
  throw new UsageError(`invalid ${from} "${value}"`, `use one of: ${SECRET_STORE_KINDS.join(', ')}`);
}

/** The choice made for this run: --secret-store, else PATROL_SECRET_STORE; undefined when neither is set. */
export function explicitStoreChoice(flag: string | undefined, env: NodeJS.ProcessEnv): SecretStoreKind | undefined {
  if (flag !== undefined && flag !== '') return parseSecretStoreKind(flag, '--secret-store');
  const fromEnv = env[SECRET_STORE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return parseSecretStoreKind(fromEnv, SECRET_STORE_ENV);
  return undefined;
}

/** --secret-store, then PATROL_SECRET_STORE, then the profile's own setting, then the keychain. */
export function chooseStoreKind(explicit: SecretStoreKind | undefined, profile?: { secretStore?: SecretStoreKind | undefined }): SecretStoreKind {
  return explicit ?? profile?.secretStore ?? 'keychain';
}

export interface SecretStoreProvider {
  /** The run's explicit choice (recorded in profiles created by this run). */
  readonly explicit: SecretStoreKind | undefined;
  choose(profile?: { secretStore?: SecretStoreKind | undefined }): SecretStoreKind;
  open(kind: SecretStoreKind): SecretStore;
}

/**
 * Take PATROL_STORE_PASSPHRASE out of the environment at start-up, like the other secret
 * variables, so no child process (an editor, the keychain helper) inherits it.
 */
export function takeStorePassphrase(env: NodeJS.ProcessEnv): string | undefined {
  const value = env[STORE_PASSPHRASE_ENV];
  delete env[STORE_PASSPHRASE_ENV];
  if (value === undefined || value === '') return undefined;
  registerSecret(value);
  return value;
}

export interface ProviderOptions {
  env: NodeJS.ProcessEnv;
  configDir: string;
  explicit: SecretStoreKind | undefined;
  storePassphrase: string | undefined;
  /** Present only when a person can answer at a terminal. */
  prompt: HiddenPrompt | undefined;
  keychainTimeoutMs?: number;
  debug?: (line: string) => void;
}

export function createSecretStoreProvider(options: ProviderOptions): SecretStoreProvider {
  const opened = new Map<SecretStoreKind, SecretStore>();
  const passphrase: PassphraseSource = {
    async passphrase(creating) {
      if (options.storePassphrase !== undefined) return options.storePassphrase;
      if (!options.prompt) return undefined;
      return creating
        ? askNewHidden(options.prompt, 'Choose a passphrase for the new patrol secret store:')
        : options.prompt('Passphrase of the patrol secret store:');
    },
  };
  return {
    explicit: options.explicit,
    choose: (profile) => chooseStoreKind(options.explicit, profile),
    open(kind) {
      let store = opened.get(kind);
      if (!store) {
        store =
          kind === 'keychain'
            ? new KeychainStore({ env: options.env, ...(options.keychainTimeoutMs ? { timeoutMs: options.keychainTimeoutMs } : {}), ...(options.debug ? { debug: options.debug } : {}) })
            : new FileSecretStore({ dir: options.configDir, passphrase });
        opened.set(kind, store);
      }
      return store;
    },
  };
}

/** Keychain timeout override in seconds (PATROL_KEYCHAIN_TIMEOUT), for slow desktops and tests. */
export function keychainTimeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env['PATROL_KEYCHAIN_TIMEOUT'];
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
    throw new UsageError(`invalid PATROL_KEYCHAIN_TIMEOUT "${raw}"`, 'give seconds between 0 and 600');
  }
  return Math.round(seconds * 1000);
}

const PROMPT_TEXT: Record<SecretKind, string> = {
  'rest-password': 'Patroni REST API password',
  'key-passphrase': 'client key passphrase',
  'dcs-password': 'etcd password',
};

export function promptFor(kind: SecretKind, profile: string): string {
  return `${PROMPT_TEXT[kind]} for profile "${profile}":`;
}

export interface LookupOptions {
  env: SecretSource;
  /** The store that holds this profile's secrets. */
  storeFor(profile: string): Promise<SecretStore>;
  prompt: HiddenPrompt | undefined;
  /** Where a warning goes when the store is unusable but a prompt can stand in for it. */
  warn?: (line: string) => void;
}

/** The lookup every command goes through; each answer is remembered for the rest of the run. */
export class SecretLookup implements SecretSource {
  private readonly answers = new Map<string, Promise<string | undefined>>();

  constructor(private readonly options: LookupOptions) {}

  get description(): string {
    return `the environment, the profile's secret store${this.options.prompt ? ' or a prompt' : ''}`;
  }

  get(ref: SecretRef): Promise<string | undefined> {
    const key = `${ref.profile}/${ref.kind}`;
    let answer = this.answers.get(key);
    if (!answer) {
      answer = this.find(ref);
      this.answers.set(key, answer);
    }
    return answer;
  }

  /** Whether the environment supplied this secret (for `secret list`; never prompts). */
  async inEnvironment(ref: SecretRef): Promise<boolean> {
    return (await this.options.env.get(ref)) !== undefined;
  }

  private async find(ref: SecretRef): Promise<string | undefined> {
    const fromEnv = await this.options.env.get(ref);
    if (fromEnv !== undefined) return fromEnv;
    let stored: string | undefined;
    try {
      stored = await (await this.options.storeFor(ref.profile)).get(ref);
    } catch (error) {
      if (!(error instanceof SecretStoreUnavailableError)) throw error;
      const line = `cannot look up the ${PROMPT_TEXT[ref.kind]} of profile "${ref.profile}": ${error.message}`;
      if (!this.options.prompt) throw new SecretStoreUnavailableError(line, error.hint);
      // A person is here: say why the store was skipped, then ask instead.
      this.options.warn?.(`patrol: ${line}; ${error.hint ?? ''}`.replace(/; $/u, ''));
    }
    if (stored !== undefined) return stored;
    if (!this.options.prompt) return undefined;
    const typed = await this.options.prompt(promptFor(ref.kind, ref.profile));
    return typed === '' ? undefined : typed;
  }
}
