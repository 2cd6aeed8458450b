// The shape of a command: yargs options in `builder`, the work in `run`. Only cli.ts touches
// yargs itself; `run` receives the parsed arguments and the Context and returns an exit code.

import type { Argv } from 'yargs';
import type { Context, GlobalOptions } from '../context.js';
import type { FlagTable } from '../fast-argv.js';

export type ParsedArgs = GlobalOptions & Record<string, unknown>;

export interface CommandSpec {
  command: string | string[];
  describe: string;
  builder?: (yargs: Argv) => Argv;
  /**
   * Options as data, handed to yargs before `builder`. A command that declares all its options
   * here (and at most one trailing `[name..]` positional, named in `variadic`) is parsed without
   * loading yargs when its command line is simple (src/fast-argv.ts): a faster start.
   */
  flags?: FlagTable;
  variadic?: string;
  /** Takes `-p` more than once (args.profiles lists them); other commands refuse that. */
  manyProfiles?: boolean;
  run(ctx: Context, args: ParsedArgs): Promise<number>;
}

export function stringArray(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

export function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
