// Every failure patrol reports is one of these types; cli.ts maps them to exit codes in one place.
// Messages are written for the operator: what went wrong, then how to fix it. They must never
// contain secrets — callers build them from codes and names, never from raw library errors.

export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  declined: 3,
  tlsOrAuth: 4,
  unreachable: 5,
  preconditionRefused: 6,
  outcomeUnknown: 7,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class PatrolError extends Error {
  readonly exitCode: ExitCodeValue;
  /** One short sentence telling the operator what to do next. */
  readonly hint: string | undefined;

  constructor(message: string, exitCode: ExitCodeValue, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

/** Bad flags, bad values, unknown members, missing profile: the operator can fix the command. */
export class UsageError extends PatrolError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.usage, hint);
  }
}

/** The operator answered "no" to a confirmation, or a prompt was needed but impossible. */
export class DeclinedError extends PatrolError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.declined, hint);
  }
}

export class InterruptedError extends PatrolError {
  constructor() {
    super('interrupted', ExitCode.interrupted);
  }
}

/** Certificate verification, client-certificate rejection, wrong key passphrase, HTTP 401/403. */
export class TlsOrAuthError extends PatrolError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.tlsOrAuth, hint);
  }
}

/** Nothing answered: connection refused, DNS failure, connect timeout. */
export class UnreachableError extends PatrolError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.unreachable, hint);
  }
}

/** The server (or patrol's own planning) refused the action: HTTP 409/412, no candidate, etc. */
export class PreconditionError extends PatrolError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.preconditionRefused, hint);
  }
}

/** A request may or may not have taken effect: never claim success or failure we cannot back. */
export class OutcomeUnknownError extends PatrolError {
  constructor(message: string, hint = 'check the cluster with `patrol list`') {
    super(message, ExitCode.outcomeUnknown, hint);
  }
}

/** The server answered, but not in a way patrol understands (bad JSON, oversized body, 5xx). */
export class ProtocolError extends PatrolError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.unexpected, hint);
  }
}

/**
 * The one place that turns any thrown value into an exit code and a single line for stderr.
 * Unknown errors are reported by class name only: their messages come from libraries and could
 * carry request details, so they are shown only under --debug (after redaction).
 */
export function describeFailure(error: unknown): { exitCode: ExitCodeValue; line: string } {
  if (error instanceof PatrolError) {
    const line = error.hint ? `${error.message}; ${error.hint}` : error.message;
    return { exitCode: error.exitCode, line: `patrol: ${line}` };
  }
  const name = error instanceof Error ? error.name : typeof error;
  return {
    exitCode: ExitCode.unexpected,
    line: `patrol: unexpected internal error (${name}); rerun with --debug for details and report it`,
  };
}
