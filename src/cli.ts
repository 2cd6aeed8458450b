// The only module that touches yargs and the process: parse argv, build the Context, run one
// command, and turn its result or error into an exit code and at most one line on stderr.

import type { Argv } from 'yargs';
import { appendAuditEntry, AuditTrail, auditLogPath, currentIdentity } from './audit/log.js';
import { COMMAND_TABLE, commandWord } from './commands/registry.js';
import { type CommandSpec, type ParsedArgs, stringArray } from './commands/types.js';
import type { Context, GlobalOptions, Session, SourceChoice, Terminal } from './context.js';
import { environmentWarnings } from './doctor/environment.js';
import { describeFailure, ExitCode, InterruptedError, UsageError } from './errors.js';
import { globalFlags, parseSimpleArgv } from './fast-argv.js';
import { FileProfileStore, configDir, selectProfile } from './profiles/store.js';
import { redact } from './secrets/redact.js';
import type { SecretSource } from './secrets/store.js';
import type { SecretStoreProvider } from './secrets/stores.js';
import { wireSecrets } from './secrets/wiring.js';
import { loadYaml, parseFormat } from './ui/format.js';
import { inquirerPrompter } from './ui/prompter.js';
import { editInEditor, readAll } from './ui/editor.js';
import { PATROL_VERSION } from './version.js';

const SECRET_KIND_NAME = /^(rest-password|key-passphrase|dcs-password)$/u;
const SECRET_FLAG = /^--?(password|passwd|pass|rest-password|dcs-password|passphrase|key-passphrase|token|secret)(=|$)/iu;

/** Secrets on the command line leak through ps, shell history and CI logs: refuse them outright. */
export function refuseSecretsInArgv(argv: string[]): void {
  // `login --secret KIND` names which secret to read from stdin; any other value is refused.
  const namesKind = (a: string, i: number): boolean => /^--secret(=|$)/u.test(a) && SECRET_KIND_NAME.test(a.includes('=') ? a.slice(a.indexOf('=') + 1) : (argv[i + 1] ?? ''));
  const offending = argv.find((a, i) => SECRET_FLAG.test(a) && !namesKind(a, i));
  if (offending) {
    const flag = offending.split('=')[0];
    throw new UsageError(
      `patrol does not accept secrets on the command line (${flag})`,
      'store secrets with `patrol login` (or `patrol login --secret KIND --stdin`), or set PATROL_REST_PASSWORD, PATROL_DCS_PASSWORD or PATROL_KEY_PASSPHRASE in the environment',
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
  secretStores: SecretStoreProvider;
  debugEnabled: boolean;
}

/** Production Context: real files, real clock, sessions opened on first use and closed at exit. */
export function createContext(parts: ContextParts): Context & { closeAll(): void; audit: AuditTrail } {
  const profiles = new FileProfileStore(configDir(parts.env));
  const debug = (line: string): void => {
    if (parts.debugEnabled) parts.term.note(`debug: ${redact(line)}\n`);
  };
  const sessions: Session[] = [];
  const audit = new AuditTrail(currentIdentity(PATROL_VERSION));
  // One session per profile (`list -p a -p b` opens several), all from one read of the file.
  const opened = new Map<string, Promise<Session>>();
  let profileFile: ReturnType<typeof profiles.load> | undefined;
  return {
    audit,
    term: parts.term,
    env: parts.env,
    signal: parts.signal,
    version: PATROL_VERSION,
    profiles,
    secrets: parts.secrets,
    secretStores: parts.secretStores,
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
      const key = globals.profile ?? '';
      const existing = opened.get(key);
      if (existing) return existing;
      const first = opened.size === 0;
      const pending = (async () => {
        const { name, profile } = selectProfile(await (profileFile ??= profiles.load()), globals.profile);
        debug(`profile ${name} (cluster ${profile.cluster}, source ${globals.source})`);
        audit.noteSession(name, profile.cluster);
        if (first) warnAboutEnvironment(parts.term, parts.env);
        // Loaded on demand: commands that never talk to a cluster never load the HTTP stack.
        const { openSession } = await import('./session.js');
        const session = openSession({ profileName: name, profile, globals, secrets: parts.secrets, debug, version: PATROL_VERSION });
        sessions.push(session);
        return session;
      })();
      opened.set(key, pending);
      return pending;
    },
    closeAll(): void {
      for (const s of sessions) s.close();
    },
  };
}

/**
 * Once per run, before the first connection: say that TLS-weakening variables are set and
 * ignored. NODE_TLS_REJECT_UNAUTHORIZED is also removed, so Node adds no warning of its own and
 * no child process (an $EDITOR) inherits it.
 */
function warnAboutEnvironment(term: Terminal, env: NodeJS.ProcessEnv): void {
  for (const line of environmentWarnings(env)) term.note(`${line}\n`);
  delete env['NODE_TLS_REJECT_UNAUTHORIZED'];
}

/** Write the action's audit line, if an action began; a failure to write is reported, not fatal. */
async function recordAudit(ctx: { audit: AuditTrail; env: NodeJS.ProcessEnv; term: Terminal }, argv: string[], exitCode: number, failureLine: string | undefined): Promise<void> {
  // A planned action has its full record; a state-changing command that stopped before planning
  // (refused by patrol, a bad flag) still leaves a line, unless it was only a dry run.
  const word = commandWord(argv);
  const entry =
    ctx.audit.finish(exitCode, failureLine) ??
    (word !== undefined && !argv.includes('--dry-run') ? ctx.audit.finishUnplanned(word, exitCode, failureLine) : undefined);
  if (!entry) return;
  const file = auditLogPath(ctx.env);
  try {
    await appendAuditEntry(file, entry);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    ctx.term.note(`patrol: warning: could not write the audit log ${file} (${code}); check that its directory is writable\n`);
  }
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

function runCommand(spec: CommandSpec, ctx: Context, args: Record<string, unknown>): Promise<number> {
  return (async () => {
    // A repeated -p must never quietly fall back to the current profile.
    const profiles = stringArray(args['profile']);
    if (profiles.length > 1 && !spec.manyProfiles) {
      throw new UsageError(`--profile is given ${profiles.length} times`, 'name one profile (only `list` shows several)');
    }
    const globals = globalsFrom(args);
    // Commands on the fast lane print YAML only when asked to; the others may at any time.
    if (globals.format === 'yaml' || !spec.flags) await loadYaml();
    return spec.run(ctx, { ...args, ...globals, profiles } as ParsedArgs);
  })();
}

function wire(parser: Argv, spec: CommandSpec, ctx: Context, setResult: (p: Promise<number>) => void): Argv {
  return parser.command(
    spec.command,
    spec.describe,
    (y) => {
      const withFlags = spec.flags ? y.options(spec.flags) : y;
      return spec.builder ? spec.builder(withFlags) : withFlags;
    },
    (argv) => {
      // Not returned: yargs would await it, and main() races the result against Ctrl-C.
      setResult(runCommand(spec, ctx, argv as Record<string, unknown>));
    },
  );
}

/**
 * The command and its arguments when the command line is simple enough to skip yargs (see
 * fast-argv.ts); undefined sends it through yargs.
 */
export async function simpleCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<{ spec: CommandSpec; args: Record<string, unknown> } | undefined> {
  const word = commandWord(argv);
  const entry = COMMAND_TABLE.find((e) => e.name === word);
  if (!entry) return undefined;
  const loaded = await entry.load();
  if ('subcommands' in loaded || !loaded.flags) return undefined;
  const args = parseSimpleArgv(argv, globalFlags(env), { name: entry.name, flags: loaded.flags, variadic: loaded.variadic });
  return args ? { spec: loaded, args } : undefined;
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
    // Global options are defined once, in fast-argv.ts, for yargs and the fast lane alike.
    .options(globalFlags(env))
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
  let ctx: (Context & { closeAll(): void; audit: AuditTrail }) | undefined;
  let failureLine: string | undefined;
  try {
    refuseSecretsInArgv(argv);
    // Secrets are taken out of the environment here; lookups go env → the profile's store → a
    // hidden prompt (only when a person is at the terminal).
    const secretDebug = (line: string): void => {
      if (debugEnabled) term.note(`debug: ${redact(line)}\n`);
    };
    const { secrets, secretStores } = wireSecrets({ argv, env: process.env, canPrompt: term.canPrompt, debug: secretDebug, warn: (line) => term.note(`${line}\n`) });
    ctx = createContext({ term, env: process.env, signal: controller.signal, secrets, secretStores, debugEnabled });
    let result: Promise<number> | undefined;
    const simple = await simpleCommand(argv, process.env);
    if (simple) result = runCommand(simple.spec, ctx, simple.args);
    else await (await buildParser(bindStdinDash(argv), ctx, (p) => (result = p), process.env)).parseAsync();
    if (result) {
      const interrupted = new Promise<never>((_, reject) => {
        // Give watch loops, which end cleanly on Ctrl-C, a moment to finish first.
        controller.signal.addEventListener('abort', () => setTimeout(() => reject(new InterruptedError()), 250), { once: true });
      });
      process.exitCode = await Promise.race([result, interrupted]);
    }
  } catch (error) {
    const { exitCode, line } = describeFailure(error);
    failureLine = redact(line);
    term.note(`${redact(line)}\n`);
    if (debugEnabled && error instanceof Error && error.stack) term.note(`${redact(error.stack)}\n`);
    process.exitCode = exitCode;
  } finally {
    process.off('SIGINT', onSigint);
    if (ctx) await recordAudit(ctx, argv, Number(process.exitCode ?? 0), failureLine);
    ctx?.closeAll();
    if (controller.signal.aborted && process.exitCode === ExitCode.interrupted) process.exit(ExitCode.interrupted);
  }
}
