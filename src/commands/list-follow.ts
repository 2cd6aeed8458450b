// `list -W` / `-w N` in DCS mode: instead of reading the whole cluster prefix every interval,
// read it once and follow it with an etcd watch, keeping the snapshot current from the events.
// The screen is still redrawn once per interval (a burst of writes redraws once, and output keeps
// the cadence operators and scripts know from polling). When the watch cannot be opened, goes
// quiet or breaks, each tick reads the cluster as polling does, and the watch is tried again.

import { type DcsSnapshot, clusterFromDcs } from '../cluster/from-dcs.js';
import type { Cluster } from '../cluster/model.js';
import type { Context } from '../context.js';
import { clusterPrefix, type DcsReader, type PrefixWatch } from '../dcs/etcd3.js';
import { applyWatchEvents } from '../dcs/watch-stream.js';
import { describeFailure } from '../errors.js';
import { writeFrame } from '../ui/watch.js';

/** A DCS reader that can follow a cluster (the etcd v3 client can). */
export type WatchableReader = DcsReader & Required<Pick<DcsReader, 'readClusterAt' | 'watchPrefix'>>;

export function canWatch(reader: DcsReader | undefined): reader is WatchableReader {
  return typeof reader?.readClusterAt === 'function' && typeof reader.watchPrefix === 'function';
}

/** After a failed attempt to open the watch, poll this long before trying again. */
const WATCH_RETRY_MS = 30_000;

interface LiveWatch {
  snapshot: DcsSnapshot;
  watch: PrefixWatch;
  broken: boolean;
  lastMessageAt: number;
}

export async function followClusterFromDcs(
  ctx: Context,
  reader: WatchableReader,
  where: { namespace: string; scope: string },
  intervalSeconds: number,
  draw: (cluster: Cluster) => string,
): Promise<void> {
  const prefix = clusterPrefix(where.namespace, where.scope);
  const now = (): number => ctx.clock.now().getTime();
  // Patroni rewrites every member key each loop_wait, so a healthy watch is never silent for
  // long; a silent one may sit on a half-open connection. Then read again and re-open it.
  const idleLimitMs = Math.max(60_000, intervalSeconds * 3_000);
  let live: LiveWatch | undefined;
  let nextAttempt = 0;

  const open = async (snapshot: DcsSnapshot, revision: number): Promise<LiveWatch> => {
    const state: Partial<LiveWatch> & { snapshot: DcsSnapshot; broken: boolean; lastMessageAt: number } = {
      snapshot: new Map(snapshot),
      broken: false,
      lastMessageAt: now(),
    };
    state.watch = await reader.watchPrefix(prefix, revision + 1, (message) => {
      state.lastMessageAt = now();
      if (message.canceled || message.error !== undefined) {
        ctx.debug(`etcd watch ended by the server${message.compactRevision ? ` (compacted at ${message.compactRevision})` : ''}; reading instead`);
        state.broken = true;
        return;
      }
      applyWatchEvents(state.snapshot, prefix, message.events);
    });
    const ended = (error?: unknown): void => {
      if (!state.broken) ctx.debug(`etcd watch ended${error ? `: ${describeFailure(error).line}` : ''}; reading instead`);
      state.broken = true;
    };
    state.watch.done.then(() => ended(), ended);
    return state as LiveWatch;
  };

  const closeLive = (): void => {
    if (live) {
      live.broken = true; // closed on purpose: not worth a debug line from its `done`
      live.watch.close();
    }
    live = undefined;
  };
  ctx.signal.addEventListener('abort', closeLive, { once: true });
  try {
    while (!ctx.signal.aborted) {
      let text: string;
      try {
        if (live && !live.broken && now() - live.lastMessageAt > idleLimitMs) ctx.debug('etcd watch silent for too long; reading instead');
        if (live && (live.broken || now() - live.lastMessageAt > idleLimitMs)) closeLive();
        let snapshot: DcsSnapshot;
        if (live) {
          snapshot = live.snapshot;
        } else {
          const read = await reader.readClusterAt(where.namespace, where.scope);
          snapshot = read.snapshot;
          if (now() >= nextAttempt && read.revision > 0 && !ctx.signal.aborted) {
            try {
              live = await open(read.snapshot, read.revision);
            } catch (error) {
              ctx.debug(`etcd watch not available (${describeFailure(error).line}); reading every interval`);
              nextAttempt = now() + WATCH_RETRY_MS;
            }
          }
        }
        text = draw(clusterFromDcs(snapshot, where.scope));
      } catch (error) {
        // As when polling: a failed read is shown in place of the table and the watch goes on.
        text = `${describeFailure(error).line}\n`;
      }
      if (ctx.signal.aborted) break;
      writeFrame(ctx, text);
      await ctx.clock.sleep(intervalSeconds * 1000, ctx.signal);
    }
  } finally {
    ctx.signal.removeEventListener('abort', closeLive);
    closeLive();
  }
}
