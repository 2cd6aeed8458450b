// The encrypted file store: round trip, opacity, permissions, umask, and every way a file can be
// wrong (passphrase, any flipped byte, tampered cost, mode, owner).

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import {
  COST_BOUNDS,
  deriveKey,
  FileSecretStore,
  open,
  parseHeader,
  SecretFileError,
  STORE_FILE_NAME,
  validateCost,
} from '../../src/secrets/file-store.js';
import { SecretStoreUnavailableError } from '../../src/secrets/store.js';
import { takeStorePassphrase } from '../../src/secrets/stores.js';
import { UsageError } from '../../src/errors.js';

const SENTINEL = 'sentinel-file-store-9c1f2e';
const PASSPHRASE = 'correct horse battery';
// The lowest cost the bounds allow: the same code path as the default, a quarter of the work.
const TEST_COST = { log2N: 14, r: 8, p: 1 };

function fixedPassphrase(value: string | undefined, calls = { count: 0 }) {
  return { passphrase: async () => (calls.count++, value) };
}

/** `passphrase: null` stands for "no passphrase available" (no env variable, no terminal). */
function newStore(options: { passphrase?: string | null } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'patrol-fs-'));
  const calls = { count: 0 };
  const passphrase = options.passphrase === null ? undefined : (options.passphrase ?? PASSPHRASE);
  const store = new FileSecretStore({ dir: path.join(dir, 'cfg'), passphrase: fixedPassphrase(passphrase, calls), cost: TEST_COST });
  return { store, dir: path.join(dir, 'cfg'), calls };
}

async function populated(): Promise<{ dir: string; file: string; bytes: Buffer }> {
  const { store, dir } = newStore();
  await store.set({ profile: 'prod', kind: 'rest-password' }, SENTINEL);
  const file = path.join(dir, STORE_FILE_NAME);
  return { dir, file, bytes: readFileSync(file) };
}

function reopen(dir: string, passphrase = PASSPHRASE, extra: { uid?: number } = {}) {
  const calls = { count: 0 };
  return { store: new FileSecretStore({ dir, passphrase: fixedPassphrase(passphrase, calls), ...extra }), calls };
}

describe('file store: round trip', () => {
  test('set, get from a fresh instance, delete', async () => {
    const { dir } = await populated();
    const { store } = reopen(dir);
    assert.equal(await store.get({ profile: 'prod', kind: 'rest-password' }), SENTINEL);
    assert.equal(await store.get({ profile: 'prod', kind: 'dcs-password' }), undefined);
    assert.equal(await store.get({ profile: 'other', kind: 'rest-password' }), undefined);
    assert.equal(await store.delete({ profile: 'prod', kind: 'rest-password' }), true);
    assert.equal(await store.delete({ profile: 'prod', kind: 'rest-password' }), false);
    assert.equal(await reopen(dir).store.get({ profile: 'prod', kind: 'rest-password' }), undefined);
  });

  test('the file is opaque, 0600, in a 0700 directory, with no temp file left behind', async () => {
    const { dir, file, bytes } = await populated();
    assert.ok(!bytes.includes(Buffer.from(SENTINEL)), 'secret in plaintext');
    assert.ok(!bytes.includes(Buffer.from('prod')), 'profile name in plaintext');
    assert.ok(!bytes.includes(Buffer.from(PASSPHRASE)));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(dir), [STORE_FILE_NAME]);
  });

  test('every write uses a fresh nonce', async () => {
    const { store, dir } = newStore();
    await store.set({ profile: 'p', kind: 'rest-password' }, SENTINEL);
    const first = readFileSync(path.join(dir, STORE_FILE_NAME));
    await store.set({ profile: 'p', kind: 'rest-password' }, SENTINEL);
    const second = readFileSync(path.join(dir, STORE_FILE_NAME));
    assert.notDeepEqual(first.subarray(28, 40), second.subarray(28, 40));
    assert.notDeepEqual(first, second);
  });

  test('umask 000 still gives 0600 and 0700', async () => {
    const previous = process.umask(0);
    try {
      const { store, dir } = newStore();
      await store.set({ profile: 'p', kind: 'dcs-password' }, SENTINEL);
      assert.equal(statSync(path.join(dir, STORE_FILE_NAME)).mode & 0o777, 0o600);
      assert.equal(statSync(dir).mode & 0o777, 0o700);
    } finally {
      process.umask(previous);
    }
  });

  test('no file: get answers "not stored" without asking for a passphrase', async () => {
    const { store, calls } = newStore({ passphrase: null });
    assert.equal(await store.get({ profile: 'p', kind: 'rest-password' }), undefined);
    assert.equal(await store.delete({ profile: 'p', kind: 'rest-password' }), false);
    assert.equal(calls.count, 0);
  });

  test('writing without any passphrase source is refused with the variable to set', async () => {
    const { store } = newStore({ passphrase: null });
    await assert.rejects(store.set({ profile: 'p', kind: 'rest-password' }, SENTINEL), (error: unknown) => {
      assert.ok(error instanceof SecretStoreUnavailableError);
      assert.equal(error.exitCode, 4);
      assert.match(error.hint ?? '', /PATROL_STORE_PASSPHRASE/);
      return true;
    });
  });

  test('a new store refuses a short passphrase', async () => {
    const { store } = newStore({ passphrase: 'short' });
    await assert.rejects(store.set({ profile: 'p', kind: 'rest-password' }, SENTINEL), UsageError);
  });
});

describe('file store: refuses a wrong or damaged file', () => {
  test('wrong passphrase: exit 4, and neither passphrase nor secret in the message', async () => {
    const { dir } = await populated();
    await assert.rejects(reopen(dir, 'not the passphrase').store.get({ profile: 'prod', kind: 'rest-password' }), (error: unknown) => {
      assert.ok(error instanceof SecretFileError);
      assert.equal(error.exitCode, 4);
      assert.match(error.message, /wrong passphrase, or the file was modified/);
      assert.ok(!`${error.message}${error.hint}`.includes('not the passphrase') && !error.message.includes(SENTINEL));
      return true;
    });
  });

  test('a flipped bit in any byte of the file makes it fail to open', async () => {
    const { bytes } = await populated();
    const header = parseHeader(bytes, 'f');
    const key = await deriveKey(PASSPHRASE, header.salt, header.cost);
    assert.equal(open(bytes, key, 'f')['prod']?.['rest-password'], SENTINEL);
    for (let i = 0; i < bytes.length; i++) {
      const damaged = Buffer.from(bytes);
      damaged[i] = damaged[i]! ^ 0x01;
      assert.throws(() => open(damaged, key, 'f'), SecretFileError, `byte ${i} flipped but the file still opened`);
    }
  });

  test('a flipped byte in a stored file, end to end through the store', async () => {
    const { dir, file, bytes } = await populated();
    for (const at of [0, 9, 20, 30, bytes.length - 20, bytes.length - 1]) {
      const damaged = Buffer.from(bytes);
      damaged[at] = damaged[at]! ^ 0x80;
      writeFileSync(file, damaged, { mode: 0o600 });
      await assert.rejects(reopen(dir).store.get({ profile: 'prod', kind: 'rest-password' }), SecretFileError, `offset ${at}`);
    }
  });

  test('an absurd cost in the header is rejected before any key derivation or prompt', async () => {
    const { dir, file, bytes } = await populated();
    for (const [offset, value] of [[9, 40], [9, 63], [10, 255], [11, 200], [9, 5]] as const) {
      const tampered = Buffer.from(bytes);
      tampered[offset] = value;
      writeFileSync(file, tampered, { mode: 0o600 });
      const { store, calls } = reopen(dir);
      await assert.rejects(store.get({ profile: 'prod', kind: 'rest-password' }), (error: unknown) => {
        assert.ok(error instanceof SecretFileError);
        assert.match(error.message, /out of bounds/);
        return true;
      });
      assert.equal(calls.count, 0, 'the passphrase was asked for before the header was checked');
    }
  });

  test('a plausible but changed cost derives another key: the open fails', async () => {
    const { dir, file, bytes } = await populated();
    const tampered = Buffer.from(bytes);
    tampered[9] = TEST_COST.log2N + 1;
    writeFileSync(file, tampered, { mode: 0o600 });
    await assert.rejects(reopen(dir).store.get({ profile: 'prod', kind: 'rest-password' }), /wrong passphrase, or the file was modified/);
  });

  test('the cost bounds themselves', () => {
    assert.doesNotThrow(() => validateCost({ log2N: 15, r: 8, p: 1 }));
    assert.throws(() => validateCost({ log2N: COST_BOUNDS.log2N[1] + 1, r: 8, p: 1 }), SecretFileError);
    assert.throws(() => validateCost({ log2N: 13, r: 8, p: 1 }), SecretFileError);
    assert.throws(() => validateCost({ log2N: 20, r: 16, p: 1 }), SecretFileError, 'memory bound');
    assert.throws(() => validateCost({ log2N: 15, r: 8, p: 9 }), SecretFileError);
  });

  test('not a store at all, or truncated', async () => {
    const { dir, file, bytes } = await populated();
    for (const content of [Buffer.from('hello'), bytes.subarray(0, 30), Buffer.from(`NOTPATRL${bytes.subarray(8).toString('binary')}`, 'binary')]) {
      writeFileSync(file, content, { mode: 0o600 });
      await assert.rejects(reopen(dir).store.get({ profile: 'prod', kind: 'rest-password' }), /not a patrol secret store/);
    }
  });

  test('group- or world-accessible files are refused', async () => {
    const { dir, file } = await populated();
    for (const mode of [0o640, 0o604, 0o660, 0o666]) {
      chmodSync(file, mode);
      await assert.rejects(reopen(dir).store.get({ profile: 'prod', kind: 'rest-password' }), (error: unknown) => {
        assert.ok(error instanceof SecretFileError);
        assert.match(error.message, /readable or writable by other users/);
        assert.match(error.hint ?? '', /chmod 600/);
        return true;
      });
    }
    chmodSync(file, 0o600);
    assert.equal(await reopen(dir).store.get({ profile: 'prod', kind: 'rest-password' }), SENTINEL);
  });

  test("a file owned by another user is refused", async () => {
    const { dir } = await populated();
    const me = process.getuid?.() ?? 0;
    await assert.rejects(reopen(dir, PASSPHRASE, { uid: me + 4242 }).store.get({ profile: 'prod', kind: 'rest-password' }), /owned by another user/);
  });
});

describe('PATROL_STORE_PASSPHRASE', () => {
  test('is taken out of the environment when read', () => {
    const env: NodeJS.ProcessEnv = { PATROL_STORE_PASSPHRASE: 'from-the-env-123', OTHER: 'x' };
    assert.equal(takeStorePassphrase(env), 'from-the-env-123');
    assert.equal(env['PATROL_STORE_PASSPHRASE'], undefined);
    assert.equal(env['OTHER'], 'x');
    assert.equal(takeStorePassphrase({ PATROL_STORE_PASSPHRASE: '' }), undefined);
  });
});
