/**
 * `npm run bench`: patrol against patronictl and against the floor — the least any Node.js
 * program can do for the same answer — on one real TLS cluster, in one run.
 *
 *   npm run bench [-- --json] [-- --rounds N] [-- --watch-seconds S]
 *
 * It builds (npm run bench runs the build first), starts its own cluster with the test harness
 * (removed at the end), writes 50 more clusters of 3 members into the same etcd, then times every
 * command: one warm-up run each, then N rounds in which the programs take turns, so drift in the
 * machine's load hits all of them alike. Each run is a fresh process measured by
 * test/bench/spawn-meter.py (wall time, and peak RSS and CPU time from wait4). Medians are
 * reported, with the ratios the issue sets targets for. A benchmark, not a test: it asserts
 * nothing and its timings appear in no test.
 */
import { spawn } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { type ClusterHandle, startCluster } from '../fixtures/cluster.js';
import { REPO_ROOT } from '../support/run-patrol.js';

const SEEDED_CLUSTERS = 50;
const PYTHON = '/usr/bin/python3';
const PATRONICTL = '/usr/bin/patronictl';

interface Options {
  json: boolean;
  rounds: number;
  watchSeconds: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { json: false, rounds: 7, watchSeconds: 20 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') options.json = true;
    else if (arg === '--rounds') options.rounds = Math.max(1, Number(argv[++i]));
    else if (arg === '--watch-seconds') options.watchSeconds = Math.max(5, Number(argv[++i]));
    else throw new Error(`unknown option ${arg} (use --json, --rounds N, --watch-seconds S)`);
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// The meter: a small Python process that forks, execs and wait4()s one command per request.
// ---------------------------------------------------------------------------------------------

interface Measurement {
  wall: number;
  maxrss_kb: number;
  utime: number;
  stime: number;
  code: number;
  timed_out: boolean;
}

interface MeterRequest {
  argv: string[];
  env: Record<string, string>;
  stdout?: string;
  interrupt_after?: number;
  timeout?: number;
}

class Meter {
  private readonly child = spawn(PYTHON, [path.join(REPO_ROOT, 'test', 'bench', 'spawn-meter.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  private readonly replies = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();

  async run(req: MeterRequest): Promise<Measurement> {
    this.child.stdin.write(`${JSON.stringify({ cwd: REPO_ROOT, ...req })}\n`);
    const next = await this.replies.next();
    if (next.done) throw new Error('the meter process ended');
    return JSON.parse(next.value) as Measurement;
  }

  close(): void {
    this.child.stdin.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Set-up: a private copy of the client keys (patrol refuses keys others could read), a profile,
// and 50 extra clusters in etcd.
// ---------------------------------------------------------------------------------------------

interface Setup {
  work: string;
  /** patrol as installed: bin/, dist/bundle/, package.json (see installSnapshot). */
  patrolBin: string;
  pki: { ca: string; restCert: string; restKey: string; etcdCert: string; etcdKey: string };
  patrolEnv: Record<string, string>;
  ctlEnv: Record<string, string>;
  seeded: string[];
}

async function prepare(cluster: ClusterHandle): Promise<Setup> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'patrol-bench-'));
  const keys = path.join(work, 'pki');
  await mkdir(keys, { mode: 0o700 });
  const pki = {
    ca: path.join(keys, 'ca.crt'),
    restCert: path.join(keys, 'rest-client.crt'),
    restKey: path.join(keys, 'rest-client.key'),
    etcdCert: path.join(keys, 'etcd-client.crt'),
    etcdKey: path.join(keys, 'etcd-client.key'),
  };
  const copies: Array<[string, string]> = [
    [cluster.pki.ca, pki.ca],
    [cluster.pki.restClientCert, pki.restCert],
    [cluster.pki.restClientKey, pki.restKey],
    [cluster.pki.etcdClientCert, pki.etcdCert],
    [cluster.pki.etcdClientKey, pki.etcdKey],
  ];
  for (const [from, to] of copies) await copyFile(from, to);
  // Only what the programs need: in particular no NODE_EXTRA_CA_CERTS, which makes every Node
  // process load the system CA bundle at start-up (~50 ms), patrol and the floors alike.
  const base = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: work, LANG: 'C.UTF-8', TZ: 'UTC' };
  const patrolEnv = {
    ...base,
    PATROL_CONFIG_DIR: path.join(work, 'config'),
    PATROL_REST_PASSWORD: cluster.restPassword,
    PATROL_DCS_PASSWORD: cluster.etcdPassword,
  };
  const add = await runOnce(
    [
      process.execPath, path.join(REPO_ROOT, 'bin', 'patrol'), 'profile', 'add', 'bench', '--use', '--cluster', cluster.scope,
      ...cluster.restUrls.flatMap((u) => ['--rest-url', u]),
      '--cacert', pki.ca, '--cert', pki.restCert, '--key', pki.restKey, '--username', cluster.restUser,
      '--dcs-url', cluster.etcdUrl, '--dcs-cacert', pki.ca, '--dcs-cert', pki.etcdCert, '--dcs-key', pki.etcdKey, '--dcs-username', cluster.etcdUser,
    ],
    patrolEnv,
  );
  if (add.code !== 0) throw new Error(`patrol profile add failed: ${add.stderr}`);
  const seeded = await seedClusters(cluster, pki);
  const patrolBin = await installSnapshot(work);
  return { work, patrolBin, pki, patrolEnv, ctlEnv: { ...base, LC_ALL: 'C.UTF-8' }, seeded };
}

/**
 * What `npm install` would put on an operator's machine — bin/, dist/bundle/ and package.json,
 * with the repository's node_modules for the native modules — copied aside, so the programs
 * measured are exactly the build this run made, whatever else rebuilds dist/ meanwhile.
 */
async function installSnapshot(work: string): Promise<string> {
  const app = path.join(work, 'app');
  await mkdir(path.join(app, 'dist'), { recursive: true });
  await cp(path.join(REPO_ROOT, 'bin'), path.join(app, 'bin'), { recursive: true });
  await cp(path.join(REPO_ROOT, 'dist', 'bundle'), path.join(app, 'dist', 'bundle'), { recursive: true });
  await copyFile(path.join(REPO_ROOT, 'package.json'), path.join(app, 'package.json'));
  await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(app, 'node_modules'));
  return path.join(app, 'bin', 'patrol');
}

function runOnce(argv: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Member, leader and configuration keys for bench-00 … bench-49, 3 members each, as Patroni 3.0 writes them. */
async function seedClusters(cluster: ClusterHandle, pki: Setup['pki']): Promise<string[]> {
  const tls = { ca: await readFile(pki.ca), cert: await readFile(pki.etcdCert), key: await readFile(pki.etcdKey) };
  const post = (endpoint: string, body: unknown, token?: string) => etcdPostTls(cluster.etcdUrl, tls, endpoint, body, token);
  const { token } = (await post('/v3/auth/authenticate', { name: 'root', password: cluster.etcdRootPassword })) as { token: string };
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const names = Array.from({ length: SEEDED_CLUSTERS }, (_, i) => `bench-${String(i).padStart(2, '0')}`);
  const puts: Array<[string, string]> = [];
  names.forEach((scope, i) => {
    const prefix = `${cluster.namespace}/${scope}/`;
    const lsn = 50_000_000 + i;
    puts.push([`${prefix}initialize`, String(7_300_000_000_000_000_000n + BigInt(i))]);
    puts.push([`${prefix}config`, JSON.stringify({ ttl: 30, loop_wait: 10, retry_timeout: 10, maximum_lag_on_failover: 1048576, postgresql: { use_pg_rewind: true, parameters: { max_connections: 100 } } })]);
    puts.push([`${prefix}leader`, 'pg0']);
    puts.push([`${prefix}status`, JSON.stringify({ optime: lsn })]);
    puts.push([`${prefix}history`, JSON.stringify([[1, 25_000_000, 'no recovery target specified', '2026-01-01T00:00:00+00:00', 'pg1']])]);
    for (let m = 0; m < 3; m++) {
      const member = {
        conn_url: `postgres://10.${i}.0.${m + 1}:5432/postgres`,
        api_url: `https://10.${i}.0.${m + 1}:8008/patroni`,
        state: 'running',
        role: m === 0 ? 'master' : 'replica',
        version: '3.0.2',
        xlog_location: lsn - m * 1024,
        timeline: 2,
      };
      puts.push([`${prefix}members/pg${m}`, JSON.stringify(member)]);
    }
  });
  // etcd allows at most 128 operations in one transaction.
  for (let i = 0; i < puts.length; i += 100) {
    const success = puts.slice(i, i + 100).map(([key, value]) => ({ request_put: { key: b64(key), value: b64(value) } }));
    await post('/v3/kv/txn', { success }, token);
  }
  return names;
}

function etcdPostTls(origin: string, tls: { ca: Buffer; cert: Buffer; key: Buffer }, endpoint: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${origin}${endpoint}`,
      { method: 'POST', ...tls, agent: false, headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200) reject(new Error(`etcd ${endpoint}: HTTP ${res.statusCode}`));
          else resolve(JSON.parse(text || '{}') as Record<string, unknown>);
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

// ---------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------

interface Program {
  label: string;
  argv: string[];
  env: Record<string, string>;
}

interface Case {
  name: string;
  patrol: Program;
  floor?: Program;
  patronictl?: Program;
  /** patrol ≤ floorTarget × floor */
  floorTarget?: number;
  /** patronictl ≥ speedupTarget × patrol */
  speedupTarget?: number;
  /** Also hold patrol's peak RSS to ≤ 1.5 × `node -e 0`'s. */
  rssTarget?: boolean;
}

function cases(cluster: ClusterHandle, setup: Setup): Case[] {
  const node = process.execPath;
  const patrol = (label: string, args: string[], extraEnv: Record<string, string> = {}): Program => ({
    label,
    argv: [node, setup.patrolBin, ...args],
    env: { ...setup.patrolEnv, ...extraEnv },
  });
  const ctl = (args: string[]): Program => ({ label: `patronictl ${args.join(' ')}`.slice(0, 60), argv: [PYTHON, PATRONICTL, '-c', cluster.ctlConfigFile, ...args], env: setup.ctlEnv });
  const bench = (file: string) => path.join(REPO_ROOT, 'dist', 'test', 'bench', file);
  const restFloor = (quickAck: boolean): Program => ({
    label: `floor: one mTLS GET /cluster${quickAck ? ' (TCP_QUICKACK)' : ''}`,
    argv: [node, bench('floor-rest.cjs'), cluster.restUrls[0]!, setup.pki.ca, setup.pki.restCert, setup.pki.restKey, ...(quickAck ? ['quickack'] : [])],
    env: setup.patrolEnv,
  });
  const dcsFloor = (prefix: string, what: string): Program => ({
    label: `floor: etcd auth + range ${what}`,
    argv: [node, bench('floor-dcs.cjs'), cluster.etcdUrl, setup.pki.ca, setup.pki.etcdCert, setup.pki.etcdKey, cluster.etcdUser, prefix],
    env: setup.patrolEnv,
  });
  const clusterFloor = dcsFloor(`${cluster.namespace}/${cluster.scope}/`, 'of the cluster');
  const namespaceFloor = dcsFloor(`${cluster.namespace}/`, 'of the namespace');
  return [
    { name: '--version', patrol: patrol('patrol --version', ['--version']), floor: { label: 'node -e 0', argv: [node, '-e', '0'], env: setup.patrolEnv }, patronictl: ctl(['version']), floorTarget: 1.3 },
    { name: 'list (REST, TCP_QUICKACK)', patrol: patrol('patrol list --source rest', ['list', '--source', 'rest']), floor: restFloor(true), patronictl: ctl(['list']), floorTarget: 1.15, speedupTarget: 6, rssTarget: true },
    { name: 'list (REST, no quick ACK)', patrol: patrol('PATROL_TCP_QUICKACK=off patrol list --source rest', ['list', '--source', 'rest'], { PATROL_TCP_QUICKACK: 'off' }), floor: restFloor(false), patronictl: ctl(['list']), floorTarget: 1.15, speedupTarget: 4 },
    { name: 'list (DCS)', patrol: patrol('patrol list', ['list']), floor: clusterFloor, patronictl: ctl(['list']), floorTarget: 1.15, speedupTarget: 4, rssTarget: true },
    { name: 'history', patrol: patrol('patrol history', ['history']), floor: clusterFloor, patronictl: ctl(['history']) },
    { name: 'show-config', patrol: patrol('patrol show-config', ['show-config']), floor: clusterFloor, patronictl: ctl(['show-config']) },
    { name: 'topology', patrol: patrol('patrol topology', ['topology']), floor: clusterFloor, patronictl: ctl(['topology']) },
    {
      name: `list --all (${SEEDED_CLUSTERS + 1} clusters)`,
      patrol: patrol('patrol list --all', ['list', '--all']),
      floor: namespaceFloor,
      patronictl: ctl(['list', ...setup.seeded]),
      speedupTarget: 10,
    },
    {
      name: `list C1 … C${SEEDED_CLUSTERS}`,
      patrol: patrol(`patrol list bench-00 … bench-${SEEDED_CLUSTERS - 1}`, ['list', ...setup.seeded]),
      floor: namespaceFloor,
      patronictl: ctl(['list', ...setup.seeded]),
      speedupTarget: 10,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Running and reporting
// ---------------------------------------------------------------------------------------------

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface Stats {
  label: string;
  wallMedian: number;
  rssMedianMb: number;
  cpuMedian: number;
  runs: number;
}

function stats(label: string, runs: Measurement[]): Stats {
  return {
    label,
    wallMedian: median(runs.map((r) => r.wall)),
    rssMedianMb: median(runs.map((r) => r.maxrss_kb)) / 1024,
    cpuMedian: median(runs.map((r) => r.utime + r.stime)),
    runs: runs.length,
  };
}

async function measureAll(meter: Meter, list: Case[], rounds: number, work: string, log: (line: string) => void): Promise<Map<Program, Measurement[]>> {
  const programs = [...new Set(list.flatMap((c) => [c.patrol, c.floor, c.patronictl].filter((p): p is Program => p !== undefined)))];
  programs.push(baselineNode(list));
  const results = new Map<Program, Measurement[]>(programs.map((p) => [p, []]));
  // Warm-up: every program once (file caches, Python bytecode), checking that each one works.
  for (const program of programs) {
    const out = path.join(work, 'warmup.out');
    const m = await meter.run({ argv: program.argv, env: program.env, stdout: out, timeout: 120 });
    if (m.code !== 0) {
      const stderr = await readFile(`${out}.err`, 'utf8').catch(() => '');
      throw new Error(`${program.label} failed during warm-up (exit ${m.code}): ${stderr.trim().slice(0, 500)}`);
    }
  }
  for (let round = 1; round <= rounds; round++) {
    log(`round ${round}/${rounds}`);
    for (const program of programs) results.get(program)!.push(await meter.run({ argv: program.argv, env: program.env, timeout: 120 }));
  }
  return results;
}

let nodeBaseline: Program | undefined;
function baselineNode(list: Case[]): Program {
  nodeBaseline ??= list[0]!.floor!;
  return nodeBaseline;
}

interface WatchResult {
  label: string;
  seconds: number;
  cpuSecondsPerMinute: number;
  peakRssMb: number;
}

async function measureWatch(meter: Meter, cluster: ClusterHandle, setup: Setup, seconds: number): Promise<WatchResult[]> {
  const node = process.execPath;
  const programs: Program[] = [
    { label: 'patrol list -W (DCS, etcd watch)', argv: [node, setup.patrolBin, 'list', '-W'], env: setup.patrolEnv },
    { label: 'patrol list -W --source rest', argv: [node, setup.patrolBin, 'list', '-W', '--source', 'rest'], env: setup.patrolEnv },
    { label: 'patronictl list -W', argv: [PYTHON, PATRONICTL, '-c', cluster.ctlConfigFile, 'list', '-W'], env: setup.ctlEnv },
  ];
  const out: WatchResult[] = [];
  for (const p of programs) {
    const m = await meter.run({ argv: p.argv, env: p.env, interrupt_after: seconds, timeout: seconds + 30 });
    out.push({ label: p.label, seconds: m.wall, cpuSecondsPerMinute: ((m.utime + m.stime) * 60) / m.wall, peakRssMb: m.maxrss_kb / 1024 });
  }
  return out;
}

interface Row {
  case: string;
  patrol: Stats;
  floor?: Stats;
  patronictl?: Stats;
  patrolOverFloor?: number;
  floorTarget?: number;
  floorTargetMet?: boolean;
  patronictlOverPatrol?: number;
  speedupTarget?: number;
  speedupTargetMet?: boolean;
  rssOverNode?: number;
  rssTargetMet?: boolean;
}

function rows(list: Case[], results: Map<Program, Measurement[]>): { rows: Row[]; node: Stats } {
  const node = stats('node -e 0', results.get(baselineNode(list))!);
  return {
    node,
    rows: list.map((c) => {
      const row: Row = { case: c.name, patrol: stats(c.patrol.label, results.get(c.patrol)!) };
      if (c.floor) {
        row.floor = stats(c.floor.label, results.get(c.floor)!);
        row.patrolOverFloor = row.patrol.wallMedian / row.floor.wallMedian;
        if (c.floorTarget) {
          row.floorTarget = c.floorTarget;
          row.floorTargetMet = row.patrolOverFloor <= c.floorTarget;
        }
      }
      if (c.patronictl) {
        row.patronictl = stats(c.patronictl.label, results.get(c.patronictl)!);
        row.patronictlOverPatrol = row.patronictl.wallMedian / row.patrol.wallMedian;
        if (c.speedupTarget) {
          row.speedupTarget = c.speedupTarget;
          row.speedupTargetMet = row.patronictlOverPatrol >= c.speedupTarget;
        }
      }
      if (c.rssTarget) {
        row.rssOverNode = row.patrol.rssMedianMb / node.rssMedianMb;
        row.rssTargetMet = row.rssOverNode <= 1.5;
      }
      return row;
    }),
  };
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
const ratio = (r: number | undefined, target: number | undefined, met: boolean | undefined, sign: '≤' | '≥') =>
  r === undefined ? '' : `${r.toFixed(2)}×${target ? ` (${sign}${target} ${met ? 'ok' : 'MISSED'})` : ''}`;

function report(rowsOut: Row[], node: Stats, watch: WatchResult[], options: Options): string {
  const main = table(
    ['case', 'patrol', 'floor', 'patrol/floor', 'patronictl', 'patronictl/patrol', 'patrol RSS', 'RSS/node'],
    rowsOut.map((r) => [
      r.case,
      ms(r.patrol.wallMedian),
      r.floor ? ms(r.floor.wallMedian) : '',
      ratio(r.patrolOverFloor, r.floorTarget, r.floorTargetMet, '≤'),
      r.patronictl ? ms(r.patronictl.wallMedian) : '',
      ratio(r.patronictlOverPatrol, r.speedupTarget, r.speedupTargetMet, '≥'),
      `${r.patrol.rssMedianMb.toFixed(1)} MB`,
      r.rssOverNode === undefined ? '' : ratio(r.rssOverNode, 1.5, r.rssTargetMet, '≤'),
    ]),
  );
  const floors = table(
    ['program', 'median', 'peak RSS'],
    [node, ...rowsOut.flatMap((r) => (r.floor ? [r.floor] : []))]
      .filter((s, i, all) => all.findIndex((o) => o.label === s.label) === i)
      .map((s) => [s.label, ms(s.wallMedian), `${s.rssMedianMb.toFixed(1)} MB`]),
  );
  const watching = table(
    ['watch (Ctrl-C after the period)', 'seconds', 'CPU s per minute', 'peak RSS'],
    watch.map((w) => [w.label, w.seconds.toFixed(1), w.cpuSecondsPerMinute.toFixed(3), `${w.peakRssMb.toFixed(1)} MB`]),
  );
  return [
    `patrol bench: medians of ${options.rounds} rounds after a warm-up; node ${process.version}, ${os.cpus().length} CPUs`,
    '',
    main,
    '',
    floors,
    '',
    watching,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  log('starting a 3-node TLS cluster (etcd + Patroni)…');
  const cluster = await startCluster({ scope: 'bench', removeOnStop: true });
  let work: string | undefined;
  const meter = new Meter();
  try {
    const setup = await prepare(cluster);
    work = setup.work;
    log(`cluster up; ${SEEDED_CLUSTERS} more clusters written to etcd; measuring`);
    const list = cases(cluster, setup);
    const results = await measureAll(meter, list, options.rounds, setup.work, log);
    log(`watching for ${options.watchSeconds} s each…`);
    const watch = await measureWatch(meter, cluster, setup, options.watchSeconds);
    const { rows: rowsOut, node } = rows(list, results);
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ node: process.version, cpus: os.cpus().length, rounds: options.rounds, baseline: node, cases: rowsOut, watch }, null, 2)}\n`);
    } else {
      process.stdout.write(report(rowsOut, node, watch, options));
    }
  } finally {
    meter.close();
    log('stopping the cluster');
    await cluster.stop();
    if (work) await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
