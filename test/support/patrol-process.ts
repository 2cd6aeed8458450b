// The real patrol CLI as a long-running child process (for `list -W`): stdout and stderr are read
// while it runs, and the test decides when to interrupt it.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { PATROL_BIN, testStateDir } from './run-patrol.js';

export interface RunningPatrol {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves once predicate(stdout so far) holds; rejects after timeoutMs or if patrol exits first. */
  waitForStdout(predicate: (stdout: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Sends SIGINT (Ctrl-C) and resolves with the exit code. */
  interrupt(timeoutMs?: number): Promise<number | null>;
}

export function spawnPatrol(args: string[], options: { configDir: string; env?: Record<string, string> }): RunningPatrol {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) if (process.env[key]) env[key] = process.env[key]!;
  env['PATROL_CONFIG_DIR'] = options.configDir;
  env['PATROL_STATE_DIR'] = testStateDir();
  Object.assign(env, options.env ?? {});
  const child = spawn(process.execPath, [PATROL_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end();
  let out = '';
  let err = '';
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve((exitCode = code))));
  const listeners = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const listener of listeners) listener();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  // A test that fails half-way must not leave the child behind.
  const killer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  void exited.then(() => clearTimeout(killer));

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForStdout(predicate, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!predicate(out)) return;
          finish();
          resolve(out);
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`patrol did not print what was expected in ${timeoutMs} ms; stdout so far:\n${out.slice(-2000)}\nstderr:\n${err.slice(-2000)}`));
        }, timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        void exited.then((code) => {
          if (!listeners.has(check)) return;
          finish();
          reject(new Error(`patrol exited (${String(code)}) before printing what was expected; stderr:\n${err.slice(-2000)}`));
        });
        listeners.add(check);
        check();
      });
    },
    async interrupt(timeoutMs = 20_000) {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
