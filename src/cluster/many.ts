// Running many reads at once (`list --all`, `list C1 C2 …`, `list -p a -p b`): a bounded number in
// flight, one deadline for the whole command, and every outcome kept, so one cluster that does
// not answer is reported as such while the others are shown — never a reason to wait longer.

import { UnreachableError } from '../errors.js';

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface SettleOptions {
  /** At most this many tasks run at the same time. */
  concurrency: number;
  /** After this long, tasks still running (or not started) settle as unanswered. */
  deadlineMs: number;
}

/** The error a task settles with when the deadline passes first. */
export function deadlineError(deadlineMs: number): UnreachableError {
  const seconds = Math.round(deadlineMs / 100) / 10;
  return new UnreachableError(`no answer within ${seconds} s`, 'check that it is up, or raise --timeout');
}

/**
 * Run every task, `concurrency` at a time, and return their outcomes in input order once all
 * have settled or the deadline has passed, whichever comes first.
 */
export function settleAll<T>(tasks: ReadonlyArray<() => Promise<T>>, options: SettleOptions): Promise<Array<Settled<T>>> {
  const results: Array<Settled<T> | undefined> = new Array(tasks.length).fill(undefined);
  const limit = Math.max(1, Math.floor(options.concurrency));
  return new Promise((resolve) => {
    let next = 0;
    let pending = tasks.length;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      resolve(results.map((r) => r ?? { ok: false, error: deadlineError(options.deadlineMs) }));
    };
    const timer = setTimeout(finish, options.deadlineMs);
    const settle = (index: number, outcome: Settled<T>): void => {
      if (finished) return;
      results[index] = outcome;
      pending--;
      if (pending === 0) finish();
      else startNext();
    };
    const startNext = (): void => {
      if (finished || next >= tasks.length) return;
      const index = next++;
      let promise: Promise<T>;
      try {
        promise = tasks[index]!();
      } catch (error) {
        settle(index, { ok: false, error });
        return;
      }
      promise.then(
        (value) => settle(index, { ok: true, value }),
        (error: unknown) => settle(index, { ok: false, error }),
      );
    };
    if (tasks.length === 0) finish();
    for (let i = 0; i < limit; i++) startNext();
  });
}
