// The table of commands. Only the command being run is imported (each module pulls in its own
// dependencies); the others are known by name and description alone, which is all `--help` and
// shell completion need. This keeps start-up proportional to what a command uses.

import type { CommandSpec } from './types.js';

export interface CommandEntry {
  /** First word of the command line. */
  name: string;
  /** Usage for yargs, e.g. "restart [members..]" (the real spec supplies it once loaded). */
  usage: string;
  describe: string;
  /** A group command (e.g. `profile`) loads several subcommands. */
  load(): Promise<CommandSpec | { subcommands: CommandSpec[] }>;
}

export const COMMAND_TABLE: CommandEntry[] = [
  { name: 'list', usage: 'list [clusters..]', describe: 'Show the members of the cluster, their roles, state, timeline and lag', load: async () => (await import('./list.js')).listCommand },
  { name: 'topology', usage: 'topology', describe: 'Show the cluster as a replication tree', load: async () => (await import('./topology.js')).topologyCommand },
  { name: 'history', usage: 'history', describe: 'Show the timeline history (failovers and switchovers)', load: async () => (await import('./history.js')).historyCommand },
  { name: 'show-config', usage: 'show-config', describe: "Show the cluster's dynamic configuration", load: async () => (await import('./show-config.js')).showConfigCommand },
  { name: 'edit-config', usage: 'edit-config', describe: 'Change the dynamic configuration, with a diff first', load: async () => (await import('./edit-config.js')).editConfigCommand },
  { name: 'version', usage: 'version [members..]', describe: "Show patrol's version and each member's Patroni and PostgreSQL version", load: async () => (await import('./version.js')).versionCommand },
  { name: 'dsn', usage: 'dsn', describe: 'Print a libpq connection string for the leader, a role or a member', load: async () => (await import('./dsn.js')).dsnCommand },
  { name: 'switchover', usage: 'switchover', describe: 'Move leadership to a healthy replica, now or at a scheduled time', load: async () => (await import('./switchover.js')).switchoverCommand },
  { name: 'failover', usage: 'failover', describe: 'Promote a specific member, with or without a running leader', load: async () => (await import('./switchover.js')).failoverCommand },
  { name: 'restart', usage: 'restart [members..]', describe: 'Restart PostgreSQL on members (leader last), now, scheduled, or rolling', load: async () => (await import('./restart.js')).restartCommand },
  { name: 'reload', usage: 'reload [members..]', describe: 'Reload the configuration of members', load: async () => (await import('./reload.js')).reloadCommand },
  { name: 'reinit', usage: 'reinit <members..>', describe: 'Rebuild replicas from scratch', load: async () => (await import('./reinit.js')).reinitCommand },
  { name: 'pause', usage: 'pause', describe: 'Put the cluster in maintenance mode (no automatic failover)', load: async () => (await import('./pause.js')).pauseCommand },
  { name: 'resume', usage: 'resume', describe: 'Leave maintenance mode', load: async () => (await import('./pause.js')).resumeCommand },
  { name: 'flush', usage: 'flush <what> [members..]', describe: 'Cancel a scheduled restart or the scheduled switchover', load: async () => (await import('./flush.js')).flushCommand },
  { name: 'login', usage: 'login', describe: "Store the profile's secrets in the keychain or the encrypted secret file", load: async () => (await import('./login.js')).loginCommand },
  { name: 'logout', usage: 'logout', describe: "Delete the profile's stored secrets", load: async () => (await import('./login.js')).logoutCommand },
  { name: 'secret', usage: 'secret', describe: 'Show which secrets are stored (never their values)', load: async () => ({ subcommands: (await import('./secret.js')).secretSubcommands }) },
  { name: 'doctor', usage: 'doctor', describe: 'Check the setup: files, secrets, TLS, certificates and credentials for every member and the DCS', load: async () => (await import('./doctor.js')).doctorCommand },
  { name: 'audit', usage: 'audit', describe: 'Show the local audit log of state-changing actions', load: async () => (await import('./audit.js')).auditCommand },
  { name: 'profile', usage: 'profile', describe: 'Manage connection profiles (no secrets are stored in them)', load: async () => ({ subcommands: (await import('./profile.js')).profileSubcommands }) },
];

/** Global options that take a value: their value is not the command name. */
const VALUE_OPTIONS = new Set(['-p', '--profile', '-f', '--format', '--source', '--timeout', '--secret-store']);

/** The command word in argv (first token that is neither an option nor an option's value). */
export function commandWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return argv[i + 1];
    if (VALUE_OPTIONS.has(arg)) {
      i++;
      continue;
    }
    if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}
