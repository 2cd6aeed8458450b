// The OS keychain (macOS Keychain, Windows Credential Manager, Linux Secret Service) through
// @napi-rs/keyring: prebuilt binaries, no install script, and on Linux an explicit pin to the
// Secret Service so secrets never land in the kernel keyring (which forgets them at reboot).
//
// Every operation runs in a child process (keychain-helper.ts) that is killed when it does not
// answer in time: a locked keyring, a hung Secret Service or a dead session bus can block the
// library inside a synchronous native call, which no in-process timer can interrupt.

import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerSecret } from './redact.js';
import { type SecretRef, type SecretStore, SecretStoreUnavailableError } from './store.js';

export type KeychainOperation = 'get' | 'set' | 'delete';

export interface KeychainRequest {
  op: KeychainOperation;
  service: string;
  account: string;
  value?: string;
}

/** Why the keychain could not be used, in terms the operator can act on. */
export type KeychainFailure = 'unavailable' | 'locked' | 'failed';

export type KeychainReply =
  | { ok: true; value?: string | null; deleted?: boolean }
  | { ok: false; failure: KeychainFailure; detail: string };

/** Sort the library's error text into what the operator can act on. */
export function classifyKeychainError(message: string): KeychainFailure {
  if (/\block|prompt was dismissed|not unlocked|user canceled|interaction not allowed/iu.test(message)) return 'locked';
  if (/dbus|d-bus|no such (interface|object)|service unknown|not available|no platform|NoStorageAccess|platform failure|couldn't access/iu.test(message)) {
    return 'unavailable';
  }
  return 'failed';
}

/** Service name under which every patrol entry is filed; accounts are "<profile>/<kind>". */
export const KEYCHAIN_SERVICE = 'patrol';

export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 20_000;

const FALLBACK_HINT =
  'use `--secret-store file` (or PATROL_SECRET_STORE=file, passphrase from a prompt or PATROL_STORE_PASSPHRASE), ' +
  'or supply secrets through PATROL_REST_PASSWORD, PATROL_DCS_PASSWORD and PATROL_KEY_PASSPHRASE';

const HELPER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'keychain-helper.js');

export function keychainAccount(ref: SecretRef): string {
  return `${ref.profile}/${ref.kind}`;
}

function isSocket(file: string): boolean {
  try {
    return statSync(file).isSocket();
  } catch {
    return false;
  }
}

/**
 * The session bus the Secret Service is reached through, or a reason there is none. Checked
 * before the library is touched: without an address libdbus fails or, built differently, tries to
 * autolaunch a bus.
 */
export function linuxSessionBus(env: NodeJS.ProcessEnv): { address: string } | { missing: string } {
  const address = env['DBUS_SESSION_BUS_ADDRESS'];
  if (address) return { address };
  const runtimeDir = env['XDG_RUNTIME_DIR'];
  if (runtimeDir && isSocket(path.join(runtimeDir, 'bus'))) return { address: `unix:path=${path.join(runtimeDir, 'bus')}` };
  return { missing: 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)' };
}

export interface KeychainOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  platform?: NodeJS.Platform;
  debug?: (line: string) => void;
}

export class KeychainStore implements SecretStore {
  readonly kind = 'keychain' as const;
  readonly description = 'the OS keychain';
  private readonly timeoutMs: number;
  private readonly cache = new Map<string, string | undefined>();

  constructor(private readonly options: KeychainOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_KEYCHAIN_TIMEOUT_MS;
  }

  async get(ref: SecretRef): Promise<string | undefined> {
    const account = keychainAccount(ref);
    if (this.cache.has(account)) return this.cache.get(account);
    const reply = await this.call({ op: 'get', service: KEYCHAIN_SERVICE, account });
    const value = typeof reply.value === 'string' && reply.value !== '' ? reply.value : undefined;
    registerSecret(value);
    this.cache.set(account, value);
    return value;
  }

  async set(ref: SecretRef, value: string): Promise<void> {
    registerSecret(value);
    const account = keychainAccount(ref);
    await this.call({ op: 'set', service: KEYCHAIN_SERVICE, account, value });
    this.cache.set(account, value);
  }

  async delete(ref: SecretRef): Promise<boolean> {
    const account = keychainAccount(ref);
    const reply = await this.call({ op: 'delete', service: KEYCHAIN_SERVICE, account });
    this.cache.set(account, undefined);
    return reply.deleted === true;
  }

  private childEnv(): NodeJS.ProcessEnv {
    // patrol's environment was already cleared of secrets at start-up; the helper needs the rest
    // (HOME, the bus address, on macOS/Windows the user's session variables).
    const env = { ...this.options.env };
    if ((this.options.platform ?? process.platform) === 'linux') {
      const bus = linuxSessionBus(env);
      if ('missing' in bus) throw new SecretStoreUnavailableError(`the OS keychain is unavailable: ${bus.missing}`, FALLBACK_HINT);
      env['DBUS_SESSION_BUS_ADDRESS'] = bus.address;
    }
    return env;
  }

  private call(request: KeychainRequest): Promise<Extract<KeychainReply, { ok: true }>> {
    const env = this.childEnv();
    const debug = this.options.debug ?? (() => undefined);
    debug(`keychain ${request.op} ${request.account}`);
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [HELPER], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let settled = false;
      const finish = (error: Error | undefined, reply?: Extract<KeychainReply, { ok: true }>): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(reply!);
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(
          new SecretStoreUnavailableError(
            `the OS keychain did not answer within ${Math.round(this.timeoutMs / 1000)} s (is it locked or hung?)`,
            `unlock it and retry, or ${FALLBACK_HINT}`,
          ),
        );
      }, this.timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      // The helper's stderr is library noise at best; it is shown (redacted) under --debug only.
      child.stderr.on('data', (chunk: Buffer) => debug(`keychain helper: ${chunk.toString('utf8').trim()}`));
      child.on('error', () => finish(new SecretStoreUnavailableError('cannot start the keychain helper', FALLBACK_HINT)));
      child.on('close', () => {
        let reply: KeychainReply;
        try {
          reply = JSON.parse(out) as KeychainReply;
        } catch {
          finish(new SecretStoreUnavailableError('the keychain helper ended without an answer', FALLBACK_HINT));
          return;
        }
        if (reply.ok) {
          finish(undefined, reply);
          return;
        }
        debug(`keychain ${request.op} failed: ${reply.detail}`);
        finish(failureError(reply.failure));
      });
      child.stdin.end(JSON.stringify(request));
    });
  }
}

function failureError(failure: KeychainFailure): SecretStoreUnavailableError {
  switch (failure) {
    case 'locked':
      return new SecretStoreUnavailableError('the OS keychain is locked and could not be unlocked', `unlock it (e.g. log in to the desktop session) and retry, or ${FALLBACK_HINT}`);
    case 'unavailable':
      return new SecretStoreUnavailableError('the OS keychain is unavailable (its Secret Service could not be used; --debug shows why)', FALLBACK_HINT);
    case 'failed':
      return new SecretStoreUnavailableError('the OS keychain refused the operation (rerun with --debug for its message)', FALLBACK_HINT);
  }
}
