// A plain boxed table for the pretty format. Cells are sanitized here, at the last moment, so no
// server-supplied string can reach the terminal unescaped.

import { sanitizeForTerminal } from './sanitize.js';

export type Cell = string | number | boolean | null | undefined;

export function cellText(value: Cell): string {
  if (value === null || value === undefined) return '';
  return sanitizeForTerminal(String(value));
}

export function renderTable(columns: string[], rows: Cell[][], title?: string): string {
  const texts = rows.map((row) => columns.map((_, i) => cellText(row[i])));
  const widths = columns.map((column, i) => Math.max(column.length, ...texts.map((row) => row[i]!.length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out: string[] = [];
  if (title) {
    // "+ Title -----+" across the top rule, as patronictl does, when it fits.
    const label = `+ ${sanitizeForTerminal(title)} `;
    out.push(label.length < rule.length ? label + rule.slice(label.length) : label.trimEnd());
  } else {
    out.push(rule);
  }
  out.push(line(columns), rule, ...texts.map(line), rule);
  return `${out.join('\n')}\n`;
}
