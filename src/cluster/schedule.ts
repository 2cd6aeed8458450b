// Parsing of --scheduled values. Patroni needs a time zone; an operator typing a naive local time
// means their own local time (as patronictl assumes), so it is converted to an explicit offset.

import { UsageError } from '../errors.js';

const NAIVE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/u;
const WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/u;

function offsetText(minutesEast: number): string {
  const sign = minutesEast >= 0 ? '+' : '-';
  const abs = Math.abs(minutesEast);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** ISO 8601 with the local offset, e.g. 2026-12-03T22:00:00+01:00. */
export function localIso(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    offsetText(-date.getTimezoneOffset())
  );
}

/**
 * undefined for "now"; otherwise an ISO 8601 timestamp with an offset, strictly in the future.
 */
export function parseSchedule(value: string | undefined, now: Date): string | undefined {
  if (value === undefined || value.trim() === '' || value.trim().toLowerCase() === 'now') return undefined;
  const text = value.trim();
  let when: Date;
  let iso: string;
  const naive = NAIVE.exec(text);
  if (naive) {
    const [, y, mo, d, h, mi, s] = naive;
    when = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
    // Date rolls impossible values over (Feb 30 → Mar 2, 25:00 → next day, a time skipped by a
    // clock change): refuse anything that does not come back as typed.
    const parts = [when.getFullYear(), when.getMonth() + 1, when.getDate(), when.getHours(), when.getMinutes()];
    if (parts.some((v, i) => v !== Number([y, mo, d, h, mi][i]))) throw new UsageError(`"${text}" is not a valid date and time`);
    iso = localIso(when);
  } else if (WITH_ZONE.test(text)) {
    when = new Date(text.replace(' ', 'T'));
    iso = text.replace(' ', 'T');
    const [y, mo, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
    const day = new Date(Date.UTC(y, mo - 1, d));
    if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) throw new UsageError(`"${text}" is not a valid date and time`);
  } else {
    throw new UsageError(`cannot read the time "${text}"`, 'use "now" or YYYY-MM-DDTHH:MM (local time), optionally with an offset like +01:00');
  }
  if (Number.isNaN(when.getTime())) throw new UsageError(`"${text}" is not a valid date and time`);
  if (when.getTime() <= now.getTime()) throw new UsageError(`the time ${iso} is in the past`, 'give a future time, or "now"');
  return iso;
}
