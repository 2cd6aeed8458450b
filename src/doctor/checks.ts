// `patrol doctor`'s judgements, kept pure so every verdict (expiry windows, mixed versions, TLS
// details, how results add up to an exit code) is unit-tested without a network.

import { X509Certificate } from 'node:crypto';
import type { Document } from '../ui/format.js';
import { sanitizeForTerminal } from '../ui/sanitize.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** What was examined: "REST pg0 https://10.0.0.1:8008", "DCS https://…", "local". */
  target: string;
  /** Short check name, stable for scripts: "dns", "tcp", "tls", "chain", "san", … */
  check: string;
  status: CheckStatus;
  detail: string;
  /** One line telling the operator what to do; null when the check passed. */
  remedy: string | null;
}

export const EXPIRY_WARN_DAYS = 30;
const DAY_MS = 86_400_000;

export function result(target: string, check: string, status: CheckStatus, detail: string, remedy: string | null = null): CheckResult {
  return { target, check, status, detail, remedy: status === 'pass' || status === 'skip' ? null : remedy };
}

export interface CertificateDates {
  subject: string;
  validFrom: Date;
  validTo: Date;
}

export function certificateDates(cert: X509Certificate): CertificateDates {
  return { subject: cert.subject.replace(/\n/gu, ', '), validFrom: new Date(cert.validFrom), validTo: new Date(cert.validTo) };
}

/** Every certificate in a PEM bundle (X509Certificate alone reads only the first). */
export function certificatesInPem(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/gu) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

/**
 * Days until a certificate expires: fail when expired or not yet valid, warn inside the window.
 * `what` names it ("server certificate", "client certificate …", "CA …"); `renew` says how.
 */
export function expiryCheck(target: string, what: string, dates: CertificateDates, now: Date, renew: string, warnDays = EXPIRY_WARN_DAYS): CheckResult {
  const check = `${what.split(' ')[0]}-cert-expiry`;
  const daysLeft = Math.floor((dates.validTo.getTime() - now.getTime()) / DAY_MS);
  const until = dates.validTo.toISOString().slice(0, 10);
  if (dates.validFrom.getTime() > now.getTime()) {
    return result(target, check, 'fail', `${what} is not valid before ${dates.validFrom.toISOString()}`, `check the clock on this machine, or ${renew}`);
  }
  if (dates.validTo.getTime() <= now.getTime()) return result(target, check, 'fail', `${what} expired on ${until}`, renew);
  if (daysLeft < warnDays) return result(target, check, 'warn', `${what} expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'} (${until})`, renew);
  return result(target, check, 'pass', `${what} valid for ${daysLeft} more days (until ${until})`);
}

export interface MemberVersions {
  member: string;
  patroni: string | null;
  postgres: string | null;
}

/** One cluster-wide verdict: every member on the same Patroni and PostgreSQL version. */
export function versionsCheck(target: string, members: MemberVersions[]): CheckResult {
  const known = members.filter((m) => m.patroni !== null || m.postgres !== null);
  if (known.length === 0) return result(target, 'versions', 'skip', 'no member reported its versions');
  const describe = (key: 'patroni' | 'postgres'): string[] => [...new Set(known.map((m) => m[key] ?? '?'))].sort();
  const patroni = describe('patroni');
  const postgres = describe('postgres');
  const listing = known.map((m) => `${m.member}: Patroni ${m.patroni ?? '?'}, PostgreSQL ${m.postgres ?? '?'}`).join('; ');
  if (patroni.length > 1 || postgres.length > 1) {
    return result(target, 'versions', 'warn', `mixed versions (${listing})`, 'finish the upgrade so every member runs the same Patroni and PostgreSQL versions');
  }
  return result(target, 'versions', 'pass', `Patroni ${patroni[0]}, PostgreSQL ${postgres[0]} on ${known.length} member${known.length === 1 ? '' : 's'}`);
}

/** TLS version and cipher as negotiated; patrol never negotiates below TLS 1.2. */
export function tlsParametersCheck(target: string, protocol: string | null, cipher: string | null): CheckResult {
  if (!protocol) return result(target, 'tls', 'fail', 'no TLS session', 'check that the URL is an https endpoint');
  const modern = protocol === 'TLSv1.2' || protocol === 'TLSv1.3';
  return modern
    ? result(target, 'tls', 'pass', `${protocol}, ${cipher ?? 'unknown cipher'}`)
    : result(target, 'tls', 'fail', `${protocol} is older than TLS 1.2`, 'enable TLS 1.2 or newer on the server');
}

/** Exit 0 only when nothing failed and nothing warned (skipped checks do not count). */
export function doctorExitCode(results: CheckResult[]): number {
  return results.some((r) => r.status === 'fail' || r.status === 'warn') ? 1 : 0;
}

const MARK: Record<CheckStatus, string> = { pass: '✓', warn: '!', fail: '✗', skip: '-' };

export function doctorDocument(profile: string, results: CheckResult[]): Document {
  const counts = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const r of results) counts[r.status]++;
  return {
    data: { profile, ok: doctorExitCode(results) === 0, counts, checks: results },
    table: { columns: ['Target', 'Check', 'Status', 'Detail', 'Remedy'], rows: results.map((r) => [r.target, r.check, r.status, r.detail, r.remedy]) },
    pretty: () => {
      const lines: string[] = [];
      let target: string | undefined;
      const width = Math.max(...results.map((r) => r.check.length), 5);
      for (const r of results) {
        if (r.target !== target) {
          target = r.target;
          lines.push(sanitizeForTerminal(target));
        }
        lines.push(`  ${MARK[r.status]} ${r.check.padEnd(width)}  ${sanitizeForTerminal(r.detail)}`);
        if (r.remedy) lines.push(`      → ${sanitizeForTerminal(r.remedy)}`);
      }
      lines.push('', `${counts.pass} passed, ${counts.warn} warning${counts.warn === 1 ? '' : 's'}, ${counts.fail} failed${counts.skip ? `, ${counts.skip} skipped` : ''}`);
      return `${lines.join('\n')}\n`;
    },
  };
}
