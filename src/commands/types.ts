// The shape of a command: yargs options in `builder`, the work in `run`. Only cli.ts touches
// yargs itself; `run` receives the parsed arguments and the Context and returns an exit code.

import type { Argv } from 'yargs';
import type { Context, GlobalOptions } from '../context.js';

export type ParsedArgs = GlobalOptions & Record<string, unknown>;

export interface CommandSpec {
  command: string | string[];
  describe: string;
  builder?: (yargs: Argv) => Argv;
  run(ctx: Context, args: ParsedArgs): Promise<number>;
}

export function stringArray(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
