// One printer chosen from --format. Every command hands over a Document: the stable JSON shape
// (also used for YAML), a table for tsv, and optionally its own pretty rendering.

import { createRequire } from 'node:module';
import { UsageError } from '../errors.js';
import { sanitizeForTerminal } from './sanitize.js';
import { type Cell, cellText, renderTable } from './table.js';

export const FORMATS = ['pretty', 'json', 'yaml', 'tsv'] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormat(value: string): Format {
  const normalized = value === 'yml' ? 'yaml' : value;
  if ((FORMATS as readonly string[]).includes(normalized)) return normalized as Format;
  throw new UsageError(`unknown format "${value}"`, `use one of ${FORMATS.join(', ')}`);
}

export interface Tabular {
  columns: string[];
  rows: Cell[][];
}

export interface Document {
  /** The machine shape: stable keys, no timestamps mixed in. */
  data: unknown;
  table?: Tabular;
  /** Human rendering; defaults to a table, then YAML. */
  pretty?: () => string;
}

// JSON.stringify escapes C0 controls but leaves C1 and bidi controls raw; escape them too so
// JSON printed to a terminal is as safe as the pretty output (and still valid, lossless JSON).
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069\ufeff]/gu;

export function toJson(data: unknown): string {
  const text = JSON.stringify(data, null, 2).replace(JSON_UNSAFE, (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`);
  return `${text}\n`;
}

/** Deep copy with every string sanitized: YAML has no lossless escape for plain scalars. */
function sanitizeDeep(value: unknown): unknown {
  if (typeof value === 'string') return sanitizeForTerminal(value);
  if (Array.isArray(value)) return value.map(sanitizeDeep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [sanitizeForTerminal(k), sanitizeDeep(v)]));
  }
  return value;
}

type YamlLibrary = Pick<typeof import('yaml'), 'stringify'>;
let yamlLibrary: YamlLibrary | undefined;

/**
 * The YAML library takes ~17 ms to load and warm up, and most runs never print YAML, so it is
 * not loaded at start-up: a command that will print YAML awaits this first (cli.ts does for
 * `--format yaml`), and toYaml() otherwise loads it synchronously, more slowly, on first use.
 */
export async function loadYaml(): Promise<void> {
  yamlLibrary ??= await import('yaml');
}

export function toYaml(data: unknown): string {
  yamlLibrary ??= createRequire(import.meta.url)('yaml') as YamlLibrary;
  return yamlLibrary.stringify(sanitizeDeep(data), { lineWidth: 0 });
}

export function toTsv(table: Tabular): string {
  // cellText escapes tabs and newlines, so every record stays on one line.
  const lines = [table.columns.join('\t'), ...table.rows.map((row) => table.columns.map((_, i) => cellText(row[i])).join('\t'))];
  return `${lines.join('\n')}\n`;
}

export function render(format: Format, doc: Document): string {
  switch (format) {
    case 'json':
      return toJson(doc.data);
    case 'yaml':
      return toYaml(doc.data);
    case 'tsv':
      if (!doc.table) throw new UsageError('this command has no tabular output', 'use --format json or yaml');
      return toTsv(doc.table);
    case 'pretty':
      if (doc.pretty) return doc.pretty();
      if (doc.table) return renderTable(doc.table.columns, doc.table.rows);
      return toYaml(doc.data);
  }
}
