// Which member REST endpoints patrol may contact. Member api_urls come from the cluster itself
// (DCS keys or GET /cluster), so a tampered DCS could point them at a host that harvests the
// client certificate handshake or the basic-auth password. Only https URLs whose host the profile
// already trusts (its seed URLs' hosts plus allowedHosts) are accepted.

import { TlsOrAuthError } from '../errors.js';
import { sanitizeForTerminal } from '../ui/sanitize.js';

export function trustedHostSet(seedUrls: string[], allowedHosts: string[] = []): Set<string> {
  const hosts = new Set<string>();
  for (const url of seedUrls) hosts.add(new URL(url).hostname.toLowerCase().replace(/^\[|\]$/gu, ''));
  for (const host of allowedHosts) hosts.add(host.toLowerCase().replace(/^\[|\]$/gu, ''));
  return hosts;
}

/** Returns the origin to use for a member, or throws before anything is sent to it. */
export function trustedMemberOrigin(memberName: string, apiUrl: string | undefined, trusted: Set<string>): string {
  const shownName = sanitizeForTerminal(memberName);
  if (!apiUrl) throw new TlsOrAuthError(`member ${shownName} publishes no REST api_url`, 'check that its Patroni REST API is configured');
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new TlsOrAuthError(`member ${shownName} publishes an invalid api_url`);
  }
  const shownUrl = sanitizeForTerminal(url.origin);
  if (url.protocol !== 'https:') {
    throw new TlsOrAuthError(
      `refusing member ${shownName}: its api_url ${shownUrl} is not https`,
      'patrol never sends credentials over plain HTTP; enable TLS on that member',
    );
  }
  if (url.username || url.password) {
    throw new TlsOrAuthError(`refusing member ${shownName}: its api_url carries credentials`);
  }
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/gu, '');
  if (!trusted.has(host)) {
    throw new TlsOrAuthError(
      `refusing member ${shownName}: its api_url host ${sanitizeForTerminal(host)} is not trusted by this profile`,
      'if the host is legitimate, add it with `patrol profile add … --allowed-host HOST` (or a --rest-url on it)',
    );
  }
  return url.origin;
}
