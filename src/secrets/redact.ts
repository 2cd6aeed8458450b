// Redaction is a last line of defence: errors are built without secrets in the first place, but
// anything that is printed under --debug or logged passes through here too.

const knownSecrets = new Set<string>();

/** Register a secret value so that it is masked wherever it might later appear. */
export function registerSecret(value: string | undefined): void {
  // Very short values would mask ordinary words; they are still never printed by construction.
  if (value && value.length >= 4) {
    knownSecrets.add(value);
    knownSecrets.add(Buffer.from(value).toString('base64'));
  }
}

const PATTERNS: Array<[RegExp, string]> = [
  // HTTP authorization headers of any scheme, and etcd's raw token header.
  [/\b(authorization["']?\s*[:=]\s*["']?)(basic|bearer)?\s*[^\s"',}]+/giu, '$1$2 [REDACTED]'],
  [/\b(Basic|Bearer)\s+[A-Za-z0-9+/=._-]{6,}/gu, '$1 [REDACTED]'],
  // Credentials embedded in URLs: scheme://user:pass@host
  [/([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]*:[^/\s]*@/giu, '$1[REDACTED]@'],
  // JSON or YAML fields whose name says they hold a secret.
  [/(["']?(?:password|passphrase|passwd|token|secret)["']?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,}]+)/giu, '$1[REDACTED]'],
];

/** Mask every registered secret and every secret-shaped fragment in a piece of text. */
export function redact(text: string): string {
  let out = text;
  for (const secret of knownSecrets) out = out.split(secret).join('[REDACTED]');
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
