// The fast lane of the command line. Loading and running yargs costs ~50 ms per invocation
// (module evaluation, then rendering the full help text on every run) — more than everything
// else `patrol list` does before its first request. Commands that declare their options as data
// (CommandSpec.flags) are parsed here instead when the command line is simple: known options,
// plain values, the command word, and the command's variadic positional. Anything else — help,
// completion, a typo, an unusual spelling — returns undefined and goes through yargs, which then
// produces the usual result or error. The unit tests hold this parser to yargs' output on a table
// of command lines, so the two cannot drift apart silently.

/** An option as data: what yargs' `.options()` takes, limited to what the fast lane understands. */
export interface FlagSpec {
  type: 'boolean' | 'string' | 'number';
  alias?: string;
  choices?: readonly string[];
  default?: unknown;
  defaultDescription?: string;
  describe: string;
}

export type FlagTable = Record<string, FlagSpec>;

/** Options every command takes (the one definition: cli.ts hands the same table to yargs). */
export function globalFlags(env: NodeJS.ProcessEnv): FlagTable {
  return {
    profile: { alias: 'p', type: 'string', default: env['PATROL_PROFILE'], defaultDescription: '$PATROL_PROFILE or the current profile', describe: 'Profile to use' },
    format: { alias: 'f', type: 'string', default: 'pretty', describe: 'Output format: pretty, json, yaml or tsv' },
    source: { type: 'string', choices: ['auto', 'rest', 'dcs'], default: 'auto', describe: 'Read the cluster from the DCS or the REST API (auto: DCS when the profile has one)' },
    timeout: { type: 'number', default: 15, describe: 'Seconds to wait for an answer' },
    debug: { type: 'boolean', default: false, describe: 'Log requests (redacted) and show stack traces' },
    'secret-store': { type: 'string', choices: ['keychain', 'file'], defaultDescription: "$PATROL_SECRET_STORE, the profile's, or keychain", describe: 'Where secrets are kept: the OS keychain or an encrypted file' },
  };
}

export interface SimpleCommand {
  name: string;
  flags: FlagTable;
  /** Name of the command's variadic positional ("list [clusters..]"), if it has one. */
  variadic?: string | undefined;
}

const NUMBER = /^-?(\d+(\.\d*)?|\.\d+)$/u;

function camelCase(name: string): string {
  return name.replace(/-([a-z])/gu, (_, c: string) => c.toUpperCase());
}

/**
 * Parse argv the way yargs would for this command, or return undefined when the command line
 * needs yargs (anything this parser does not fully understand).
 */
export function parseSimpleArgv(argv: string[], globals: FlagTable, command: SimpleCommand): Record<string, unknown> | undefined {
  const table: FlagTable = { ...globals, ...command.flags };
  const byToken = new Map<string, string>();
  for (const [name, spec] of Object.entries(table)) {
    byToken.set(name.length === 1 ? `-${name}` : `--${name}`, name);
    if (spec.alias) byToken.set(spec.alias.length === 1 ? `-${spec.alias}` : `--${spec.alias}`, name);
  }

  const values = new Map<string, unknown>();
  const positionals: string[] = [];
  let sawCommand = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (!token.startsWith('-') || token === '-') {
      if (!sawCommand) {
        if (token !== command.name) return undefined;
        sawCommand = true;
      } else if (command.variadic !== undefined && !NUMBER.test(token)) {
        positionals.push(token);
      } else {
        return undefined;
      }
      continue;
    }
    const eq = token.indexOf('=');
    const flagToken = eq > 0 && token.startsWith('--') ? token.slice(0, eq) : token;
    const name = byToken.get(flagToken);
    if (name === undefined) return undefined;
    const spec = table[name]!;
    let value: unknown;
    if (spec.type === 'boolean') {
      // yargs would take a following "true"/"false" as the flag's value.
      if (flagToken !== token || values.has(name) || argv[i + 1] === 'true' || argv[i + 1] === 'false') return undefined;
      value = true;
    } else {
      let raw: string | undefined;
      if (flagToken !== token) raw = token.slice(eq + 1);
      else {
        raw = argv[i + 1];
        i++;
      }
      if (raw === undefined || raw === '' || raw.startsWith('-')) return undefined;
      if (spec.choices && !spec.choices.includes(raw)) return undefined;
      if (spec.type === 'number') {
        if (!NUMBER.test(raw) || values.has(name)) return undefined;
        value = Number(raw);
      } else {
        // yargs collects a repeated string option into an array.
        const previous = values.get(name);
        value = previous === undefined ? raw : [...(Array.isArray(previous) ? previous : [previous]), raw];
      }
    }
    values.set(name, value);
  }
  if (!sawCommand) return undefined;

  const args: Record<string, unknown> = { _: [command.name] };
  for (const [name, spec] of Object.entries(table)) {
    const value = values.has(name) ? values.get(name) : spec.default;
    if (value === undefined) continue;
    args[name] = value;
    if (spec.alias) args[spec.alias] = value;
    if (name.includes('-')) args[camelCase(name)] = value;
  }
  if (command.variadic !== undefined) args[command.variadic] = positionals;
  return args;
}
