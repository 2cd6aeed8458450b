// Production wiring of secrets for one run, called from cli.ts main(): take every secret out of
// the environment first, then build the lookup chain (env → the profile's store → prompt).

import { FileProfileStore, configDir } from '../profiles/store.js';
import { askHidden } from './prompt.js';
import { EnvSecretSource, type SecretSource } from './store.js';
import {
  createSecretStoreProvider,
  explicitStoreChoice,
  keychainTimeoutFromEnv,
  SecretLookup,
  type SecretStoreProvider,
  takeStorePassphrase,
} from './stores.js';

/** The value of `--secret-store` in argv, read before yargs runs (the stores are built first). */
export function secretStoreFlag(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return undefined;
    if (arg === '--secret-store') return argv[i + 1] ?? '';
    if (arg.startsWith('--secret-store=')) return arg.slice('--secret-store='.length);
  }
  return undefined;
}

export interface SecretWiringOptions {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** A person can answer hidden prompts (stdin and stderr are terminals). */
  canPrompt: boolean;
  debug(line: string): void;
  /** A warning line for stderr. */
  warn(line: string): void;
}

export function wireSecrets(options: SecretWiringOptions): { secrets: SecretSource; secretStores: SecretStoreProvider } {
  const { env } = options;
  // Secrets leave the environment before anything else can copy it.
  const envSecrets = new EnvSecretSource(env);
  const storePassphrase = takeStorePassphrase(env);
  const dir = configDir(env);
  const prompt = options.canPrompt ? askHidden : undefined;
  const timeout = keychainTimeoutFromEnv(env);
  const secretStores = createSecretStoreProvider({
    env,
    configDir: dir,
    explicit: explicitStoreChoice(secretStoreFlag(options.argv), env),
    storePassphrase,
    prompt,
    ...(timeout ? { keychainTimeoutMs: timeout } : {}),
    debug: options.debug,
  });
  const profiles = new FileProfileStore(dir);
  const secrets = new SecretLookup({
    env: envSecrets,
    prompt,
    warn: options.warn,
    storeFor: async (name) => secretStores.open(secretStores.choose((await profiles.load()).profiles[name])),
  });
  return { secrets, secretStores };
}
