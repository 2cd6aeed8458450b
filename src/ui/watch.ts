// -W / -w N: redraw every N seconds until Ctrl-C, which ends the watch cleanly (exit 0).

import type { Context } from '../context.js';
import { describeFailure, UsageError } from '../errors.js';

export function watchInterval(args: Record<string, unknown>): number | undefined {
  if (args['watch'] !== undefined) {
    const seconds = Number(args['watch']);
    if (!Number.isFinite(seconds) || seconds < 0.5 || seconds > 3600) {
      throw new UsageError(`invalid --watch interval "${String(args['watch'])}"`, 'give seconds between 0.5 and 3600');
    }
    return seconds;
  }
  return args['W'] === true ? 2 : undefined;
}

const CLEAR_SCREEN = '\u001b[H\u001b[2J';

export async function repeat(ctx: Context, intervalSeconds: number | undefined, draw: () => Promise<string>): Promise<void> {
  if (intervalSeconds === undefined) {
    ctx.term.write(await draw());
    return;
  }
  while (!ctx.signal.aborted) {
    // A watch is most useful exactly when the cluster is in trouble: a failed read is shown in
    // place of the table and the watch goes on.
    let text: string;
    try {
      text = await draw();
    } catch (error) {
      text = `${describeFailure(error).line}\n`;
    }
    if (ctx.signal.aborted) break;
    writeFrame(ctx, text);
    await ctx.clock.sleep(intervalSeconds * 1000, ctx.signal);
  }
}

/** One redraw: on a terminal the screen is cleared first; piped output is a stream of frames. */
export function writeFrame(ctx: Context, text: string): void {
  ctx.term.write(ctx.term.stdoutIsTTY ? CLEAR_SCREEN + text : text);
}
