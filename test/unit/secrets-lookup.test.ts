// Secret lookup order, store selection, keychain pre-checks and the argv rules that go with them.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { refuseSecretsInArgv } from '../../src/cli.js';
import { UsageError } from '../../src/errors.js';
import type { Profile } from '../../src/profiles/schema.js';
import { classifyKeychainError, KeychainStore, keychainAccount, linuxSessionBus } from '../../src/secrets/keychain.js';
import { neededSecrets } from '../../src/secrets/needs.js';
import { EnvSecretSource, howToSupply, type SecretRef, type SecretStore, SecretStoreUnavailableError } from '../../src/secrets/store.js';
import { chooseStoreKind, explicitStoreChoice, SecretLookup } from '../../src/secrets/stores.js';
import { secretStoreFlag } from '../../src/secrets/wiring.js';
import { secretFromStdin } from '../../src/commands/login.js';

const ref: SecretRef = { profile: 'prod', kind: 'rest-password' };

function memoryStore(values: Record<string, string> = {}, failure?: Error): SecretStore & { reads: number } {
  return {
    kind: 'keychain',
    description: 'test store',
    reads: 0,
    async get(r) {
      this.reads++;
      if (failure) throw failure;
      return values[`${r.profile}/${r.kind}`];
    },
    async set() {},
    async delete() {
      return false;
    },
  };
}

function lookup(options: { env?: NodeJS.ProcessEnv; store?: SecretStore; prompt?: (m: string) => Promise<string>; warnings?: string[] }) {
  const prompts: string[] = [];
  const source = new SecretLookup({
    env: new EnvSecretSource(options.env ?? {}),
    storeFor: async () => options.store ?? memoryStore(),
    prompt: options.prompt
      ? async (message) => {
          prompts.push(message);
          return options.prompt!(message);
        }
      : undefined,
    warn: (line) => options.warnings?.push(line),
  });
  return { source, prompts };
}

describe('lookup order: environment → store → prompt → not found', () => {
  test('the environment wins and the store is not even read', async () => {
    const store = memoryStore({ 'prod/rest-password': 'from-store' });
    const { source } = lookup({ env: { PATROL_REST_PASSWORD: 'from-env-1' }, store });
    assert.equal(await source.get(ref), 'from-env-1');
    assert.equal(store.reads, 0);
  });

  test('then the store, without a prompt', async () => {
    const { source, prompts } = lookup({ store: memoryStore({ 'prod/rest-password': 'from-store' }), prompt: async () => 'typed' });
    assert.equal(await source.get(ref), 'from-store');
    assert.deepEqual(prompts, []);
  });

  test('then a prompt (terminal only), asked once per run', async () => {
    const { source, prompts } = lookup({ prompt: async () => 'typed-secret' });
    assert.equal(await source.get(ref), 'typed-secret');
    assert.equal(await source.get(ref), 'typed-secret');
    assert.equal(prompts.length, 1);
    assert.match(prompts[0]!, /REST API password for profile "prod"/);
  });

  test('no terminal: not found, and the session names `patrol login`', async () => {
    const { source } = lookup({});
    assert.equal(await source.get(ref), undefined);
    assert.match(howToSupply('rest-password', 'prod'), /patrol login -p prod.*PATROL_REST_PASSWORD/);
  });

  test('an unusable store without a terminal: one error naming the file store and the variables', async () => {
    const failure = new SecretStoreUnavailableError('the OS keychain is unavailable: no D-Bus session bus', 'use `--secret-store file` … PATROL_REST_PASSWORD');
    const { source } = lookup({ store: memoryStore({}, failure) });
    await assert.rejects(source.get(ref), (error: unknown) => {
      assert.ok(error instanceof SecretStoreUnavailableError);
      assert.equal(error.exitCode, 4);
      assert.match(error.message, /REST API password of profile "prod".*keychain is unavailable/);
      assert.match(error.hint ?? '', /--secret-store file/);
      return true;
    });
  });

  test('an unusable store on a terminal: a warning, then the prompt', async () => {
    const warnings: string[] = [];
    const failure = new SecretStoreUnavailableError('the OS keychain is locked and could not be unlocked', 'unlock it');
    const { source, prompts } = lookup({ store: memoryStore({}, failure), prompt: async () => 'typed', warnings });
    assert.equal(await source.get(ref), 'typed');
    assert.equal(prompts.length, 1);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /locked/);
  });

  test('other store errors are not swallowed', async () => {
    const { source } = lookup({ store: memoryStore({}, new UsageError('boom')), prompt: async () => 'typed' });
    await assert.rejects(source.get(ref), /boom/);
  });

  test('inEnvironment reports presence without prompting', async () => {
    const { source, prompts } = lookup({ env: { PATROL_DCS_PASSWORD: 'dcs-from-env' }, prompt: async () => 'typed' });
    assert.equal(await source.inEnvironment({ profile: 'p', kind: 'dcs-password' }), true);
    assert.equal(await source.inEnvironment({ profile: 'p', kind: 'rest-password' }), false);
    assert.deepEqual(prompts, []);
  });
});

describe('store selection', () => {
  test('--secret-store beats PATROL_SECRET_STORE beats the profile beats the keychain default', () => {
    assert.equal(explicitStoreChoice('file', { PATROL_SECRET_STORE: 'keychain' }), 'file');
    assert.equal(explicitStoreChoice(undefined, { PATROL_SECRET_STORE: 'file' }), 'file');
    assert.equal(explicitStoreChoice(undefined, {}), undefined);
    assert.equal(chooseStoreKind('keychain', { secretStore: 'file' }), 'keychain');
    assert.equal(chooseStoreKind(undefined, { secretStore: 'file' }), 'file');
    assert.equal(chooseStoreKind(undefined, {}), 'keychain');
    assert.equal(chooseStoreKind(undefined, undefined), 'keychain');
  });

  test('an unknown store name is a usage error', () => {
    assert.throws(() => explicitStoreChoice('plaintext', {}), UsageError);
    assert.throws(() => explicitStoreChoice(undefined, { PATROL_SECRET_STORE: 'disk' }), /PATROL_SECRET_STORE/);
  });

  test('--secret-store is read from argv before the parser runs', () => {
    assert.equal(secretStoreFlag(['list', '--secret-store', 'file']), 'file');
    assert.equal(secretStoreFlag(['--secret-store=keychain', 'login']), 'keychain');
    assert.equal(secretStoreFlag(['list']), undefined);
    assert.equal(secretStoreFlag(['list', '--', '--secret-store', 'file']), undefined);
  });
});

describe('keychain', () => {
  test('entries are filed per profile and kind', () => {
    assert.equal(keychainAccount({ profile: 'prod', kind: 'dcs-password' }), 'prod/dcs-password');
  });

  test('no session bus: refused before the library is touched, naming the file store', async () => {
    assert.deepEqual(linuxSessionBus({}), { missing: 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)' });
    assert.deepEqual(linuxSessionBus({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }), { address: 'unix:path=/x' });
    const store = new KeychainStore({ env: { XDG_RUNTIME_DIR: mkdtempSync(path.join(tmpdir(), 'patrol-run-')) }, platform: 'linux' });
    await assert.rejects(store.get(ref), (error: unknown) => {
      assert.ok(error instanceof SecretStoreUnavailableError);
      assert.match(error.message, /no D-Bus session bus/);
      assert.match(error.hint ?? '', /--secret-store file.*PATROL_STORE_PASSPHRASE.*PATROL_REST_PASSWORD/);
      return true;
    });
  });

  test("the library's failures are sorted into what the operator can do", () => {
    assert.equal(classifyKeychainError("Couldn't access platform storage: Secret Service: unlock prompt was dismissed"), 'locked');
    assert.equal(classifyKeychainError('Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled'), 'unavailable');
    assert.equal(classifyKeychainError('The specified item could not be found'), 'failed');
  });
});

describe('secrets on the command line', () => {
  test('`--secret KIND` names a secret and is allowed; a value after --secret is refused', () => {
    assert.doesNotThrow(() => refuseSecretsInArgv(['login', '--secret', 'rest-password', '--stdin']));
    assert.doesNotThrow(() => refuseSecretsInArgv(['login', '--secret=dcs-password', '--stdin']));
    assert.throws(() => refuseSecretsInArgv(['login', '--secret', 'hunter2hunter2']), /does not accept secrets/);
    assert.throws(() => refuseSecretsInArgv(['login', '--secret=hunter2hunter2']), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.ok(!error.message.includes('hunter2'));
      return true;
    });
    assert.throws(() => refuseSecretsInArgv(['login', '--password', 'x']), UsageError);
  });

  test('stdin loses one trailing newline only', () => {
    assert.equal(secretFromStdin('s3cret\n'), 's3cret');
    assert.equal(secretFromStdin('s3cret\r\n'), 's3cret');
    assert.equal(secretFromStdin('s3cret \n\n'), 's3cret \n');
  });
});

describe('which secrets a profile needs', () => {
  const encryptedKey = path.join(mkdtempSync(path.join(tmpdir(), 'patrol-key-')), 'k.pem');
  writeFileSync(encryptedKey, '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n');
  const base: Profile = { cluster: 'c', namespace: '/service', rest: { urls: ['https://a:8008'] } };

  test('nothing for a read-only profile with a plain key', () => {
    assert.deepEqual(neededSecrets(base), []);
  });

  test('the key passphrase first, then the passwords of named users', () => {
    const profile: Profile = { ...base, rest: { ...base.rest, cert: '/c', key: encryptedKey, username: 'admin' }, dcs: { type: 'etcd3', urls: ['https://e:2379'], username: 'patroni' } };
    assert.deepEqual(neededSecrets(profile).map((n) => n.kind), ['key-passphrase', 'rest-password', 'dcs-password']);
  });
});
