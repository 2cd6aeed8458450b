import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../src/errors.js';
import {
  parseProfile,
  validateClusterName,
  validateEndpointUrl,
  validateNamespace,
  validateProfileName,
  type Profile,
  type ProfileFile,
} from '../../src/profiles/schema.js';
import { configDir, FileProfileStore, selectProfile } from '../../src/profiles/store.js';

const isUsage = (pattern?: RegExp) => (e: unknown): boolean => e instanceof UsageError && e.exitCode === 2 && (!pattern || pattern.test(e.message));

describe('validateEndpointUrl', () => {
  const good: Array<[string, string]> = [
    ['https://10.0.0.1:8008', 'https://10.0.0.1:8008'],
    ['https://10.0.0.1:8008/', 'https://10.0.0.1:8008'],
    ['https://PG1.Example.COM:8008', 'https://pg1.example.com:8008'],
    ['https://pg1.example.com:443', 'https://pg1.example.com'],
    ['https://[::1]:2379', 'https://[::1]:2379'],
  ];
  for (const [raw, origin] of good) test(`accepts ${raw} → ${origin}`, () => assert.equal(validateEndpointUrl(raw, 'REST URL'), origin));

  const bad: Array<[string, string, RegExp]> = [
    ['plain http', 'http://10.0.0.1:8008', /is not https/u],
    ['another scheme', 'ftp://10.0.0.1', /is not https/u],
    ['user:password@', 'https://patroni:secret@10.0.0.1:8008', /must not contain credentials/u],
    ['user@ only', 'https://patroni@10.0.0.1:8008', /must not contain credentials/u],
    ['credentials over http', 'http://u:p@10.0.0.1', /must not contain credentials/u],
    ['a path', 'https://10.0.0.1:8008/patroni', /without a path/u],
    ['a query', 'https://10.0.0.1:8008/?x=1', /without a path/u],
    ['a fragment', 'https://10.0.0.1:8008#frag', /without a path/u],
    ['not a URL', '10.0.0.1:8008', /not a URL|is not https/u],
    ['empty', '', /not a URL/u],
  ];
  for (const [label, raw, pattern] of bad) {
    test(`refuses ${label}`, () => assert.throws(() => validateEndpointUrl(raw, 'REST URL'), isUsage(pattern)));
  }

  test('credential errors never echo the password', () => {
    try {
      validateEndpointUrl('https://patroni:hunter2@10.0.0.1:8008', 'REST URL');
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof UsageError);
      assert.ok(!`${e.message} ${e.hint}`.includes('hunter2'));
    }
  });
});

describe('validateNamespace, validateClusterName, validateProfileName', () => {
  const namespaces: Array<[string, string]> = [
    ['/service', '/service'],
    ['service', '/service'],
    ['/service/', '/service'],
    ['//a/b//', '/a/b'],
    ['/my.ns_1-x', '/my.ns_1-x'],
  ];
  for (const [raw, normalized] of namespaces) test(`namespace ${raw} → ${normalized}`, () => assert.equal(validateNamespace(raw), normalized));
  for (const bad of ['', '/', 'a//b', 'a b', 'a/*', '/ser\nvice']) {
    test(`namespace ${JSON.stringify(bad)} refused`, () => assert.throws(() => validateNamespace(bad), isUsage()));
  }

  test('cluster names', () => {
    assert.equal(validateClusterName('demo-1.x_y'), 'demo-1.x_y');
    for (const bad of ['', 'a/b', 'a b', '../x']) assert.throws(() => validateClusterName(bad), isUsage(), bad);
  });

  test('profile names', () => {
    assert.equal(validateProfileName('prod.eu-1_a'), 'prod.eu-1_a');
    assert.equal(validateProfileName('a'.repeat(64)), 'a'.repeat(64));
    for (const bad of ['', '-x', '.hidden', 'a'.repeat(65), 'a/b', 'a b']) assert.throws(() => validateProfileName(bad), isUsage(), bad);
  });
});

describe('parseProfile', () => {
  test('a full profile', () => {
    const p = parseProfile('prod', {
      cluster: 'demo',
      namespace: 'service/',
      rest: { urls: ['https://10.0.0.1:8008/'], cacert: '/etc/ca.pem', cert: '/c.pem', key: '/k.pem', username: 'patroni', allowedHosts: ['10.0.0.9'] },
      dcs: { type: 'etcd3', urls: ['https://10.0.0.1:2379'], username: 'root', cacert: '/etc/etcd-ca.pem' },
    });
    assert.deepEqual(p, {
      cluster: 'demo',
      namespace: '/service',
      rest: { urls: ['https://10.0.0.1:8008'], cacert: '/etc/ca.pem', cert: '/c.pem', key: '/k.pem', username: 'patroni', allowedHosts: ['10.0.0.9'] },
      dcs: { type: 'etcd3', urls: ['https://10.0.0.1:2379'], cacert: '/etc/etcd-ca.pem', username: 'root' },
    });
  });

  test('a minimal profile gets the default namespace and no optional keys', () => {
    const p = parseProfile('min', { cluster: 'demo', rest: { urls: ['https://h:8008'] }, dcs: null });
    assert.deepEqual(p, { cluster: 'demo', namespace: '/service', rest: { urls: ['https://h:8008'] } });
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['not a mapping', 'demo', /is not a mapping/u],
    ['null', null, /is not a mapping/u],
    ['no rest section', { cluster: 'demo' }, /has no rest section/u],
    ['rest.urls missing', { cluster: 'demo', rest: {} }, /rest\.urls must be a list/u],
    ['rest.urls not strings', { cluster: 'demo', rest: { urls: [1] } }, /rest\.urls must be a list/u],
    ['rest.urls empty', { cluster: 'demo', rest: { urls: [] } }, /has no REST URL/u],
    ['rest URL http', { cluster: 'demo', rest: { urls: ['http://h:8008'] } }, /is not https/u],
    ['no cluster', { rest: { urls: ['https://h:8008'] } }, /invalid cluster name/u],
    ['bad namespace', { cluster: 'demo', namespace: 'a b', rest: { urls: ['https://h:8008'] } }, /invalid namespace/u],
    ['empty username', { cluster: 'demo', rest: { urls: ['https://h:8008'], username: '' } }, /rest\.username must be a non-empty string/u],
    ['cacert not a string', { cluster: 'demo', rest: { urls: ['https://h:8008'], cacert: 5 } }, /rest\.cacert/u],
    ['allowedHosts not a list', { cluster: 'demo', rest: { urls: ['https://h:8008'], allowedHosts: 'h' } }, /rest\.allowedHosts/u],
    ['unsupported dcs type', { cluster: 'demo', rest: { urls: ['https://h:8008'] }, dcs: { type: 'consul', urls: ['https://h:8500'] } }, /unsupported DCS type/u],
    ['dcs without urls', { cluster: 'demo', rest: { urls: ['https://h:8008'] }, dcs: { type: 'etcd3', urls: [] } }, /without URLs/u],
    ['dcs URL with credentials', { cluster: 'demo', rest: { urls: ['https://h:8008'] }, dcs: { type: 'etcd3', urls: ['https://r:p@h:2379'] } }, /credentials/u],
  ];
  for (const [label, raw, pattern] of bad) test(`refuses ${label}`, () => assert.throws(() => parseProfile('p', raw), isUsage(pattern)));
});

const profile = (cluster: string): Profile => ({ cluster, namespace: '/service', rest: { urls: [`https://${cluster}.example:8008`] } });

describe('selectProfile', () => {
  const two: ProfileFile = { current: 'b', profiles: { a: profile('ca'), b: profile('cb') } };

  test('explicit name wins over current', () => {
    assert.deepEqual(selectProfile(two, 'a'), { name: 'a', profile: profile('ca') });
  });
  test('current when nothing is requested', () => {
    assert.equal(selectProfile(two, undefined).name, 'b');
  });
  test('the only profile when there is no current', () => {
    assert.equal(selectProfile({ profiles: { solo: profile('s') } }, undefined).name, 'solo');
  });
  test('several profiles, none current → UsageError listing them', () => {
    assert.throws(
      () => selectProfile({ profiles: { a: profile('ca'), b: profile('cb') } }, undefined),
      (e: unknown) => e instanceof UsageError && e.message === 'no profile selected' && /--profile NAME/u.test(e.hint ?? '') && /a, b/u.test(e.hint ?? ''),
    );
  });
  test('no profiles at all → UsageError with a hint to create one', () => {
    assert.throws(
      () => selectProfile({ profiles: {} }, undefined),
      (e: unknown) => e instanceof UsageError && e.message === 'no profile configured' && /patrol profile add/u.test(e.hint ?? ''),
    );
  });
  test('unknown requested profile → UsageError naming the known ones', () => {
    assert.throws(() => selectProfile(two, 'zzz'), (e: unknown) => e instanceof UsageError && /unknown profile "zzz"/u.test(e.message) && /a, b/u.test(e.hint ?? ''));
  });
  test('a dangling current profile is reported, not silently replaced', () => {
    assert.throws(() => selectProfile({ current: 'gone', profiles: { a: profile('ca') } }, undefined), isUsage(/unknown profile "gone"/u));
  });
});

describe('configDir', () => {
  test('PATROL_CONFIG_DIR, then XDG_CONFIG_HOME/patrol, then HOME/.config/patrol', () => {
    assert.equal(configDir({ PATROL_CONFIG_DIR: '/x/y', XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' }), '/x/y');
    assert.equal(configDir({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' }), '/xdg/patrol');
    assert.equal(configDir({ HOME: '/home/u' }), '/home/u/.config/patrol');
  });
});

describe('FileProfileStore', () => {
  const withDir = async (fn: (dir: string) => Promise<void>): Promise<void> => {
    const base = await mkdtemp(path.join(tmpdir(), 'patrol-unit-'));
    try {
      await fn(base);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  };

  test('load of a missing file is an empty profile set', async () => {
    await withDir(async (base) => {
      assert.deepEqual(await new FileProfileStore(path.join(base, 'nope')).load(), { profiles: {} });
    });
  });

  test('save/load round trip; file 0600, dir 0700, no temp file left behind', async () => {
    await withDir(async (base) => {
      const dir = path.join(base, 'cfg', 'patrol');
      const store = new FileProfileStore(dir);
      assert.equal(store.file, path.join(dir, 'profiles.yaml'));
      const data: ProfileFile = {
        current: 'prod',
        profiles: {
          prod: { cluster: 'demo', namespace: '/service', rest: { urls: ['https://10.0.0.1:8008'], username: 'patroni', allowedHosts: ['10.0.0.9'] }, dcs: { type: 'etcd3', urls: ['https://10.0.0.1:2379'] } },
          dev: profile('dev'),
        },
      };
      await store.save(data);
      assert.deepEqual(await store.load(), data);
      assert.equal((await stat(store.file)).mode & 0o777, 0o600);
      assert.equal((await stat(dir)).mode & 0o777, 0o700);
      assert.deepEqual(await readdir(dir), ['profiles.yaml']);

      // Overwrite keeps the modes and replaces the content.
      await store.save({ profiles: { dev: profile('dev') } });
      assert.deepEqual(await store.load(), { profiles: { dev: profile('dev') } });
      assert.equal((await stat(store.file)).mode & 0o777, 0o600);
      assert.deepEqual(await readdir(dir), ['profiles.yaml']);
    });
  });

  test('an existing, too-open directory is tightened to 0700 on save', async () => {
    await withDir(async (base) => {
      const dir = path.join(base, 'open');
      await mkdir(dir, { mode: 0o755 });
      await new FileProfileStore(dir).save({ profiles: {} });
      assert.equal((await stat(dir)).mode & 0o777, 0o700);
    });
  });

  test('the saved file holds no secret-looking keys, only what was given', async () => {
    await withDir(async (base) => {
      const store = new FileProfileStore(base);
      await store.save({ profiles: { p: profile('c') } });
      const text = await readFile(store.file, 'utf8');
      assert.doesNotMatch(text, /password|passphrase|token/iu);
    });
  });

  const broken: Array<[string, string, RegExp]> = [
    ['invalid YAML', 'profiles: [unclosed', /not valid YAML/u],
    ['a scalar document', '42', /not a mapping/u],
    ['a bad profile inside', 'profiles:\n  p:\n    cluster: demo\n    rest:\n      urls: ["http://h:8008"]\n', /is not https/u],
  ];
  for (const [label, text, pattern] of broken) {
    test(`load refuses ${label}`, async () => {
      await withDir(async (base) => {
        await writeFile(path.join(base, 'profiles.yaml'), text, { mode: 0o600 }); // patrol refuses a profile file others can read
        await assert.rejects(new FileProfileStore(base).load(), isUsage(pattern));
      });
    });
  }

  test('an empty file loads as no profiles', async () => {
    await withDir(async (base) => {
      await writeFile(path.join(base, 'profiles.yaml'), '', { mode: 0o600 });
      assert.deepEqual(await new FileProfileStore(base).load(), { profiles: {} });
    });
  });
});
