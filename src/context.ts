// Everything a command needs from the outside world, passed in one object so every command can
// be run in tests with plain fakes. Production wiring lives in session.ts and cli.ts only.

import type { AuditTrail } from './audit/log.js';
import type { Cluster } from './cluster/model.js';
import type { DcsReader } from './dcs/etcd3.js';
import type { PatroniApi } from './patroni/client.js';
import type { Profile } from './profiles/schema.js';
import type { ProfileStore } from './profiles/store.js';
import type { SecretSource } from './secrets/store.js';
import type { SecretStoreProvider } from './secrets/stores.js';
import type { Format } from './ui/format.js';
import type { Prompter } from './ui/prompter.js';

export interface Terminal {
  write(text: string): void;
  /** Progress, warnings and prompts: never mixed into data on stdout. */
  note(text: string): void;
  readonly stdoutIsTTY: boolean;
  /** Prompts need a person at both ends: stdin and stderr on a terminal. */
  readonly canPrompt: boolean;
  /** All of standard input (for `--apply -`). */
  readStdin(): Promise<string>;
  /** Let the operator edit text in $VISUAL/$EDITOR (terminal only); returns the edited text. */
  editText(text: string): Promise<string>;
}

export interface Clock {
  now(): Date;
  /** Resolves after ms, or early (without error) when signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export type SourceChoice = 'auto' | 'rest' | 'dcs';

export interface GlobalOptions {
  profile?: string | undefined;
  source: SourceChoice;
  /** Seconds to wait for an answer to a read. */
  timeout: number;
  format: Format;
  debug: boolean;
}

/** A connection to one cluster through one profile; clients are built on first use. */
export interface Session {
  readonly profileName: string;
  readonly profile: Profile;
  readonly trustedHosts: Set<string>;
  api(): Promise<PatroniApi>;
  /** Undefined when the profile has no DCS section. */
  dcs(): Promise<DcsReader | undefined>;
  /** The cluster from the DCS or the REST API, as --source and the profile decide. */
  readCluster(): Promise<Cluster>;
  readConfig(): Promise<Record<string, unknown>>;
  readHistory(): Promise<unknown[]>;
  close(): void;
}

export interface Context {
  readonly term: Terminal;
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly version: string;
  readonly profiles: ProfileStore;
  readonly secrets: SecretSource;
  /** The secret stores (keychain or encrypted file) that `login`, `logout` and `profile` manage. */
  readonly secretStores: SecretStoreProvider;
  /** Only usable when term.canPrompt is true. */
  readonly prompter: Prompter;
  debug(line: string): void;
  /** Opens (once) the session for the selected profile. */
  session(globals: GlobalOptions): Promise<Session>;
  /** Records state-changing actions; written to the audit log when the command ends. */
  readonly audit?: AuditTrail;
}
