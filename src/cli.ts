// The only module that touches yargs and the process: parse argv, build the Context, run one
// command, and turn its result or error into an exit code and at most one line on stderr.

import type { Argv } from 'yargs';
import { COMMAND_TABLE, commandWord } from './commands/registry.js';
import type { CommandSpec, ParsedArgs } from './commands/types.js';
import type { Context, GlobalOptions, Session, SourceChoice, Terminal } from './context.js';
import { describeFailure, ExitCode, InterruptedError, UsageError } from './errors.js';
import { FileProfileStore, configDir, selectProfile } from './profiles/store.js';
import { redact } from './secrets/redact.js';
import { EnvSecretSource, type SecretSource } from './secrets/store.js';
import { parseFormat } from './ui/format.js';
import { inquirerPrompter } from './ui/prompter.js';
import { editInEditor, readAll } from './ui/editor.js';
import { PATROL_VERSION } from './version.js';

const SECRET_FLAG = /^--?(password|passwd|pass|rest-password|dcs-password|passphrase|key-passphrase|token|secret)(=|$)/iu;

/** Secrets on the command line leak through ps, shell history and CI logs: refuse them outright. */
export function refuseSecretsInArgv(argv: string[]): void {
  const offending = argv.find((a) => SECRET_FLAG.test(a));
  if (offending) {
    const flag = offending.split('=')[0];
    throw new UsageError(
      `patrol does not accept secrets on the command line (${flag})`,
      'set PATROL_REST_PASSWORD, PATROL_DCS_PASSWORD or PATROL_KEY_PASSPHRASE in the environment instead',
    );
  }
  for (const arg of argv) {
    if (/^[a-z][a-z0-9+.-]*:\/\/[^/\s@]*:[^/\s@]*@/iu.test(arg.replace(/^--[a-z-]+=/u, ''))) {
      throw new UsageError('URLs must not carry credentials (user:password@)', 'remove them and set the password in the environment instead');
    }
  }
}

export interface ProcessIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

function processTerminal(io: ProcessIo): Terminal {
  return {
    write: (text) => void io.stdout.write(text),
    note: (text) => void io.stderr.write(text),
    stdoutIsTTY: io.stdout.isTTY === true,
    canPrompt: io.stdin.isTTY === true && io.stderr.isTTY === true,
    readStdin: () => readAll(io.stdin),
    editText: async (text) => editInEditor(text, process.env),
  };
}

export interface ContextParts {
  term: Terminal;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  secrets: SecretSource;
  debugEnabled: boolean;
}

/** Production Context: real files, real clock, sessions opened on first use and closed at exit. */
export function createContext(parts: ContextParts): Context & { closeAll(): void } {
  const profiles = new FileProfileStore(configDir(parts.env));
  const debug = (line: string): void => {
    if (parts.debugEnabled) parts.term.note(`debug: ${redact(line)}\n`);
  };
  const sessions: Session[] = [];
  let opened: Promise<Session> | undefined;
  return {
    term: parts.term,
    env: parts.env,
    signal: parts.signal,
    version: PATROL_VERSION,
    profiles,
    secrets: parts.secrets,
    prompter: inquirerPrompter,
    debug,
    clock: {
      now: () => new Date(),
      sleep: (ms, signal) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(done, ms);
          function done(): void {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            resolve();
          }
          signal?.addEventListener('abort', done, { once: true });
        }),
    },
    session(globals: GlobalOptions): Promise<Session> {
      opened ??= (async () => {
        const { name, profile } = selectProfile(await profiles.load(), globals.profile);
        debug(`profile ${name} (cluster ${profile.cluster}, source ${globals.source})`);
        // Loaded on demand: commands that never talk to a cluster never load the HTTP stack.
        const { openSession } = await import('./session.js');
        const session = openSession({ profileName: name, profile, globals, secrets: parts.secrets, debug, version: PATROL_VERSION });
        sessions.push(session);
        return session;
      })();
      return opened;
    },
    closeAll(): void {
      for (const s of sessions) s.close();
    },
  };
}

function globalsFrom(args: Record<string, unknown>): GlobalOptions {
  const timeout = Number(args['timeout']);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 3600) {
    throw new UsageError(`invalid --timeout "${String(args['timeout'])}"`, 'give seconds between 0 and 3600');
  }
  return {
    profile: typeof args['profile'] === 'string' ? args['profile'] : undefined,
    source: args['source'] as SourceChoice,
    timeout,
    format: parseFormat(String(args['format'] ?? 'pretty')),
    debug: args['debug'] === true,
  };
}

function wire(parser: Argv, spec: CommandSpec, ctx: Context, setResult: (p: Promise<number>) => void): Argv {
  return parser.command(
    spec.command,
    spec.describe,
    (y) => (spec.builder ? spec.builder(y) : y),
    (argv) => {
      setResult((async () => spec.run(ctx, { ...(argv as Record<string, unknown>), ...globalsFrom(argv as Record<string, unknown>) } as ParsedArgs))());
    },
  );
}

/**
 * Build the parser. Only the command named in argv is loaded and wired with its options; the
 * rest are registered by name and description so `--help`, suggestions and completion work.
 */
export async function buildParser(argv: string[], ctx: Context, setResult: (p: Promise<number>) => void, env: NodeJS.ProcessEnv): Promise<Argv> {
  const { default: yargs } = await import('yargs');
  let parser: Argv = yargs(argv)
    .scriptName('patrol')
    .usage('$0 <command> [options]\n\nA secure admin client for Patroni PostgreSQL clusters.')
    .option('profile', { alias: 'p', type: 'string', default: env['PATROL_PROFILE'], defaultDescription: '$PATROL_PROFILE or the current profile', describe: 'Profile to use' })
    .option('format', { alias: 'f', type: 'string', default: 'pretty', describe: 'Output format: pretty, json, yaml or tsv' })
    .option('source', { type: 'string', choices: ['auto', 'rest', 'dcs'], default: 'auto', describe: 'Read the cluster from the DCS or the REST API (auto: DCS when the profile has one)' })
    .option('timeout', { type: 'number', default: 15, describe: 'Seconds to wait for an answer' })
    .option('debug', { type: 'boolean', default: false, describe: 'Log requests (redacted) and show stack traces' })
    .strict()
    .demandCommand(1, 'name a command; `patrol --help` lists them')
    .recommendCommands()
    .completion('completion', 'Print a shell completion script')
    .version(PATROL_VERSION)
    .help()
    .alias('help', 'h')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      if (error) throw error;
      throw new UsageError(message ?? 'invalid command line', 'see `patrol --help`');
    });
  const word = commandWord(argv);
  for (const entry of COMMAND_TABLE) {
    if (entry.name !== word) {
      parser = parser.command(entry.usage, entry.describe);
      continue;
    }
    const loaded = await entry.load();
    if ('subcommands' in loaded) {
      parser = parser.command(entry.name, entry.describe, (y) => {
        let sub = y.demandCommand(1, `name a ${entry.name} subcommand`);
        for (const spec of loaded.subcommands) sub = wire(sub, spec, ctx, setResult);
        return sub;
      });
    } else {
      parser = wire(parser, loaded, ctx, setResult);
    }
  }
  return parser;
}

/** yargs reads a lone "-" as a positional; `--apply -` means "from stdin", so bind it. */
export function bindStdinDash(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if ((arg === '--apply' || arg === '--replace') && argv[i + 1] === '-') {
      out.push(`${arg}=-`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** Entry point: returns nothing, sets process.exitCode. */
export async function main(argv: string[], io: ProcessIo = process): Promise<void> {
  // Fast path: the version needs no parser at all.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.stdout.write(`${PATROL_VERSION}\n`);
    return;
  }
  const debugEnabled = argv.includes('--debug');
  const term = processTerminal(io);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.on('SIGINT', onSigint);
  let ctx: (Context & { closeAll(): void }) | undefined;
  try {
    refuseSecretsInArgv(argv);
    ctx = createContext({ term, env: process.env, signal: controller.signal, secrets: new EnvSecretSource(process.env), debugEnabled });
    let result: Promise<number> | undefined;
    await (await buildParser(bindStdinDash(argv), ctx, (p) => (result = p), process.env)).parseAsync();
    if (result) {
      const interrupted = new Promise<never>((_, reject) => {
        // Give watch loops, which end cleanly on Ctrl-C, a moment to finish first.
        controller.signal.addEventListener('abort', () => setTimeout(() => reject(new InterruptedError()), 250), { once: true });
      });
      process.exitCode = await Promise.race([result, interrupted]);
    }
  } catch (error) {
    const { exitCode, line } = describeFailure(error);
    term.note(`${redact(line)}\n`);
    if (debugEnabled && error instanceof Error && error.stack) term.note(`${redact(error.stack)}\n`);
    process.exitCode = exitCode;
  } finally {
    process.off('SIGINT', onSigint);
    ctx?.closeAll();
    if (controller.signal.aborted && process.exitCode === ExitCode.interrupted) process.exit(ExitCode.interrupted);
  }
}
