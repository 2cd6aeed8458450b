// Bounded waiting for the cluster to show an action's result. Transient read errors (a member
// restarting, a leader change in progress) are expected while waiting and are retried until the
// deadline; the deadline itself is an "outcome unknown", never a claim of failure.

import type { Context } from '../context.js';
import { InterruptedError, OutcomeUnknownError } from '../errors.js';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Shown on stderr (on a terminal) while waiting. */
  what: string;
}

export async function waitFor<T>(ctx: Context, options: WaitOptions, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 1000;
  let lastProblem = '';
  let shown = false;
  while (true) {
    if (ctx.signal.aborted) throw new InterruptedError();
    try {
      const result = await probe();
      if (result !== undefined) {
        if (shown) ctx.term.note('\n');
        return result;
      }
      lastProblem = '';
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() + interval > deadline) break;
    if (ctx.term.canPrompt) {
      ctx.term.note(shown ? '.' : `waiting for ${options.what} `);
      shown = true;
    }
    await ctx.clock.sleep(interval, ctx.signal);
  }
  if (shown) ctx.term.note('\n');
  throw new OutcomeUnknownError(
    `${options.what}: not confirmed within ${Math.round(options.timeoutMs / 1000)} s${lastProblem ? ` (last error: ${lastProblem})` : ''}`,
    'the action may still complete; check with `patrol list`, or raise --wait-timeout',
  );
}
