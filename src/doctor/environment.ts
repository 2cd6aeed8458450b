// Environment variables that weaken TLS in Node.js programs, or that betray an unsafe setup.
// patrol neutralizes the TLS ones (verification is always explicit, and a CA is always passed),
// but an operator who set them probably believes they have an effect, so patrol says so.

export interface EnvironmentRisk {
  variable: string;
  /** What the variable would do to an ordinary Node.js program. */
  risk: string;
  /** What patrol does about it. */
  patrolResponse: string;
  /** True when patrol fully undoes its effect (doctor then reports it without failing). */
  neutralized: boolean;
  remedy: string;
}

const TLS_VARIABLES: Array<Omit<EnvironmentRisk, 'variable'> & { variable: string; dangerous(value: string): boolean }> = [
  {
    variable: 'NODE_TLS_REJECT_UNAUTHORIZED',
    dangerous: (value) => value === '0',
    risk: 'turns off certificate verification in Node.js programs',
    patrolResponse: 'patrol ignores it and verifies certificates anyway',
    neutralized: true,
    remedy: 'unset NODE_TLS_REJECT_UNAUTHORIZED',
  },
  {
    variable: 'NODE_EXTRA_CA_CERTS',
    dangerous: (value) => value !== '',
    risk: 'adds certificate authorities to the trust store of Node.js programs',
    patrolResponse: 'patrol trusts only the profile CA (or the bundled roots) and ignores it',
    neutralized: true,
    remedy: 'unset NODE_EXTRA_CA_CERTS',
  },
  {
    variable: 'NODE_OPTIONS',
    dangerous: (value) => /--(use-openssl-ca|tls-min-v1\.[01]|tls-cipher-list|require|import|inspect|loader|experimental-loader)/u.test(value),
    risk: 'can load code into patrol or change its TLS defaults',
    patrolResponse: 'patrol cannot undo code loaded at start-up',
    neutralized: false,
    remedy: 'unset NODE_OPTIONS when running patrol',
  },
  {
    variable: 'SSLKEYLOGFILE',
    dangerous: (value) => value !== '',
    risk: 'asks TLS libraries to write session keys to a file, which decrypts recorded traffic',
    patrolResponse: 'patrol never writes key logs, but other tools in this shell may',
    neutralized: false,
    remedy: 'unset SSLKEYLOGFILE',
  },
];

/** The dangerous variables set in env, in a stable order. Pure. */
export function environmentRisks(env: NodeJS.ProcessEnv): EnvironmentRisk[] {
  const risks: EnvironmentRisk[] = [];
  for (const { dangerous, ...rest } of TLS_VARIABLES) {
    const value = env[rest.variable];
    if (value !== undefined && dangerous(value)) risks.push(rest);
  }
  return risks;
}

/** One stderr line per risk, as printed once per run when patrol opens a connection. */
export function environmentWarnings(env: NodeJS.ProcessEnv): string[] {
  return environmentRisks(env).map((r) => `patrol: warning: ${r.variable} is set (${r.risk}); ${r.patrolResponse}`);
}
