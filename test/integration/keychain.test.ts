// Credentials end to end against a real TLS cluster and a real Secret Service (gnome-keyring on a
// private `dbus-run-session` bus): login/logout/secret list, lookups with no secret in the
// environment, sentinel checks (config files, output with and without --debug, /proc cmdline and
// environ, the editor's environment), locked / hung / absent keychains, the encrypted file store,
// profile rename/remove, import from patroni.yml, team bundles, and the onboarding wizard driven
// on a pseudo-terminal.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import YAML from 'yaml';
import { type ClusterHandle, startCluster } from '../fixtures/cluster.js';
import { type KeyringSession, keyringToolsInstalled, secretTool, startKeyringSession } from '../fixtures/keyring-session.js';
import { PtyPatrol } from '../support/pty.js';
import { runPatrol, tempConfigDir, type PatrolRun } from '../support/run-patrol.js';
import { profileAddArgs } from '../support/cluster-profile.js';

let cluster: ClusterHandle;
let keyring: KeyringSession;

const skip = keyringToolsInstalled() || process.env['CI'] ? false : 'gnome-keyring, dbus and libsecret-tools are not installed (CI installs them)';

function secrets(): string[] {
  return [cluster.restPassword, cluster.etcdPassword, cluster.etcdRootPassword, cluster.pki.keyPassphrase];
}

function assertNoSecret(text: string, where: string): void {
  for (const secret of secrets()) assert.ok(!text.includes(secret), `a secret leaked into ${where}`);
}

/** Every file under a directory, read raw: the config directory must hold no secret at all. */
function assertDirClean(dir: string): void {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    assertNoSecret(readFileSync(file, 'latin1'), file);
  }
}

function withKeyring(configDir: string, extra: Record<string, string> = {}) {
  return { configDir, env: { ...keyring.env, ...extra } };
}

function addArgs(name: string, overrides: Record<string, string> = {}): string[] {
  return profileAddArgs(cluster, name, { overrides, allRestUrls: false, use: false });
}

async function ok(run: Promise<PatrolRun>, what: string): Promise<PatrolRun> {
  const result = await run;
  assert.equal(result.code, 0, `${what} failed: ${result.stderr}`);
  assertNoSecret(result.stdout + result.stderr, `the output of ${what}`);
  return result;
}

async function login(configDir: string, profile: string, kind: string, value: string, extra: Record<string, string> = {}, flags: string[] = []): Promise<PatrolRun> {
  return runPatrol(['-p', profile, 'login', '--secret', kind, '--stdin', ...flags], { ...withKeyring(configDir, extra), input: `${value}\n` });
}

async function keyringHas(account: string): Promise<boolean> {
  const found = await secretTool(['lookup', 'service', 'patrol', 'username', account], keyring.env);
  return found.code === 0 && found.stdout.length > 0;
}

before(async () => {
  if (skip) return;
  keyring = await startKeyringSession();
  cluster = await startCluster({ scope: 'patrol-keys', removeOnStop: true });
});

after(async () => {
  await cluster?.stop();
  await keyring?.stop();
});

describe('keychain: login, lookups, logout', { skip }, () => {
  let dir: string;

  before(async () => {
    dir = tempConfigDir();
    await ok(runPatrol(addArgs('prod'), withKeyring(dir)), 'profile add');
  });

  test('login --stdin checks each password against the cluster and stores it in the Secret Service', async () => {
    const rest = await ok(login(dir, 'prod', 'rest-password', cluster.restPassword), 'login rest');
    assert.match(rest.stderr, /REST password accepted by https:\/\/127\.0\.0\.1/);
    const dcs = await ok(login(dir, 'prod', 'dcs-password', cluster.etcdPassword), 'login dcs');
    assert.match(dcs.stderr, /etcd password accepted/);
    assert.match(dcs.stderr, /in the OS keychain/);
    // libsecret sees the entries: they are in the Secret Service, not the kernel keyring.
    assert.equal(await keyringHas('prod/rest-password'), true);
    assert.equal(await keyringHas('prod/dcs-password'), true);
  });

  test('a wrong password is refused (exit 4) and nothing is stored', async () => {
    const wrong = await login(dir, 'prod', 'dcs-password', 'not-the-etcd-password');
    assert.equal(wrong.code, 4, wrong.stderr);
    assert.match(wrong.stderr, /etcd password was not accepted.*nothing was stored/);
    assert.ok(!wrong.stderr.includes('not-the-etcd-password'));
    const still = await secretTool(['lookup', 'service', 'patrol', 'username', 'prod/dcs-password'], keyring.env);
    assert.equal(still.stdout, cluster.etcdPassword, 'the stored password was replaced by a rejected one');
  });

  test('patrol list works with no secret in any environment variable; the config dir holds none', async () => {
    const list = await ok(runPatrol(['list', '-f', 'json'], withKeyring(dir)), 'list');
    const doc = JSON.parse(list.stdout) as { source: string; members: unknown[] };
    assert.equal(doc.source, 'dcs', 'the etcd password came from the keychain');
    assert.equal(doc.members.length, cluster.members.length);
    const debug = await ok(runPatrol(['list', '--debug'], withKeyring(dir)), 'list --debug');
    assert.match(debug.stderr, /debug: keychain get prod\/dcs-password/);
    assertDirClean(dir);
  });

  test('secret list shows presence, never values', async () => {
    const shown = await ok(runPatrol(['secret', 'list', '-f', 'json'], withKeyring(dir)), 'secret list');
    const doc = JSON.parse(shown.stdout) as { store: string; secrets: Array<{ kind: string; stored: boolean; needed: boolean }> };
    assert.equal(doc.store, 'keychain');
    assert.deepEqual(doc.secrets.map((s) => [s.kind, s.needed, s.stored]), [['rest-password', true, true], ['key-passphrase', false, false], ['dcs-password', true, true]]);
  });

  test('the edit-config editor, patrol\'s cmdline and environ: no secret anywhere', async () => {
    const dump = mkdtempSync(path.join(tmpdir(), 'patrol-editor-'));
    const editor = path.join(dump, 'editor.sh');
    writeFileSync(
      editor,
      [
        '#!/bin/sh',
        'env > "$DUMP_DIR/editor-env"',
        'p=$PPID',
        'while [ "$p" -gt 1 ]; do',
        '  if tr "\\0" " " < /proc/$p/cmdline | grep -q "bin/patrol"; then',
        '    cat /proc/$p/cmdline > "$DUMP_DIR/patrol-cmdline"; cat /proc/$p/environ > "$DUMP_DIR/patrol-environ"; break',
        '  fi',
        '  p=$(cut -d" " -f4 /proc/$p/stat)',
        'done',
        'sed -i "s/^ttl: .*/ttl: 11/" "$1"',
        '',
      ].join('\n'),
      { mode: 0o700 },
    );
    const pty = new PtyPatrol(['edit-config'], { PATH: process.env['PATH']!, HOME: keyring.home, PATROL_CONFIG_DIR: dir, EDITOR: editor, DUMP_DIR: dump, ...keyring.env });
    await pty.expect(/Are you sure/);
    pty.answer('y');
    assert.equal(await pty.exitCode(), 0, pty.screen);
    assert.ok(statSync(path.join(dump, 'patrol-environ')).size > 0, 'the editor found patrol');
    for (const file of ['editor-env', 'patrol-cmdline', 'patrol-environ']) assertNoSecret(readFileSync(path.join(dump, file), 'latin1'), file);
    assertNoSecret(pty.rawOutput, 'the terminal');
    // The change went through with the REST password from the keychain.
    const config = await cluster.restGet(cluster.members[0]!.name, '/config');
    assert.equal((config.body as Record<string, unknown>)['ttl'], 11);
  });

  test('env-supplied secrets are taken out of the environment before the editor starts', async () => {
    const dump = mkdtempSync(path.join(tmpdir(), 'patrol-editor-'));
    const editor = path.join(dump, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nenv > "$DUMP_DIR/editor-env"\n', { mode: 0o700 });
    const pty = new PtyPatrol(['edit-config'], {
      PATH: process.env['PATH']!, HOME: keyring.home, PATROL_CONFIG_DIR: dir, EDITOR: editor, DUMP_DIR: dump,
      PATROL_REST_PASSWORD: cluster.restPassword, PATROL_DCS_PASSWORD: cluster.etcdPassword, PATROL_STORE_PASSPHRASE: 'store-passphrase-sentinel',
    });
    await pty.exitCode();
    const env = readFileSync(path.join(dump, 'editor-env'), 'utf8');
    assertNoSecret(env, "the editor's environment");
    assert.doesNotMatch(env, /PATROL_(REST_PASSWORD|DCS_PASSWORD|STORE_PASSPHRASE)|store-passphrase-sentinel/);
  });

  test('rename moves the secrets; logout deletes them; a missing secret exits 4 naming patrol login', async () => {
    await ok(runPatrol(['profile', 'rename', 'prod', 'blue'], withKeyring(dir)), 'rename');
    assert.equal(await keyringHas('prod/dcs-password'), false);
    assert.equal(await keyringHas('blue/dcs-password'), true);
    await ok(runPatrol(['-p', 'blue', 'list'], withKeyring(dir)), 'list after rename');
    const out = await ok(runPatrol(['-p', 'blue', 'logout'], withKeyring(dir)), 'logout');
    assert.match(out.stderr, /deleted REST password, etcd password/);
    assert.equal(await keyringHas('blue/dcs-password'), false);
    const missing = await runPatrol(['-p', 'blue', 'list'], withKeyring(dir));
    assert.equal(missing.code, 4, missing.stderr);
    assert.match(missing.stderr, /no password for user "patroni" of profile "blue".*patrol login -p blue/);
  });

  test('profile remove deletes the secrets too', async () => {
    await ok(runPatrol(addArgs('gone'), withKeyring(dir)), 'add');
    await ok(login(dir, 'gone', 'dcs-password', cluster.etcdPassword), 'login');
    assert.equal(await keyringHas('gone/dcs-password'), true);
    const removed = await ok(runPatrol(['profile', 'remove', 'gone'], withKeyring(dir)), 'remove');
    assert.match(removed.stderr, /removed with its 1 stored secret/);
    assert.equal(await keyringHas('gone/dcs-password'), false);
  });
});

describe('interactive login and the hidden prompt, on a terminal', { skip }, () => {
  test('login asks for each secret without echo, retries a rejected one; a missing secret is prompted for', async () => {
    const dir = tempConfigDir();
    await ok(runPatrol(addArgs('tty', { '--key': cluster.pki.restClientKeyEncrypted }), withKeyring(dir)), 'profile add');
    const env = { PATH: process.env['PATH']!, PATROL_CONFIG_DIR: dir, ...keyring.env };
    const loginPty = new PtyPatrol(['-p', 'tty', 'login'], env);
    await loginPty.expect(/client key passphrase for profile "tty"/);
    loginPty.answer('not-the-passphrase');
    await loginPty.expect(/not accepted \(it does not decrypt .*\); try again/);
    await loginPty.expect(/client key passphrase for profile "tty"/);
    loginPty.answer(cluster.pki.keyPassphrase);
    await loginPty.expect(/REST API password for profile "tty"/);
    loginPty.answer(cluster.restPassword);
    await loginPty.expect(/REST password accepted/);
    await loginPty.expect(/etcd password for profile "tty"/);
    loginPty.answer(cluster.etcdPassword);
    await loginPty.expect(/stored key passphrase, REST password, etcd password for profile "tty" in the OS keychain/);
    assert.equal(await loginPty.exitCode(), 0, loginPty.screen);
    assertNoSecret(loginPty.rawOutput, 'the login terminal');
    await ok(runPatrol(['-p', 'tty', 'list'], withKeyring(dir)), 'list after interactive login');

    // Not stored, not in the environment, a person at the terminal: a hidden prompt stands in.
    await ok(runPatrol(['-p', 'tty', 'logout'], withKeyring(dir)), 'logout');
    // A DCS read needs only the etcd password: the REST key's passphrase is not asked for.
    const listPty = new PtyPatrol(['-p', 'tty', 'list', '-f', 'json'], env);
    await listPty.expect(/etcd password for profile "tty"/);
    listPty.answer(cluster.etcdPassword);
    assert.equal(await listPty.exitCode(), 0, listPty.screen);
    assert.match(listPty.screen, /"source": "dcs"/);
    assert.doesNotMatch(listPty.screen, /passphrase/);
    assertNoSecret(listPty.rawOutput, 'the list terminal');
  });
});

describe('an unusable keychain fails with one clear line', { skip }, () => {
  let dir: string;
  before(async () => {
    dir = tempConfigDir();
    await ok(runPatrol(addArgs('p'), { configDir: dir }), 'profile add');
  });

  test('no D-Bus (headless): exit 4 naming the file store and the variables; no plaintext file written', async () => {
    const result = await runPatrol(['-p', 'p', 'login', '--secret', 'dcs-password', '--stdin'], { configDir: dir, input: cluster.etcdPassword });
    assert.equal(result.code, 4);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /OS keychain is unavailable: no D-Bus session bus.*; use `--secret-store file`.*PATROL_STORE_PASSPHRASE.*PATROL_DCS_PASSWORD/);
    assertDirClean(dir);
    const list = await runPatrol(['list'], { configDir: dir });
    assert.equal(list.code, 4);
    assert.match(list.stderr, /etcd password of profile "p": the OS keychain is unavailable/);
  });

  test('a locked keyring (no one to unlock it): exit 4, "locked"', async () => {
    // A login keyring made (and left) by an unlocked session, then a session nobody unlocks.
    const first = await startKeyringSession();
    const made = await runPatrol(['-p', 'p', 'login', '--secret', 'dcs-password', '--stdin', '--no-verify'], { configDir: dir, env: first.env, input: 'placeholder' });
    assert.equal(made.code, 0, made.stderr);
    await first.stop({ keepHome: true });
    const locked = await startKeyringSession({ unlock: false, home: first.home });
    try {
      const result = await runPatrol(['-p', 'p', 'login', '--secret', 'dcs-password', '--stdin'], { configDir: dir, env: locked.env, input: cluster.etcdPassword });
      assert.equal(result.code, 4, result.stderr);
      assert.match(result.stderr, /keychain is locked/);
    } finally {
      await locked.stop();
    }
  });

  test('a bus that never answers: the call is cut off by the timeout, exit 4', async () => {
    const socketDir = mkdtempSync(path.join(tmpdir(), 'patrol-deadbus-'));
    const socket = path.join(socketDir, 'bus');
    const silent: Server = createServer((connection) => connection.on('data', () => undefined));
    await new Promise<void>((resolve) => silent.listen(socket, resolve));
    try {
      const result = await runPatrol(['list'], { configDir: dir, env: { DBUS_SESSION_BUS_ADDRESS: `unix:path=${socket}`, PATROL_KEYCHAIN_TIMEOUT: '2' } });
      assert.equal(result.code, 4, result.stderr);
      assert.match(result.stderr, /did not answer within 2 s/);
    } finally {
      silent.close();
    }
  });
});

describe('the encrypted file store on a headless machine', { skip }, () => {
  test('--secret-store file: login, list, 0600 and opaque; a wrong passphrase exits 4', async () => {
    const dir = tempConfigDir();
    const passphrase = 'file-store-passphrase-1';
    await ok(runPatrol(addArgs('h'), { configDir: dir }), 'profile add');
    const stored = await runPatrol(['-p', 'h', '--secret-store', 'file', 'login', '--secret', 'dcs-password', '--stdin'], { configDir: dir, env: { PATROL_STORE_PASSPHRASE: passphrase }, input: cluster.etcdPassword });
    assert.equal(stored.code, 0, stored.stderr);
    const saved = YAML.parse(readFileSync(path.join(dir, 'profiles.yaml'), 'utf8')) as { profiles: Record<string, { secretStore?: string }> };
    assert.equal(saved.profiles['h']?.secretStore, 'file', 'later runs look in the file store');
    const file = path.join(dir, 'secrets.enc');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assertDirClean(dir);
    const list = await ok(runPatrol(['-p', 'h', 'list', '-f', 'json', '--debug'], { configDir: dir, env: { PATROL_STORE_PASSPHRASE: passphrase } }), 'list');
    assert.equal((JSON.parse(list.stdout) as { source: string }).source, 'dcs');
    assert.ok(!list.stderr.includes(passphrase));
    const wrong = await runPatrol(['-p', 'h', 'list'], { configDir: dir, env: { PATROL_STORE_PASSPHRASE: 'another-passphrase' } });
    assert.equal(wrong.code, 4);
    assert.match(wrong.stderr, /wrong passphrase, or the file was modified/);
    chmodSync(file, 0o644);
    const loose = await runPatrol(['-p', 'h', 'list'], { configDir: dir, env: { PATROL_STORE_PASSPHRASE: passphrase } });
    assert.equal(loose.code, 4);
    assert.match(loose.stderr, /readable or writable by other users/);
  });
});

describe('profile import --from patroni.yml, and team bundles', { skip }, () => {
  test('moves the REST and DCS passwords into the keychain, lists them, never touches the file or PostgreSQL passwords', async () => {
    const dir = tempConfigDir();
    const work = mkdtempSync(path.join(tmpdir(), 'patrol-import-'));
    const source = path.join(work, 'patroni.yml');
    const rest = new URL(cluster.restUrls[0]!);
    writeFileSync(
      source,
      YAML.stringify({
        scope: cluster.scope,
        namespace: `${cluster.namespace}/`,
        name: 'pg0',
        restapi: { listen: `0.0.0.0:${rest.port}`, connect_address: `${rest.hostname}:${rest.port}`, certfile: cluster.pki.serverCert, keyfile: cluster.pki.serverKey, cafile: cluster.pki.ca, authentication: { username: cluster.restUser, password: cluster.restPassword } },
        ctl: { certfile: cluster.pki.restClientCert, keyfile: cluster.pki.restClientKey, cacert: cluster.pki.ca, authentication: { username: cluster.restUser, password: cluster.restPassword } },
        etcd3: { hosts: new URL(cluster.etcdUrl).host, protocol: 'https', cacert: cluster.pki.ca, cert: cluster.pki.etcdClientCert, key: cluster.pki.etcdClientKey, username: cluster.etcdUser, password: cluster.etcdPassword },
        postgresql: { authentication: { superuser: { username: 'postgres', password: 'pg-superuser-sentinel-77' }, replication: { username: 'rep', password: 'pg-replication-sentinel-77' } } },
      }),
      { mode: 0o600 },
    );
    const before = createHash('sha256').update(readFileSync(source)).digest('hex');
    const imported = await ok(runPatrol(['profile', 'import', 'imp', '--from', source, '-f', 'json'], withKeyring(dir)), 'import');
    const rows = JSON.parse(imported.stdout) as Array<{ keyPath: string; storedAs: string | null }>;
    assert.deepEqual(
      rows.map((r) => [r.keyPath, r.storedAs]),
      [
        ['ctl.authentication.password', 'rest-password'],
        ['restapi.authentication.password', null],
        ['etcd3.password', 'dcs-password'],
        ['postgresql.authentication.superuser.password', null],
        ['postgresql.authentication.replication.password', null],
      ],
    );
    assert.match(imported.stderr, /recommended: remove ctl\.authentication\.password, etcd3\.password from/);
    assert.equal(createHash('sha256').update(readFileSync(source)).digest('hex'), before, 'the source file was modified');
    assert.equal(await keyringHas('imp/rest-password'), true);
    assert.equal(await keyringHas('imp/dcs-password'), true);
    assertDirClean(dir);
    assert.ok(!readFileSync(path.join(dir, 'profiles.yaml'), 'utf8').includes('pg-superuser-sentinel-77'));
    assert.ok(!(imported.stdout + imported.stderr).includes('pg-superuser-sentinel-77'));
    const list = await ok(runPatrol(['-p', 'imp', 'list', '-f', 'json'], withKeyring(dir)), 'list after import');
    assert.equal((JSON.parse(list.stdout) as { source: string }).source, 'dcs');
  });

  test('export a secret-free bundle; a new operator imports it and completes it with login', async () => {
    const lead = tempConfigDir();
    await ok(runPatrol(addArgs('team'), withKeyring(lead)), 'lead add');
    const exported = await ok(runPatrol(['profile', 'export', 'team'], withKeyring(lead)), 'export');
    assert.doesNotMatch(exported.stdout, /PRIVATE KEY|\.key|rest-client|etcd-client/);
    assert.match(exported.stdout, /BEGIN CERTIFICATE/);
    const bundle = path.join(mkdtempSync(path.join(tmpdir(), 'patrol-bundle-')), 'team.yaml');
    writeFileSync(bundle, exported.stdout);

    const newcomer = tempConfigDir();
    const installed = await ok(runPatrol(['profile', 'import', bundle, '--cert', cluster.pki.restClientCert, '--key', cluster.pki.restClientKey], withKeyring(newcomer)), 'import bundle');
    assert.match(installed.stderr, /patrol login -p team/);
    const shown = await ok(runPatrol(['profile', 'show', 'team', '-f', 'json'], withKeyring(newcomer)), 'show');
    const profile = JSON.parse(shown.stdout) as { rest: { cacert: string; urls: string[] }; dcs: { cacert: string; cert?: string } };
    assert.ok(profile.rest.cacert.startsWith(newcomer), 'the CA was written into the config dir');
    assert.equal(profile.dcs.cert, undefined, 'no client certificate came with the bundle');
    await ok(login(newcomer, 'team', 'rest-password', cluster.restPassword), 'login rest');
    const list = await runPatrol(['-p', 'team', '--source', 'rest', 'list'], withKeyring(newcomer));
    assert.equal(list.code, 0, list.stderr);
  });
});

describe('onboarding wizard on a terminal', { skip }, () => {
  test('without a terminal, missing flags exit 2', async () => {
    const result = await runPatrol(['profile', 'add'], { configDir: tempConfigDir() });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /missing profile name/);
    const noUrl = await runPatrol(['profile', 'add', 'x', '--cluster', 'c'], { configDir: tempConfigDir() });
    assert.equal(noUrl.code, 2);
  });

  test('walks a new operator to a working profile, secrets in the keychain, each member checked', async () => {
    const dir = tempConfigDir();
    await ok(runPatrol(addArgs('existing'), withKeyring(dir)), 'existing profile');
    const looseKey = path.join(mkdtempSync(path.join(tmpdir(), 'patrol-loose-')), 'loose.key');
    writeFileSync(looseKey, readFileSync(cluster.pki.restClientKey), { mode: 0o644 });
    chmodSync(looseKey, 0o644);
    const pty = new PtyPatrol(['profile', 'add'], { PATH: process.env['PATH']!, PATROL_CONFIG_DIR: dir, ...keyring.env });
    const clear = '\x15'; // Ctrl-U: erase a rejected answer before typing the next one

    await pty.expect(/Profile name:/);
    pty.answer('existing');
    await pty.expect(/exists/);
    pty.type(clear);
    pty.answer('wiz');
    await pty.expect(/Cluster name/);
    pty.answer(cluster.scope);
    await pty.expect(/REST API URL/);
    pty.answer('http://127.0.0.1:1');
    await pty.expect(/is not https/);
    pty.type(clear);
    pty.answer(cluster.restUrls.join(' '));
    await pty.expect(/REST CA file/);
    pty.answer(cluster.pki.ca);
    await pty.expect(/CA: .*valid until/);
    await pty.expect(/REST client certificate/);
    pty.answer(cluster.pki.restClientCert);
    await pty.expect(/REST client key/);
    pty.answer(looseKey);
    await pty.expect(/readable by other users/);
    pty.type(clear);
    pty.answer(cluster.pki.etcdClientKey);
    await pty.expect(/not the key of that certificate/);
    pty.type(clear);
    pty.answer(cluster.pki.restClientKeyEncrypted);
    await pty.expect(/client key passphrase for profile "wiz"/);
    pty.answer(cluster.pki.keyPassphrase);
    await pty.expect(/decrypted, matches the certificate/);
    await pty.expect(/REST username/);
    pty.answer(cluster.restUser);
    await pty.expect(/REST API password for profile "wiz"/);
    pty.answer(cluster.restPassword);
    await pty.expect(/Add the DCS/);
    pty.answer('y');
    await pty.expect(/etcd URL/);
    pty.answer(cluster.etcdUrl);
    await pty.expect(/etcd CA file/);
    pty.answer(''); // the REST CA is offered as the default
    await pty.expect(/etcd client certificate/);
    pty.answer(cluster.pki.etcdClientCert);
    await pty.expect(/etcd client key/);
    pty.answer(cluster.pki.etcdClientKey);
    await pty.expect(/etcd username/);
    pty.answer(cluster.etcdUser);
    await pty.expect(/etcd password for profile "wiz"/);
    pty.answer(cluster.etcdPassword);
    await pty.expect(/connection check:/, 60_000);
    for (let i = 0; i < cluster.members.length; i++) await pty.expect(/reachable: yes {2}TLS: ok {2}auth: ok/);
    await pty.expect(/etcd .* auth: ok/);
    await pty.expect(/current profile\?/);
    pty.answer('y');
    assert.equal(await pty.exitCode(), 0, pty.screen);
    assertNoSecret(pty.rawOutput, 'the wizard terminal');

    assertDirClean(dir);
    const saved = YAML.parse(readFileSync(path.join(dir, 'profiles.yaml'), 'utf8')) as { current: string; profiles: Record<string, { rest: { key: string }; dcs: { cacert: string } }> };
    assert.equal(saved.current, 'wiz');
    assert.equal(saved.profiles['wiz']!.rest.key, cluster.pki.restClientKeyEncrypted);
    assert.equal(saved.profiles['wiz']!.dcs.cacert, cluster.pki.ca);
    for (const kind of ['key-passphrase', 'rest-password', 'dcs-password']) assert.equal(await keyringHas(`wiz/${kind}`), true, kind);
    const list = await ok(runPatrol(['list', '-f', 'json'], withKeyring(dir)), 'list with the wizard profile');
    assert.equal((JSON.parse(list.stdout) as { source: string }).source, 'dcs');
  });
});
