import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { appendAuditEntry, type AuditEntry, auditLogPath, AuditTrail, outcomeForExitCode, parseSince, readAuditLog, summarizeBody } from '../../src/audit/log.js';
import { filterEntries } from '../../src/commands/audit.js';
import { registerSecret } from '../../src/secrets/redact.js';

const identity = { user: 'alice', host: 'laptop', patrolVersion: '0.1.0' };

function clock(...times: string[]): () => Date {
  let i = 0;
  return () => new Date(times[Math.min(i++, times.length - 1)]!);
}

describe('audit log location', () => {
  test('PATROL_STATE_DIR, then XDG_STATE_HOME, then ~/.local/state', () => {
    assert.equal(auditLogPath({ PATROL_STATE_DIR: '/x/state' }), '/x/state/audit.log');
    assert.equal(auditLogPath({ XDG_STATE_HOME: '/xdg', HOME: '/home/a' }), '/xdg/patrol/audit.log');
    assert.equal(auditLogPath({ HOME: '/home/a' }), '/home/a/.local/state/patrol/audit.log');
  });
});

describe('request summaries never carry free-form values', () => {
  test('switchover and restart fields are recorded as they are', () => {
    assert.deepEqual(summarizeBody({ leader: 'pg0', candidate: 'pg1', scheduled_at: '2030-01-01T00:00:00Z' }, '/switchover'), { leader: 'pg0', candidate: 'pg1', scheduled_at: '2030-01-01T00:00:00Z' });
    assert.deepEqual(summarizeBody({ restart_pending: true, timeout: 30 }, '/restart'), { restart_pending: true, timeout: 30 });
  });

  test('a configuration change is recorded by key path only', () => {
    const summary = summarizeBody({ postgresql: { parameters: { max_connections: 200 }, authentication: { superuser: { password: 'pg-secret-1' } } }, loop_wait: 5 }, '/config');
    assert.deepEqual(summary, { changedKeys: ['loop_wait', 'postgresql.authentication.superuser.password', 'postgresql.parameters.max_connections'] });
    assert.doesNotMatch(JSON.stringify(summary), /pg-secret-1|200/u);
  });

  test('unknown fields are named, not copied; nested values are never copied', () => {
    assert.deepEqual(summarizeBody({ candidate: 'pg1', password: 'x', leader: { nested: 'y' } }, '/failover'), { candidate: 'pg1', otherKeys: ['leader', 'password'] });
    assert.equal(summarizeBody(undefined, '/reload'), null);
  });

  test('a registered secret inside an allowed field is redacted', () => {
    registerSecret('audit-unit-secret-42');
    assert.deepEqual(summarizeBody({ candidate: 'audit-unit-secret-42' }, '/switchover'), { candidate: '[REDACTED]' });
  });
});

describe('AuditTrail', () => {
  test('nothing begun (read-only command, dry run): no entry', () => {
    assert.equal(new AuditTrail(identity).finish(0, undefined), undefined);
  });

  test('one action: targets, replies, outcome from the exit code, duration', () => {
    const trail = new AuditTrail(identity, clock('2024-05-01T09:59:59Z', '2024-05-01T10:00:00Z', '2024-05-01T10:00:02.500Z'));
    trail.begin({ profile: 'prod', cluster: 'main', action: 'reload', targets: ['pg0', 'pg1'], viaDcs: false, requests: [{ member: 'pg0', method: 'POST', path: '/reload' }, { member: 'pg1', method: 'POST', path: '/reload' }] });
    trail.recordReply('pg0', 'POST', '/reload', 202, 'ok');
    const entry = trail.finish(7, 'patrol: outcome unknown: no answer')!;
    assert.equal(entry.time, '2024-05-01T10:00:00.000Z');
    assert.equal(entry.durationMs, 2500);
    assert.equal(entry.outcome, 'unknown');
    assert.deepEqual(entry.requests.map((r) => [r.member, r.status, r.outcome]), [['pg0', 202, 'ok'], ['pg1', null, 'not-sent']]);
    assert.equal(entry.error, 'patrol: outcome unknown: no answer');
    assert.equal(trail.finish(0, undefined), undefined, 'written once');
  });

  test('a second plan in the same command joins the same line', () => {
    const trail = new AuditTrail(identity);
    trail.begin({ profile: 'p', cluster: 'c', action: 'rolling restart', targets: ['pg1'], viaDcs: false, requests: [{ member: 'pg1', method: 'POST', path: '/restart' }] });
    trail.begin({ profile: 'p', cluster: 'c', action: 'switchover', targets: ['pg0'], viaDcs: false, requests: [{ member: 'pg0', method: 'POST', path: '/switchover' }] });
    const entry = trail.finish(0, undefined)!;
    assert.equal(entry.action, 'rolling restart');
    assert.deepEqual(entry.targets, ['pg1', 'pg0']);
    assert.equal(entry.requests.length, 2);
  });

  test('a state-changing command stopped before planning still leaves an entry; other commands do not', () => {
    const trail = new AuditTrail(identity, clock('2024-05-01T10:00:00Z', '2024-05-01T10:00:01Z'));
    trail.noteSession('prod', 'main');
    const entry = trail.finishUnplanned('restart', 6, 'patrol: no member of cluster main to restart')!;
    assert.deepEqual([entry.action, entry.profile, entry.cluster, entry.outcome, entry.targets.length, entry.durationMs], ['restart', 'prod', 'main', 'refused', 0, 1000]);
    assert.equal(trail.finishUnplanned('list', 5, 'x'), undefined);
    assert.equal(trail.finishUnplanned('reload', 0, undefined), undefined);
  });

  test('exit codes map to outcomes', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 130].map(outcomeForExitCode), ['succeeded', 'failed', 'refused', 'declined', 'refused', 'failed', 'refused', 'unknown', 'interrupted']);
  });
});

function entry(time: string, action = 'reload'): AuditEntry {
  return { time, user: 'u', host: 'h', profile: 'p', cluster: 'c', action, targets: [], viaDcs: false, requests: [], outcome: 'succeeded', exitCode: 0, error: null, durationMs: 1, patrolVersion: 't' };
}

describe('the audit file', () => {
  test('appends lines 0600 in a 0700 directory and reads them back in order', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'audit-')), 'state', 'audit.log');
    await appendAuditEntry(file, entry('2024-01-01T00:00:00Z'));
    await appendAuditEntry(file, entry('2024-01-02T00:00:00Z'));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    const { entries, skipped } = await readAuditLog(file);
    assert.deepEqual(entries.map((e) => e.time), ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z']);
    assert.equal(skipped, 0);
  });

  test('rotates by size, keeps N old files, and reads across them oldest first', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'audit-'));
    const file = path.join(dir, 'audit.log');
    const lineSize = JSON.stringify(entry('2024-01-01T00:00:00Z')).length + 1;
    for (let i = 0; i < 10; i++) await appendAuditEntry(file, entry(`2024-01-${String(i + 1).padStart(2, '0')}T00:00:00Z`), { maxBytes: lineSize * 2, keep: 2 });
    assert.deepEqual(readdirSync(dir).sort(), ['audit.log', 'audit.log.1', 'audit.log.2']);
    const { entries } = await readAuditLog(file, 2);
    assert.deepEqual(entries.map((e) => e.time.slice(8, 10)), ['05', '06', '07', '08', '09', '10']);
    assert.ok(readFileSync(file, 'utf8').length <= lineSize * 2);
  });

  test('torn or foreign lines are skipped and counted', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'audit-')), 'audit.log');
    await appendAuditEntry(file, entry('2024-01-01T00:00:00Z'));
    const { appendFileSync } = await import('node:fs');
    appendFileSync(file, '{"time": "2024\n[1,2]\n');
    const { entries, skipped } = await readAuditLog(file);
    assert.equal(entries.length, 1);
    assert.equal(skipped, 2);
  });
});

describe('patrol audit filters', () => {
  const now = new Date('2024-05-10T12:00:00Z');
  test('--since: durations and ISO dates; nonsense is rejected', () => {
    assert.equal(parseSince('2h', now)?.toISOString(), '2024-05-10T10:00:00.000Z');
    assert.equal(parseSince('7d', now)?.toISOString(), '2024-05-03T12:00:00.000Z');
    assert.equal(parseSince('30m', now)?.toISOString(), '2024-05-10T11:30:00.000Z');
    assert.equal(parseSince('2024-05-01', now)?.toISOString(), '2024-05-01T00:00:00.000Z');
    assert.equal(parseSince('yesterday', now), undefined);
    assert.equal(parseSince('2024-13-45', now), undefined);
  });

  test('since and action select entries', () => {
    const entries = [entry('2024-05-01T00:00:00Z'), entry('2024-05-09T00:00:00Z', 'switchover'), entry('2024-05-10T00:00:00Z')];
    assert.deepEqual(filterEntries(entries, new Date('2024-05-05T00:00:00Z'), undefined).map((e) => e.action), ['switchover', 'reload']);
    assert.deepEqual(filterEntries(entries, undefined, 'reload').length, 2);
  });
});
