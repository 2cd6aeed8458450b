// The pure half of following a cluster with an etcd v3 watch: etcd's JSON gateway streams one JSON
// object per line; split the byte stream into lines (bounded, so a hostile or broken server cannot
// grow patrol's memory), decode each message, and apply its events to a DcsSnapshot.

import type { DcsSnapshot } from '../cluster/from-dcs.js';

/** Largest single watch message patrol accepts; a cluster's keys are a few kB each. */
export const MAX_WATCH_MESSAGE_BYTES = 1024 * 1024;

export class WatchMessageTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`an etcd watch message exceeded ${limit} bytes`);
    this.name = 'WatchMessageTooLarge';
  }
}

/** Splits chunks (cut anywhere, even inside a UTF-8 character) into complete lines. */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxLineBytes = MAX_WATCH_MESSAGE_BYTES) {}

  /** The lines completed by this chunk; throws WatchMessageTooLarge when a line outgrows the cap. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(0x0a, start); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
      this.keep(chunk.subarray(start, newline));
      const line = Buffer.concat(this.pending, this.pendingBytes).toString('utf8').trim();
      this.pending = [];
      this.pendingBytes = 0;
      if (line) lines.push(line);
      start = newline + 1;
    }
    this.keep(chunk.subarray(start));
    return lines;
  }

  private keep(part: Buffer): void {
    if (part.length === 0) return;
    this.pendingBytes += part.length;
    if (this.pendingBytes > this.maxLineBytes) {
      this.pending = [];
      this.pendingBytes = 0;
      throw new WatchMessageTooLarge(this.maxLineBytes);
    }
    this.pending.push(Buffer.from(part)); // a copy: the transport may reuse its buffer
  }
}

export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  key: string;
  value: string;
  modRevision: number;
}

export interface WatchMessage {
  created: boolean;
  /** etcd ended the watch (compaction, permission, …): read again and start over. */
  canceled: boolean;
  /** Set when start_revision was already compacted away. */
  compactRevision?: number;
  /** An error reported by the gateway in place of a result. */
  error?: string;
  revision?: number;
  events: WatchEvent[];
}

const unb64 = (text: unknown): string => (typeof text === 'string' ? Buffer.from(text, 'base64').toString('utf8') : '');
const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** Decodes one gateway line; undefined when it is not a JSON object (the caller treats that as broken). */
export function parseWatchMessage(line: string): WatchMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  const outer = asRecord(parsed);
  if (!outer) return undefined;
  const errorRecord = asRecord(outer['error']);
  if (errorRecord) {
    return { created: false, canceled: true, error: String(errorRecord['message'] ?? errorRecord['error'] ?? 'watch error'), events: [] };
  }
  const result = asRecord(outer['result']);
  if (!result) return undefined;
  const header = asRecord(result['header']);
  const revision = Number(header?.['revision']);
  const compactRevision = Number(result['compact_revision'] ?? 0);
  const events: WatchEvent[] = [];
  for (const raw of Array.isArray(result['events']) ? result['events'] : []) {
    const event = asRecord(raw);
    const kv = asRecord(event?.['kv']);
    if (!event || !kv) continue;
    // The gateway omits fields at their zero value: a PUT arrives without "type".
    events.push({
      type: event['type'] === 'DELETE' ? 'DELETE' : 'PUT',
      key: unb64(kv['key']),
      value: unb64(kv['value']),
      modRevision: Number(kv['mod_revision'] ?? 0),
    });
  }
  return {
    created: result['created'] === true,
    canceled: result['canceled'] === true,
    ...(compactRevision > 0 ? { compactRevision } : {}),
    ...(Number.isFinite(revision) && revision > 0 ? { revision } : {}),
    events,
  };
}

/**
 * Applies events under `prefix` to a snapshot keyed by the path relative to that prefix (the
 * shape readCluster returns). Returns whether anything visible changed.
 */
export function applyWatchEvents(snapshot: DcsSnapshot, prefix: string, events: WatchEvent[]): boolean {
  let changed = false;
  for (const event of events) {
    if (!event.key.startsWith(prefix)) continue;
    const relative = event.key.slice(prefix.length);
    if (event.type === 'DELETE') {
      changed = snapshot.delete(relative) || changed;
    } else if (snapshot.get(relative) !== event.value) {
      snapshot.set(relative, event.value);
      changed = true;
    }
  }
  return changed;
}
