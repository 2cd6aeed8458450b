// Terminal injection: a compromised member or DCS controls member names, tags, states, the scope
// and error texts. Printed raw, escape sequences could clear the screen, rewrite earlier lines
// (bare CR, cursor movement), set the clipboard (OSC 52), retitle the window, or reorder what the
// operator reads (bidi overrides). patrol must print them neutralized everywhere — tables, tsv,
// yaml, errors, prompts — while -f json keeps them exactly, as valid JSON escapes.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generatePki, type PkiPaths } from '../fixtures/pki.js';
import { closeAllListeners, hostileTlsServer, type Listener, restProfileDir, tempStateDir } from '../support/hostile-server.js';
import { PATROL_BIN, type PatrolRun, runPatrol } from '../support/run-patrol.js';

let pki: PkiPaths;
let server: Listener;
let configDir: string;

const ESC = '\u001b';
const HOSTILE = {
  scope: `prod${ESC}]0;owned${ESC}\\`,
  clearScreen: `pg0${ESC}[2J${ESC}[H`,
  osc52: `pg1${ESC}]52;c;cm0gLXJmIC8K${String.fromCharCode(7)}`,
  c1: `pg2\u009b31mred\u009b0m\u0085`,
  bareCr: 'pg3\rpg0 is healthy, nothing to see',
  bidi: 'pg4\u202egnp.exe\u2066x\u2069\u200f',
  state: `running${ESC}[1A${ESC}[2K`,
  tagKey: `zone${ESC}[8m`,
  tagValue: `${ESC}]8;;https://evil.example/${ESC}\\click${ESC}]8;;${ESC}\\`,
  errorText: `failed ${ESC}]52;c;ZXZpbA==${String.fromCharCode(7)}${ESC}[2J\rreload OK \u202eKO`,
};

/** Anything that a terminal would act on, besides newline (and tab, which tsv needs). */
const DANGEROUS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

function assertNeutral(text: string, where: string): void {
  const found = DANGEROUS.exec(text);
  assert.equal(found, null, `${where} contains a raw control character U+${found?.[0].codePointAt(0)?.toString(16).padStart(4, '0')}: ${JSON.stringify(text.slice(Math.max(0, (found?.index ?? 0) - 20), (found?.index ?? 0) + 20))}`);
}

const memberNames = [HOSTILE.clearScreen, HOSTILE.osc52, HOSTILE.c1, HOSTILE.bareCr, HOSTILE.bidi];

before(async () => {
  pki = await generatePki(mkdtempSync(path.join(tmpdir(), 'patrol-pki-')));
  server = await hostileTlsServer({ cert: pki.serverCert, key: pki.serverKey }, (req, res) => {
    if (req.method === 'GET' && req.url === '/cluster') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        scope: HOSTILE.scope,
        members: memberNames.map((name, i) => ({
          name,
          role: i === 0 ? 'leader' : 'replica',
          state: i === 1 ? HOSTILE.state : 'running',
          api_url: `${server.origin}/patroni`,
          host: '127.0.0.1',
          port: 5432 + i,
          timeline: 1,
          tags: { [HOSTILE.tagKey]: HOSTILE.tagValue },
          ...(i === 0 ? {} : { lag: 0 }),
        })),
      }));
      return;
    }
    if (req.method === 'GET' && req.url === '/history') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(HOSTILE.errorText);
      return;
    }
    if (req.method === 'POST') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(HOSTILE.errorText);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  configDir = restProfileDir({ url: server.origin, cacert: pki.ca, cert: pki.restClientCert, key: pki.restClientKey, username: 'admin', cluster: 'prod' });
});

after(closeAllListeners);

const run = (args: string[]): Promise<PatrolRun> => runPatrol(args, { configDir, env: { PATROL_REST_PASSWORD: 'terminal-test-pass', PATROL_STATE_DIR: tempStateDir() } });

describe('server-supplied text is neutralized on the terminal', () => {
  for (const args of [['list'], ['list', '-e'], ['topology'], ['list', '-f', 'yaml'], ['list', '-f', 'tsv', '-e']]) {
    test(`patrol ${args.join(' ')}`, async () => {
      const result = await run(args);
      assert.equal(result.code, 0, result.stderr);
      assertNeutral(result.stdout.replace(/\t/gu, ' '), 'stdout');
      assertNeutral(result.stderr, 'stderr');
      // Neutralized, not dropped: the operator still sees that something odd is there.
      assert.match(result.stdout, /pg0\\e\[2J|pg0\\\\e\[2J/u);
      if (!args.includes('topology')) assert.match(result.stdout, /\\u202e|\\\\u202e/u);
    });
  }

  test('an error text from the server (GET fails with 500): one neutral line on stderr', async () => {
    const result = await run(['history']);
    assert.equal(result.code, 1);
    assertNeutral(result.stderr, 'stderr');
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /\\e\]52;c;ZXZpbA==\\x07/u);
  });

  test('an error text in an action report (POST answered 500): neutral in pretty and tsv output', async () => {
    for (const format of ['pretty', 'tsv']) {
      const result = await run(['reload', '--yes', '-f', format]);
      assert.notEqual(result.code, 0);
      assertNeutral(result.stdout.replace(/\t/gu, ' '), `stdout (${format})`);
      assertNeutral(result.stderr, `stderr (${format})`);
      assert.match(result.stdout, /failed \\e\]52/u);
    }
  });

  test('-f json is valid JSON that round-trips every hostile string exactly', async () => {
    const result = await run(['list', '-f', 'json']);
    assert.equal(result.code, 0, result.stderr);
    // Raw C1 and bidi characters are escaped in the text itself (JSON.stringify would keep them).
    assertNeutral(result.stdout, 'json stdout');
    const doc = JSON.parse(result.stdout) as { cluster: string; members: Array<{ name: string; state: string; tags: Record<string, unknown> }> };
    assert.equal(doc.cluster, HOSTILE.scope);
    assert.deepEqual(doc.members.map((m) => m.name).sort(), [...memberNames].sort());
    const withState = doc.members.find((m) => m.name === HOSTILE.osc52)!;
    assert.equal(withState.state, HOSTILE.state);
    assert.deepEqual(withState.tags, { [HOSTILE.tagKey]: HOSTILE.tagValue });
  });

  test('a confirmation prompt on a real terminal shows names neutralized', async (t) => {
    const postsBefore = server.requests.filter((r) => r.method === 'POST').length;
    // `script` runs patrol on a pseudo-terminal, so the cluster table and the prompt are drawn
    // exactly as an operator would see them; "n" declines.
    const transcript = await new Promise<{ code: number | null; out: string } | null>((resolve) => {
      const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root', TERM: 'dumb', PATROL_CONFIG_DIR: configDir, PATROL_STATE_DIR: tempStateDir(), PATROL_REST_PASSWORD: 'terminal-test-pass' };
      let child;
      try {
        child = spawn('script', ['-qfec', `${process.execPath} ${PATROL_BIN} reload`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      } catch {
        resolve(null);
        return;
      }
      let out = '';
      child.on('error', () => resolve(null));
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString('latin1');
        if (/Are you sure/u.test(out) && !out.includes('\u0000sent')) {
          out += '\u0000sent';
          child.stdin.write('n\r');
        }
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out: out.replace('\u0000sent', '') });
      });
    });
    if (!transcript) {
      t.skip('no `script` command to provide a pseudo-terminal');
      return;
    }
    assert.match(transcript.out, /Are you sure/u, transcript.out);
    // The prompt library draws with its own CSI sequences; none of the hostile ones may appear.
    for (const raw of [`${ESC}[2J`, `${ESC}]52;`, `${ESC}]0;owned`, '\u009b', '\u202e', '\u2066', `${ESC}]8;;`]) {
      assert.ok(!transcript.out.includes(raw), `raw ${JSON.stringify(raw)} reached the terminal`);
    }
    assert.match(transcript.out, /pg0\\e\[2J/u);
    assert.equal(server.requests.filter((r) => r.method === 'POST').length, postsBefore, 'declined: nothing sent');
  });
});
