// Files that unlock a cluster (private keys) or decide where patrol connects and whom it trusts
// (the profile file) must be the operator's alone: readable or writable by others, or owned by
// another account, they can be stolen or swapped (a swapped profile sends credentials to a host
// of the attacker's choosing). patrol refuses such files with the command that fixes them.
// Root-owned files are accepted, as ssh does: root can replace any file anyway.

import { statSync } from 'node:fs';
import { UsageError } from '../errors.js';

export interface FileFacts {
  mode: number;
  uid: number;
}

export type PermissionProblem = { kind: 'loose-mode'; mode: number } | { kind: 'foreign-owner'; uid: number };

/** Pure: what is wrong with a private file, if anything. `currentUid` undefined: no POSIX owners. */
export function privateFileProblem(facts: FileFacts, currentUid: number | undefined): PermissionProblem | undefined {
  if (currentUid === undefined) return undefined;
  if ((facts.mode & 0o077) !== 0) return { kind: 'loose-mode', mode: facts.mode & 0o777 };
  if (facts.uid !== currentUid && facts.uid !== 0) return { kind: 'foreign-owner', uid: facts.uid };
  return undefined;
}

export function describeProblem(problem: PermissionProblem, what: string, file: string): UsageError {
  if (problem.kind === 'loose-mode') {
    return new UsageError(
      `${what} ${file} is accessible to other users (mode ${problem.mode.toString(8).padStart(4, '0')})`,
      `run \`chmod 600 ${file}\``,
    );
  }
  return new UsageError(
    `${what} ${file} belongs to another user (uid ${problem.uid})`,
    `copy it to a file you own and \`chmod 600\` it, or run \`chown $(id -u) ${file}\``,
  );
}

function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/** Throws a UsageError with the fixing command when `file` is not private to this user. */
export function assertPrivateFile(file: string, what: string): void {
  let facts: FileFacts;
  try {
    const stat = statSync(file);
    facts = { mode: stat.mode, uid: stat.uid };
  } catch {
    return; // a missing file is reported by whoever reads it, with its own message
  }
  const problem = privateFileProblem(facts, currentUid());
  if (problem) throw describeProblem(problem, what, file);
}
