// Fixed zone, set before any Date is built, so offsets are known: Berlin is +01:00 in winter, +02:00 in summer.
process.env.TZ = 'Europe/Berlin';

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { localIso, parseSchedule } from '../../src/cluster/schedule.js';
import { ExitCode, UsageError } from '../../src/errors.js';

const NOW = new Date('2026-06-01T12:00:00Z');

function usage(value: string, message?: RegExp): void {
  assert.throws(
    () => parseSchedule(value, NOW),
    (e: unknown) => e instanceof UsageError && e.exitCode === ExitCode.usage && (!message || message.test(e.message)),
  );
}

describe('parseSchedule', () => {
  test('the zone really is Berlin in this process', () => {
    assert.equal(new Date('2026-12-03T12:00:00Z').getTimezoneOffset(), -60);
  });

  test('"now", empty, blank and undefined mean now', () => {
    for (const v of [undefined, '', '   ', 'now', 'NOW', ' Now ']) assert.equal(parseSchedule(v, NOW), undefined);
  });

  test('naive local time in winter gets +01:00', () => {
    assert.equal(parseSchedule('2026-12-03T22:00', NOW), '2026-12-03T22:00:00+01:00');
    assert.equal(parseSchedule('2026-12-03 22:00:15', NOW), '2026-12-03T22:00:15+01:00');
  });

  test('naive local time in summer gets +02:00', () => {
    assert.equal(parseSchedule('2026-07-03T08:05', NOW), '2026-07-03T08:05:00+02:00');
  });

  test('naive value agrees with the Date math of the local zone', () => {
    const expected = localIso(new Date(2026, 9, 25, 4, 30, 0));
    assert.equal(parseSchedule(' 2026-10-25T04:30 ', NOW), expected);
  });

  test('explicit offsets and Z are kept as written (space → T)', () => {
    assert.equal(parseSchedule('2026-12-03T22:00:00+05:30', NOW), '2026-12-03T22:00:00+05:30');
    assert.equal(parseSchedule('2026-12-03T22:00Z', NOW), '2026-12-03T22:00Z');
    assert.equal(parseSchedule('2026-12-03 22:00:00.250-03:00', NOW), '2026-12-03T22:00:00.250-03:00');
  });

  test('past and present times → UsageError', () => {
    usage('2026-06-01T12:00:00Z', /in the past/u);
    usage('2026-06-01T11:59:59Z', /in the past/u);
    usage('2020-01-01T00:00', /in the past/u);
    // 14:00 local in June is 12:00Z: exactly now is not the future.
    usage('2026-06-01T14:00', /in the past/u);
    assert.equal(parseSchedule('2026-06-01T14:00:01', NOW), '2026-06-01T14:00:01+02:00');
  });

  test('an offset decides whether the time is past', () => {
    // 13:00+02:00 is 11:00Z: past, though 13:00 looks later than 12:00.
    usage('2026-06-01T13:00:00+02:00', /in the past/u);
    assert.ok(parseSchedule('2026-06-01T11:00:00-02:00', NOW));
  });

  test('garbage → UsageError', () => {
    for (const v of ['tomorrow', '22:00', '2026-12-03', '2026/12/03 22:00', '2026-12-03T22:00+1', '2026-12-03T22:00:00 PST', '12/03/2026 10pm']) usage(v, /cannot read/u);
  });

  test('impossible calendar values in naive time → UsageError, not a silent roll-over', () => {
    usage('2027-02-30T10:00');
    usage('2026-12-03T25:00');
    usage('2026-13-01T10:00');
  });

  test('out-of-range month with offset → UsageError', () => {
    usage('2026-13-01T10:00Z');
  });
});

describe('localIso', () => {
  test('pads fields and uses the local offset', () => {
    assert.equal(localIso(new Date(2027, 0, 2, 3, 4, 5)), '2027-01-02T03:04:05+01:00');
    assert.equal(localIso(new Date('2026-08-09T22:30:00Z')), '2026-08-10T00:30:00+02:00');
  });

  test('drops milliseconds', () => {
    assert.equal(localIso(new Date(2027, 0, 2, 3, 4, 5, 999)), '2027-01-02T03:04:05+01:00');
  });

  test('round-trips to the same instant', () => {
    const d = new Date('2026-11-30T23:59:59Z');
    assert.equal(new Date(localIso(d)).getTime(), d.getTime());
  });
});
