// Pure editing of Patroni's dynamic configuration: --set/--pg assignments, merge patches, the
// minimal merge patch between two versions (so only what the operator changed is sent, and a
// concurrent change to another key is not overwritten), validation, and a unified diff.

import YAML from 'yaml';
import { UsageError } from '../errors.js';

export type Config = Record<string, unknown>;

const isMapping = (v: unknown): v is Config => typeof v === 'object' && v !== null && !Array.isArray(v);

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Parse "a.b.c=value": the value is YAML ("null" deletes the key). */
export function parseAssignment(text: string, flag: string): { path: string[]; value: unknown } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`${flag} "${text}" is not KEY=VALUE`, `e.g. ${flag} loop_wait=10`);
  const key = text.slice(0, eq).trim();
  let value: unknown;
  try {
    value = YAML.parse(text.slice(eq + 1));
  } catch {
    throw new UsageError(`${flag} "${key}": the value is not valid YAML`);
  }
  const path = key.split('.');
  if (path.some((p) => p === '')) throw new UsageError(`${flag} "${key}" has an empty path segment`);
  return { path, value: value === undefined ? null : value };
}

/** --pg name=value sets postgresql.parameters.<name>; GUC names may themselves contain dots. */
export function parsePgAssignment(text: string): { path: string[]; value: unknown } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--pg "${text}" is not NAME=VALUE`, 'e.g. --pg max_connections=200');
  const { value } = parseAssignment(`x=${text.slice(eq + 1)}`, '--pg');
  return { path: ['postgresql', 'parameters', text.slice(0, eq).trim()], value };
}

export function setPath(config: Config, path: string[], value: unknown): Config {
  const result = clone(config);
  let node: Config = result;
  for (const segment of path.slice(0, -1)) {
    if (!isMapping(node[segment])) {
      if (value === null) return result; // deleting under a missing parent: nothing to do
      node[segment] = {};
    }
    node = node[segment] as Config;
  }
  const last = path[path.length - 1]!;
  if (value === null) delete node[last];
  else node[last] = value;
  return result;
}

/** RFC 7386 JSON merge patch: mappings merge recursively, null deletes, anything else replaces. */
export function applyMergePatch(config: Config, patch: unknown): Config {
  if (!isMapping(patch)) throw new UsageError('the patch must be a YAML mapping');
  const result = clone(config);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (isMapping(value)) result[key] = applyMergePatch(isMapping(result[key]) ? (result[key] as Config) : {}, value);
    else result[key] = clone(value);
  }
  return result;
}

/** The smallest merge patch turning `before` into `after` (undefined when they are equal). */
export function mergePatchBetween(before: Config, after: Config): Config | undefined {
  const patch: Config = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[key];
    const b = after[key];
    if (!(key in after)) patch[key] = null;
    else if (isMapping(a) && isMapping(b)) {
      const nested = mergePatchBetween(a, b);
      if (nested) patch[key] = nested;
    } else if (JSON.stringify(a) !== JSON.stringify(b)) patch[key] = clone(b);
  }
  return Object.keys(patch).length ? patch : undefined;
}

const POSITIVE_INTEGER_KEYS = ['ttl', 'loop_wait', 'retry_timeout', 'master_start_timeout', 'primary_start_timeout', 'primary_stop_timeout', 'maximum_lag_on_failover', 'maximum_lag_on_syncnode', 'synchronous_node_count'];
const BOOLEAN_KEYS = ['pause', 'synchronous_mode_strict', 'failsafe_mode', 'check_timeline'];

/** Catch the mistakes Patroni would accept and then misbehave on. */
export function validateConfig(config: Config): void {
  for (const key of POSITIVE_INTEGER_KEYS) {
    const value = config[key];
    if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value >= 0)) {
      throw new UsageError(`config key ${key} must be a non-negative whole number, not ${JSON.stringify(value)}`);
    }
  }
  for (const key of BOOLEAN_KEYS) {
    const value = config[key];
    if (value !== undefined && typeof value !== 'boolean') throw new UsageError(`config key ${key} must be true or false, not ${JSON.stringify(value)}`);
  }
  const sm = config['synchronous_mode'];
  if (sm !== undefined && typeof sm !== 'boolean' && sm !== 'quorum') throw new UsageError('config key synchronous_mode must be true, false or quorum');
  const pg = config['postgresql'];
  if (pg !== undefined && !isMapping(pg)) throw new UsageError('config key postgresql must be a mapping');
  if (isMapping(pg) && pg['parameters'] !== undefined && !isMapping(pg['parameters'])) throw new UsageError('config key postgresql.parameters must be a mapping');
  const ttl = config['ttl'];
  const loopWait = config['loop_wait'];
  const retry = config['retry_timeout'];
  if (typeof ttl === 'number' && typeof loopWait === 'number' && typeof retry === 'number' && loopWait + 2 * retry > ttl) {
    throw new UsageError(`loop_wait (${loopWait}) + 2 × retry_timeout (${retry}) must not exceed ttl (${ttl})`, 'Patroni needs that margin to keep the leader lock');
  }
}

export function configYaml(config: Config): string {
  return YAML.stringify(config, { sortMapEntries: true, lineWidth: 0 });
}

/** Unified diff of two texts (line-based LCS; configs are small). Empty string when equal. */
export function unifiedDiff(before: string, after: string, labels = ['current', 'proposed'], context = 3): string {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a[a.length - 1] === '') a.pop();
  if (b[b.length - 1] === '') b.pop();
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  type Op = { kind: ' ' | '-' | '+'; text: string; ai: number; bi: number };
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ kind: ' ', text: a[i]!, ai: i++, bi: j++ });
    else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) ops.push({ kind: '+', text: b[j]!, ai: i, bi: j++ });
    else ops.push({ kind: '-', text: a[i]!, ai: i++, bi: j });
  }
  if (!ops.some((o) => o.kind !== ' ')) return '';
  const out = [`--- ${labels[0]}`, `+++ ${labels[1]}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') {
      k++;
      continue;
    }
    const start = Math.max(0, k - context);
    let end = k;
    // Extend the hunk while changes are within 2×context lines of each other.
    while (end < ops.length) {
      let next = end;
      while (next < ops.length && ops[next]!.kind !== ' ') next++;
      let gap = next;
      while (gap < ops.length && ops[gap]!.kind === ' ') gap++;
      end = gap < ops.length && gap - next <= 2 * context ? gap : Math.min(ops.length, next + context);
      if (!(gap < ops.length && gap - next <= 2 * context)) break;
    }
    const hunk = ops.slice(start, end);
    const aStart = hunk[0]!.ai + 1;
    const bStart = hunk[0]!.bi + 1;
    out.push(`@@ -${aStart},${hunk.filter((o) => o.kind !== '+').length} +${bStart},${hunk.filter((o) => o.kind !== '-').length} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.text}`);
    k = end;
  }
  return `${out.join('\n')}\n`;
}
